// response.js: the Response class (WHATWG Fetch §5.5).

// Fetch §2.2.3 "null body status" and "redirect status".
const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

// RFC 9110 §15.1 reason-phrase: *( HTAB / SP / VCHAR / obs-text ), as a ByteString.
function isReasonPhrase(string) {
  for (let i = 0; i < string.length; i++) {
    const code = StringPrototypeCharCodeAt(string, i);
    if (code !== 0x09 && (code < 0x20 || code === 0x7f)) return false;
  }
  return true;
}

let responseInternals;

class Response {
  #type = "default"; // "default" or "error" (no fetch() yet, so no basic/cors/opaque)
  #status = 200;
  #statusText = "";
  #headers;
  #body = null; // InnerBody or null
  #url = "";
  #redirected = false;

  constructor(body = null, init = undefined) {
    if (body === kInternal) {
      this.#type = init.type;
      this.#status = init.status;
      this.#statusText = init.statusText;
      this.#headers = init.headers;
      this.#body = init.body;
      return;
    }
    const prefix = constructPrefix("Response");
    // WebIDL converts the arguments in order: the body first, then the init dictionary.
    const extracted = body === null ? null : extractBody(body, prefix);
    init = toDictionary(init, prefix, "ResponseInit");
    this.#headers = headersInternals.create("response");
    this.#initialize(init, extracted, prefix);
  }

  // Fetch §5.5 "initialize a response".
  #initialize(init, extracted, prefix) {
    // ResponseInit members in lexicographical order: headers, status, statusText.
    const initHeaders = init.headers;
    const status = init.status === undefined ? 200 : toUnsignedShort(init.status);
    const initStatusText = init.statusText;
    const statusText =
      initStatusText === undefined ? "" : toByteString(initStatusText, prefix, "The statusText");
    if (status < 200 || status > 599) {
      throw new RangeError(`${prefix}: The status provided (${status}) is outside the range [200, 599].`);
    }
    if (!isReasonPhrase(statusText)) {
      throw new TypeError(
        `${prefix}: Invalid statusText ${JSONStringify(statusText)}: it must not contain control characters.`,
      );
    }
    this.#status = status;
    this.#statusText = statusText;
    if (initHeaders !== undefined) headersInternals.fill(this.#headers, initHeaders, prefix);
    if (extracted !== null) {
      if (ArrayPrototypeIncludes(NULL_BODY_STATUSES, status)) {
        throw new TypeError(
          `${prefix}: Response with null body status (${status}) cannot have a body.`,
        );
      }
      this.#body = extracted.body;
      if (extracted.type !== null && !headersInternals.has(this.#headers, "content-type")) {
        headersInternals.appendTrusted(this.#headers, "content-type", extracted.type);
      }
    }
  }

  static #is(value) {
    return typeof value === "object" && value !== null && #status in value;
  }

  static #check(self, prefix) {
    if (!Response.#is(self)) throw illegalInvocation(prefix);
  }

  // Fetch §5.5 "Response.error()": a network error, status 0, immutable empty headers.
  static error() {
    return new Response(kInternal, {
      type: "error",
      status: 0,
      statusText: "",
      headers: headersInternals.create("immutable"),
      body: null,
    });
  }

  static redirect(url, status = 302) {
    const prefix = executePrefix("Response", "redirect");
    requiredArguments(arguments.length, 1, prefix);
    // Workers have no base URL, so the URL must be absolute.
    const parsed = parseAbsoluteURL(toUSVString(url, prefix, "The URL"), prefix);
    status = toUnsignedShort(status);
    if (!ArrayPrototypeIncludes(REDIRECT_STATUSES, status)) {
      throw new RangeError(
        `${prefix}: Invalid status code ${status}: a redirect status must be 301, 302, 303, 307 or 308.`,
      );
    }
    const headers = headersInternals.create("immutable");
    headersInternals.appendTrusted(headers, "location", parsed.href);
    return new Response(kInternal, {
      type: "default",
      status,
      statusText: "",
      headers,
      body: null,
    });
  }

  static json(data, init = undefined) {
    const prefix = executePrefix("Response", "json");
    requiredArguments(arguments.length, 1, prefix);
    // Fetch §5.5 "Response.json()": serialize, then initialize with "application/json".
    const text = JSONStringify(data);
    if (text === undefined) {
      throw new TypeError(`${prefix}: The data is not JSON serializable (JSON.stringify returned undefined).`);
    }
    init = toDictionary(init, prefix, "ResponseInit");
    const response = new Response(kInternal, {
      type: "default",
      status: 200,
      statusText: "",
      headers: headersInternals.create("response"),
      body: null,
    });
    response.#initialize(
      init,
      { body: new InnerBody(text, null), type: "application/json" },
      prefix,
    );
    return response;
  }

  get type() {
    Response.#check(this, "Failed to read the 'type' property from 'Response'");
    return this.#type;
  }

  get url() {
    Response.#check(this, "Failed to read the 'url' property from 'Response'");
    return this.#url;
  }

  get redirected() {
    Response.#check(this, "Failed to read the 'redirected' property from 'Response'");
    return this.#redirected;
  }

  get status() {
    Response.#check(this, "Failed to read the 'status' property from 'Response'");
    return this.#status;
  }

  get ok() {
    Response.#check(this, "Failed to read the 'ok' property from 'Response'");
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText() {
    Response.#check(this, "Failed to read the 'statusText' property from 'Response'");
    return this.#statusText;
  }

  get headers() {
    Response.#check(this, "Failed to read the 'headers' property from 'Response'");
    return this.#headers;
  }

  clone() {
    const prefix = executePrefix("Response", "clone");
    Response.#check(this, prefix);
    if (isUnusable(this.#body)) throw new TypeError(`${prefix}: Response body is already used.`);
    const clone = new Response(kInternal, {
      type: this.#type,
      status: this.#status,
      statusText: this.#statusText,
      headers: headersInternals.copy(this.#headers, headersInternals.guard(this.#headers)),
      body: cloneBody(this.#body),
    });
    clone.#url = this.#url;
    clone.#redirected = this.#redirected;
    return clone;
  }

  static {
    responseInternals = {
      is: (value) => Response.#is(value),
      body: (self, prefix) => {
        Response.#check(self, prefix);
        return self.#body;
      },
      // What dispatch sends to the host. `body` is the InnerBody (or null).
      parts: (self) => ({
        type: self.#type,
        status: self.#status,
        statusText: self.#statusText,
        headers: self.#headers,
        body: self.#body,
        url: self.#url,
        redirected: self.#redirected,
      }),
    };
  }
}

installBodyMixin(Response, "Response", responseInternals.body, (self) => responseInternals.parts(self).headers);
setToStringTag(Response.prototype, "Response");
