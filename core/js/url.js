// url.js: URL and URLSearchParams (WHATWG URL §6), and parseAbsoluteURL for Request and
// Response.redirect.
//
// The parser and serializers are whatwg-url's (the URL Standard's reference
// implementation, with tr46 for IDNA and punycode), bundled into vendor_url.js by
// tools/js-vendor/regenerate. The classes are the layer's own. A URL record is
// { scheme, username, password, host, port, path, query, fragment } as in the standard;
// `path` is an array of segments, or a string for an opaque path.

const usm = vendorURL;

function invalidURL(input, prefix) {
  return new TypeError(`${prefix}: Invalid URL: '${input}'`);
}

// Returns { href, hasCredentials }. Throws TypeError "<prefix>: Invalid URL: '<input>'".
function parseAbsoluteURL(input, prefix) {
  // ski_http_is_canonical_url: a URL the parser would give back unchanged
  if (ops.isCanonicalURL(input)) return { href: input, hasCredentials: false };
  const record = usm.basicURLParse(input);
  if (record === null) throw invalidURL(input, prefix);
  return {
    href: usm.serializeURL(record),
    hasCredentials: record.username !== "" || record.password !== "",
  };
}

// The URL record basicURLParse(input) returns, for an input ops.isCanonicalURL accepts
// (http or https; a lowercase domain or dotted-decimal IPv4 host; a port only if not the
// default; a path without dot segments and a query with nothing to percent-encode; no
// userinfo, no fragment), made by splitting the string: the parser would change nothing.
// `new URL(request.url)` takes this path; spec/webapi_url_spec.lua compares the two.
function canonicalRecord(input) {
  const https = StringPrototypeCharCodeAt(input, 4) === 0x73; // "https:"
  const hostStart = https ? 8 : 7;
  const pathStart = StringPrototypeIndexOf(input, "/", hostStart);
  const colon = StringPrototypeIndexOf(input, ":", hostStart);
  const hasPort = colon !== -1 && colon < pathStart;
  const hostText = StringPrototypeSlice(input, hostStart, hasPort ? colon : pathStart);
  const queryStart = StringPrototypeIndexOf(input, "?", pathStart);
  return {
    scheme: https ? "https" : "http",
    username: "",
    password: "",
    host: canonicalHost(hostText),
    port: hasPort ? canonicalPort(input, colon + 1, pathStart) : null,
    path: StringPrototypeSplit(StringPrototypeSlice(input, pathStart + 1, queryStart === -1 ? input.length : queryStart), "/"),
    query: queryStart === -1 ? null : StringPrototypeSlice(input, queryStart + 1),
    fragment: null,
  };
}

// A canonical host: a domain as is, or dotted-decimal IPv4 (its last label is a number),
// which URL records hold as a number.
function canonicalHost(text) {
  // the last label is all digits exactly for IPv4 ("server1" ends in a digit too)
  for (let i = text.length - 1; i >= 0; i--) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c === 0x2e) break;
    if (c < 0x30 || c > 0x39) return text;
  }
  let value = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c === 0x2e) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 0x30);
    }
  }
  return value * 256 + octet;
}

// The digits of a canonical port.
function canonicalPort(input, start, end) {
  let port = 0;
  for (let i = start; i < end; i++) port = port * 10 + (StringPrototypeCharCodeAt(input, i) - 0x30);
  return port;
}

// URL §5.1 application/x-www-form-urlencoded parsing: [name, value] pairs. Input without
// "%" or "+" has nothing to decode (every caller passes a scalar value string, so the
// UTF-8 round trip changes nothing either): split it here; the rest goes to the vendored
// parser.
function parseUrlencoded(input) {
  if (StringPrototypeIndexOf(input, "%") !== -1 || StringPrototypeIndexOf(input, "+") !== -1) {
    return usm.parseUrlencodedString(input);
  }
  const list = [];
  const sequences = StringPrototypeSplit(input, "&");
  for (let i = 0; i < sequences.length; i++) {
    const sequence = sequences[i];
    if (sequence === "") continue;
    const equals = StringPrototypeIndexOf(sequence, "=");
    ArrayPrototypePush(list, equals === -1 ? [sequence, ""]
      : [StringPrototypeSlice(sequence, 0, equals), StringPrototypeSlice(sequence, equals + 1)]);
  }
  return list;
}

