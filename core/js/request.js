// request.js: the Request class (WHATWG Fetch §5.4), with the server-side subset of
// RequestInit: method, headers, body, redirect, signal.

// Fetch §2.2.1: methods normalised to uppercase, and the forbidden ones.
const NORMALIZED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
const FORBIDDEN_METHODS = ["CONNECT", "TRACE", "TRACK"];
const REQUEST_REDIRECTS = ["follow", "error", "manual"];

// Validates and normalises a method (already a ByteString).
function normalizeMethod(method, prefix) {
  if (!isHTTPToken(method)) {
    throw new TypeError(`${prefix}: '${method}' is not a valid HTTP method.`);
  }
  const upper = StringPrototypeToUpperCase(method);
  if (ArrayPrototypeIncludes(FORBIDDEN_METHODS, upper)) {
    throw new TypeError(`${prefix}: '${method}' HTTP method is unsupported.`);
  }
  return ArrayPrototypeIncludes(NORMALIZED_METHODS, upper) ? upper : method;
}

let requestInternals;

class Request {
  #method = "GET";
  #url = "";
  #headers;
  #body = null; // InnerBody or null
  #redirect = "follow";
  // An AbortSignal, made on first use of `signal` when the request has none to follow.
  #signal = null;

  constructor(input, init = undefined) {
    if (input === kInternal) {
      this.#method = init.method;
      this.#url = init.url;
      this.#headers = init.headers;
      this.#body = init.body;
      this.#redirect = init.redirect;
      this.#signal = init.signal;
      return;
    }
    const prefix = constructPrefix("Request");
    requiredArguments(arguments.length, 1, prefix);

    // Fetch §5.4 "new Request(input, init)", reduced to what a server runtime keeps.
    let inputRequest = null;
    let url;
    if (Request.#is(input)) {
      inputRequest = input;
      url = input.#url;
    } else {
      const parsed = parseAbsoluteURL(toUSVString(input, prefix, "The URL"), prefix);
      if (parsed.hasCredentials) {
        throw new TypeError(
          `${prefix}: Request cannot be constructed from a URL that includes credentials: '${parsed.href}'`,
        );
      }
      url = parsed.href;
    }

    // RequestInit members, read in lexicographical order as WebIDL does.
    init = toDictionary(init, prefix, "RequestInit");
    const initBody = init.body;
    const initHeaders = init.headers;
    const initMethod = init.method;
    const initRedirect = init.redirect;
    const initSignal = init.signal;

    let method = inputRequest !== null ? inputRequest.#method : "GET";
    if (initMethod !== undefined) {
      method = normalizeMethod(toByteString(initMethod, prefix, "The method"), prefix);
    }
    let redirect = inputRequest !== null ? inputRequest.#redirect : "follow";
    if (initRedirect !== undefined) {
      redirect = toEnum(initRedirect, REQUEST_REDIRECTS, prefix, "RequestRedirect");
    }
    let signal = inputRequest !== null ? inputRequest.#signal : null;
    if (initSignal !== undefined) {
      if (initSignal !== null && !abortSignalInternals.is(initSignal)) {
        throw new TypeError(`${prefix}: member signal is not of type AbortSignal.`);
      }
      signal = initSignal;
    }
    // Fetch §5.4: the new request's signal follows the given one.
    if (signal !== null) signal = abortSignalInternals.follow([signal]);

    const headers = headersInternals.create("request");
    if (initHeaders !== undefined) {
      headersInternals.fill(headers, initHeaders, prefix);
    } else if (inputRequest !== null) {
      headersInternals.fill(headers, inputRequest.#headers, prefix);
    }

    const inputBody = inputRequest !== null ? inputRequest.#body : null;
    const hasInitBody = initBody !== undefined && initBody !== null;
    if ((hasInitBody || inputBody !== null) && (method === "GET" || method === "HEAD")) {
      throw new TypeError(`${prefix}: Request with GET/HEAD method cannot have body.`);
    }
    let body = null;
    if (hasInitBody) {
      const extracted = extractBody(initBody, prefix);
      body = extracted.body;
      if (extracted.type !== null && !headersInternals.has(headers, "content-type")) {
        headersInternals.appendTrusted(headers, "content-type", extracted.type);
      }
    } else if (inputBody !== null) {
      if (isUnusable(inputBody)) {
        throw new TypeError(
          `${prefix}: Cannot construct a Request with a Request object that has already been used.`,
        );
      }
      body = transferBody(inputBody);
    }

    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#body = body;
    this.#redirect = redirect;
    this.#signal = signal;
  }

  static #is(value) {
    return typeof value === "object" && value !== null && #url in value;
  }

  static #check(self, prefix) {
    if (!Request.#is(self)) throw illegalInvocation(prefix);
  }

  get method() {
    Request.#check(this, "Failed to read the 'method' property from 'Request'");
    return this.#method;
  }

  get url() {
    Request.#check(this, "Failed to read the 'url' property from 'Request'");
    return this.#url;
  }

  get headers() {
    Request.#check(this, "Failed to read the 'headers' property from 'Request'");
    return this.#headers;
  }

  get redirect() {
    Request.#check(this, "Failed to read the 'redirect' property from 'Request'");
    return this.#redirect;
  }

  get signal() {
    Request.#check(this, "Failed to read the 'signal' property from 'Request'");
    if (this.#signal === null) this.#signal = abortSignalInternals.create();
    return this.#signal;
  }

  clone() {
    const prefix = executePrefix("Request", "clone");
    Request.#check(this, prefix);
    if (isUnusable(this.#body)) throw new TypeError(`${prefix}: Request body is already used.`);
    return new Request(kInternal, {
      method: this.#method,
      url: this.#url,
      headers: headersInternals.copy(this.#headers, headersInternals.guard(this.#headers)),
      body: cloneBody(this.#body),
      redirect: this.#redirect,
      signal: this.#signal === null ? null : abortSignalInternals.follow([this.#signal]),
    });
  }

  static {
    requestInternals = {
      is: (value) => Request.#is(value),
      body: (self, prefix) => {
        Request.#check(self, prefix);
        return self.#body;
      },
      parts: (self) => ({
        method: self.#method,
        url: self.#url,
        headers: self.#headers,
        redirect: self.#redirect,
      }),
    };
  }
}

installBodyMixin(Request, "Request", requestInternals.body, (self) => requestInternals.parts(self).headers);
setToStringTag(Request.prototype, "Request");

// The Request for a call from the host (internals.dispatch). Native code has checked and
// normalised the method and the headers (ski_engine_dispatch), and says whether the URL
// is one the parser would give back unchanged; any other is parsed here, and a TypeError
// means the host sent a request no Request can hold.
function requestFromHost(method, url, canonical, headers, body) {
  return new Request(kInternal, {
    method,
    url: canonical ? url : parseAbsoluteURL(url, "ski_request.url").href,
    headers: headersInternals.adopt(headers, "request"),
    body: body === null ? null : new InnerBody(body, null),
    redirect: "follow",
    signal: null,
  });
}