// URL §6.1 "API URL parser" with the constructor's messages.
function parseWithBase(url, base, prefix) {
  if (base === undefined && ops.isCanonicalURL(url)) return canonicalRecord(url);
  let parsedBase = null;
  if (base !== undefined) {
    parsedBase = usm.basicURLParse(base);
    if (parsedBase === null) throw new TypeError(`${prefix}: Invalid base URL: '${base}'`);
  }
  const record = usm.basicURLParse(url, { baseURL: parsedBase });
  if (record === null) {
    throw new TypeError(
      base === undefined ? `${prefix}: Invalid URL: '${url}'` : `${prefix}: Invalid URL: '${url}' (base '${base}')`,
    );
  }
  return record;
}

let urlInternals;

class URL {
  #url;
  #query = null; // the URLSearchParams, made on first use of searchParams

  constructor(url, base = undefined) {
    const prefix = constructPrefix("URL");
    requiredArguments(arguments.length, 1, prefix);
    url = toUSVString(url, prefix, "The URL");
    if (base !== undefined) base = toUSVString(base, prefix, "The base URL");
    this.#url = parseWithBase(url, base, prefix);
  }

  static parse(url, base = undefined) {
    const prefix = executePrefix("URL", "parse");
    requiredArguments(arguments.length, 1, prefix);
    url = toUSVString(url, prefix, "The URL");
    if (base !== undefined) base = toUSVString(base, prefix, "The base URL");
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  static canParse(url, base = undefined) {
    const prefix = executePrefix("URL", "canParse");
    requiredArguments(arguments.length, 1, prefix);
    url = toUSVString(url, prefix, "The URL");
    let parsedBase = null;
    if (base !== undefined) {
      parsedBase = usm.basicURLParse(toUSVString(base, prefix, "The base URL"));
      if (parsedBase === null) return false;
    }
    return usm.basicURLParse(url, { baseURL: parsedBase }) !== null;
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#url in self)) throw illegalInvocation(prefix);
  }

  static #getter(self, name) {
    URL.#check(self, `Failed to read the '${name}' property from 'URL'`);
    return self.#url;
  }

  static #setter(self, name, value) {
    const prefix = `Failed to set the '${name}' property on 'URL'`;
    URL.#check(self, prefix);
    return toUSVString(value, prefix, "The value");
  }

  // Keeps searchParams' list in step with the URL's query (URL §6.1, after setters).
  #resetQuery() {
    if (this.#query !== null) {
      const query = this.#url.query;
      urlSearchParamsInternals.replaceList(this.#query, query === null ? [] : parseUrlencoded(query));
    }
  }

  get href() {
    return usm.serializeURL(URL.#getter(this, "href"));
  }

  set href(value) {
    value = URL.#setter(this, "href", value);
    const record = usm.basicURLParse(value);
    if (record === null) throw invalidURL(value, "Failed to set the 'href' property on 'URL'");
    this.#url = record;
    this.#resetQuery();
  }

  toString() {
    URL.#check(this, executePrefix("URL", "toString"));
    return usm.serializeURL(this.#url);
  }

  toJSON() {
    URL.#check(this, executePrefix("URL", "toJSON"));
    return usm.serializeURL(this.#url);
  }

  get origin() {
    return usm.serializeURLOrigin(URL.#getter(this, "origin"));
  }

  get protocol() {
    return `${URL.#getter(this, "protocol").scheme}:`;
  }

  set protocol(value) {
    value = URL.#setter(this, "protocol", value);
    usm.basicURLParse(`${value}:`, { url: this.#url, stateOverride: "scheme start" });
  }

  get username() {
    return URL.#getter(this, "username").username;
  }

  set username(value) {
    value = URL.#setter(this, "username", value);
    if (usm.cannotHaveAUsernamePasswordPort(this.#url)) return;
    usm.setTheUsername(this.#url, value);
  }

  get password() {
    return URL.#getter(this, "password").password;
  }

  set password(value) {
    value = URL.#setter(this, "password", value);
    if (usm.cannotHaveAUsernamePasswordPort(this.#url)) return;
    usm.setThePassword(this.#url, value);
  }

  get host() {
    const url = URL.#getter(this, "host");
    if (url.host === null) return "";
    if (url.port === null) return usm.serializeHost(url.host);
    return `${usm.serializeHost(url.host)}:${usm.serializeInteger(url.port)}`;
  }

  set host(value) {
    value = URL.#setter(this, "host", value);
    if (usm.hasAnOpaquePath(this.#url)) return;
    usm.basicURLParse(value, { url: this.#url, stateOverride: "host" });
  }

  get hostname() {
    const url = URL.#getter(this, "hostname");
    return url.host === null ? "" : usm.serializeHost(url.host);
  }

  set hostname(value) {
    value = URL.#setter(this, "hostname", value);
    if (usm.hasAnOpaquePath(this.#url)) return;
    usm.basicURLParse(value, { url: this.#url, stateOverride: "hostname" });
  }

  get port() {
    const url = URL.#getter(this, "port");
    return url.port === null ? "" : usm.serializeInteger(url.port);
  }

  set port(value) {
    value = URL.#setter(this, "port", value);
    if (usm.cannotHaveAUsernamePasswordPort(this.#url)) return;
    if (value === "") {
      this.#url.port = null;
    } else {
      usm.basicURLParse(value, { url: this.#url, stateOverride: "port" });
    }
  }

  get pathname() {
    return usm.serializePath(URL.#getter(this, "pathname"));
  }

  set pathname(value) {
    value = URL.#setter(this, "pathname", value);
    if (usm.hasAnOpaquePath(this.#url)) return;
    this.#url.path = [];
    usm.basicURLParse(value, { url: this.#url, stateOverride: "path start" });
  }

  get search() {
    const url = URL.#getter(this, "search");
    return url.query === null || url.query === "" ? "" : `?${url.query}`;
  }

  set search(value) {
    value = URL.#setter(this, "search", value);
    const url = this.#url;
    if (value === "") {
      url.query = null;
      this.#resetQuery();
      URL.#stripTrailingSpacesFromOpaquePath(url);
      return;
    }
    const input = value[0] === "?" ? StringPrototypeSlice(value, 1) : value;
    url.query = "";
    usm.basicURLParse(input, { url, stateOverride: "query" });
    this.#resetQuery();
  }

  get searchParams() {
    URL.#check(this, "Failed to read the 'searchParams' property from 'URL'");
    if (this.#query === null) {
      const query = this.#url.query;
      this.#query = urlSearchParamsInternals.create(this, query === null ? [] : parseUrlencoded(query));
    }
    return this.#query;
  }

  get hash() {
    const url = URL.#getter(this, "hash");
    return url.fragment === null || url.fragment === "" ? "" : `#${url.fragment}`;
  }

  set hash(value) {
    value = URL.#setter(this, "hash", value);
    const url = this.#url;
    if (value === "") {
      url.fragment = null;
      URL.#stripTrailingSpacesFromOpaquePath(url);
      return;
    }
    const input = value[0] === "#" ? StringPrototypeSlice(value, 1) : value;
    url.fragment = "";
    usm.basicURLParse(input, { url, stateOverride: "fragment" });
  }

  // URL §6.1 "potentially strip trailing spaces from an opaque path".
  static #stripTrailingSpacesFromOpaquePath(url) {
    if (!usm.hasAnOpaquePath(url) || url.fragment !== null || url.query !== null) return;
    let path = url.path;
    let end = path.length;
    while (end > 0 && path[end - 1] === " ") end--;
    url.path = StringPrototypeSlice(path, 0, end);
  }

  static {
    urlInternals = {
      // URLSearchParams "update steps": the URL's query from the serialized list.
      setQuery(self, serialized) {
        self.#url.query = serialized === "" ? null : serialized;
        if (serialized === "") URL.#stripTrailingSpacesFromOpaquePath(self.#url);
      },
      href: (self) => usm.serializeURL(self.#url),
    };
  }
}

setToStringTag(URL.prototype, "URL");

let urlSearchParamsInternals;

class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = "") {
    if (init === kInternal) return;
    const prefix = constructPrefix("URLSearchParams");
    const list = this.#list;
    if (isObjectLike(init)) {
      const method = init[SymbolIterator];
      if (method !== undefined && method !== null) {
        if (typeof method !== "function") {
          throw new TypeError(`${prefix}: The object's [Symbol.iterator] property is not a function.`);
        }
        const pairs = iterableToArray(init, method, prefix);
        for (let i = 0; i < pairs.length; i++) {
          const pair = toSequence(pairs[i], prefix, "The provided value");
          if (pair.length !== 2) {
            throw new TypeError(`${prefix}: Sequence initializer must only contain pair elements`);
          }
          ArrayPrototypePush(list, [toUSVString(pair[0], prefix, "The name"), toUSVString(pair[1], prefix, "The value")]);
        }
      } else {
        // record<USVString, USVString>: own enumerable keys, in order.
        const keys = ReflectOwnKeys(init);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i];
          const descriptor = ReflectGetOwnPropertyDescriptor(init, key);
          if (descriptor === undefined || !descriptor.enumerable) continue;
          const name = toUSVString(key, prefix, "The name");
          const value = toUSVString(init[key], prefix, "The value");
          let replaced = false;
          for (let j = 0; j < list.length; j++) {
            if (list[j][0] === name) {
              list[j][1] = value;
              replaced = true;
              break;
            }
          }
          if (!replaced) ArrayPrototypePush(list, [name, value]);
        }
      }
    } else {
      let string = toUSVString(init, prefix, "The init");
      if (string[0] === "?") string = StringPrototypeSlice(string, 1);
      const parsed = parseUrlencoded(string);
      for (let i = 0; i < parsed.length; i++) ArrayPrototypePush(list, parsed[i]);
    }
  }

  static #listOf(self, prefix) {
    if (typeof self !== "object" || self === null || !(#list in self)) throw illegalInvocation(prefix);
    return self.#list;
  }

  #update() {
    if (this.#url !== null) urlInternals.setQuery(this.#url, usm.serializeUrlencoded(this.#list));
  }

  get size() {
    return URLSearchParams.#listOf(this, "Failed to read the 'size' property from 'URLSearchParams'").length;
  }

  append(name, value) {
    const prefix = executePrefix("URLSearchParams", "append");
    const list = URLSearchParams.#listOf(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    ArrayPrototypePush(list, [toUSVString(name, prefix, "The name"), toUSVString(value, prefix, "The value")]);
    this.#update();
  }

  delete(name, value = undefined) {
    const prefix = executePrefix("URLSearchParams", "delete");
    const list = URLSearchParams.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    if (value !== undefined) value = toUSVString(value, prefix, "The value");
    for (let i = 0; i < list.length;) {
      if (list[i][0] === name && (value === undefined || list[i][1] === value)) ArrayPrototypeSplice(list, i, 1);
      else i++;
    }
    this.#update();
  }

  get(name) {
    const prefix = executePrefix("URLSearchParams", "get");
    const list = URLSearchParams.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) return list[i][1];
    return null;
  }

  getAll(name) {
    const prefix = executePrefix("URLSearchParams", "getAll");
    const list = URLSearchParams.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    const out = [];
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) ArrayPrototypePush(out, list[i][1]);
    return out;
  }

  has(name, value = undefined) {
    const prefix = executePrefix("URLSearchParams", "has");
    const list = URLSearchParams.#listOf(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    name = toUSVString(name, prefix, "The name");
    if (value !== undefined) value = toUSVString(value, prefix, "The value");
    for (let i = 0; i < list.length; i++) {
      if (list[i][0] === name && (value === undefined || list[i][1] === value)) return true;
    }
    return false;
  }

  set(name, value) {
    const prefix = executePrefix("URLSearchParams", "set");
    const list = URLSearchParams.#listOf(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    name = toUSVString(name, prefix, "The name");
    value = toUSVString(value, prefix, "The value");
    let found = false;
    for (let i = 0; i < list.length;) {
      if (list[i][0] === name) {
        if (found) {
          ArrayPrototypeSplice(list, i, 1);
          continue;
        }
        list[i][1] = value;
        found = true;
      }
      i++;
    }
    if (!found) ArrayPrototypePush(list, [name, value]);
    this.#update();
  }

  // Stable sort by name, comparing code units (URL §6.2 sort()).
  sort() {
    const list = URLSearchParams.#listOf(this, executePrefix("URLSearchParams", "sort"));
    for (let i = 1; i < list.length; i++) {
      const item = list[i];
      let j = i;
      while (j > 0 && list[j - 1][0] > item[0]) {
        list[j] = list[j - 1];
        j--;
      }
      list[j] = item;
    }
    this.#update();
  }

  toString() {
    return usm.serializeUrlencoded(URLSearchParams.#listOf(this, executePrefix("URLSearchParams", "toString")));
  }

  static {
    urlSearchParamsInternals = {
      is: (value) => typeof value === "object" && value !== null && #list in value,
      list: (self, prefix) => URLSearchParams.#listOf(self, prefix),
      create(url, list) {
        const params = new URLSearchParams(kInternal);
        params.#list = list;
        params.#url = url;
        return params;
      },
      // Replaces the contents in place, so that a forEach() in progress sees the change.
      replaceList(self, list) {
        ArrayPrototypeSplice(self.#list, 0, self.#list.length);
        for (let i = 0; i < list.length; i++) ArrayPrototypePush(self.#list, list[i]);
      },
    };
  }
}

definePairIterable(URLSearchParams, "URLSearchParams", urlSearchParamsInternals.list);
setToStringTag(URLSearchParams.prototype, "URLSearchParams");
