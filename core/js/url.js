// url.js: parsing the absolute URLs that Request and Response.redirect need.
//
// The URL class is a later issue. Until then parseAbsoluteURL uses the realm's global
// URL if there is one (for example a bundled polyfill) and otherwise a small fallback that
// checks the shape of an absolute URL and normalises the easy parts. The fallback is
// deliberately strict where it cannot be exact: special schemes (http, https, ws, wss,
// ftp) need "//" and a host, and non-ASCII host names are rejected (no IDNA here).
// When the URL issue lands, this file keeps parseAbsoluteURL's signature and uses the
// layer's own URL class.

const SPECIAL_SCHEME_PORTS = { __proto__: null, ftp: "21", http: "80", https: "443", ws: "80", wss: "443" };
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.\-]*:/;
const URL_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[^\x00-\x20\x7f-\uffff#%\/:<>?@\[\\\]^|]+)$/;
const URL_PORT = /^[0-9]*$/;
const TAB_OR_NEWLINE = /[\t\n\r]/;
const NON_PRINTABLE = /[^\x21-\x7e]/;

// Returns { href, hasCredentials }. Throws TypeError "<prefix>: Invalid URL: '<input>'".
function parseAbsoluteURL(input, prefix) {
  const URLClass = globalThis.URL;
  if (typeof URLClass === "function") {
    let url;
    try {
      url = new URLClass(input);
    } catch {
      throw invalidURL(input, prefix);
    }
    return {
      href: String(url.href),
      hasCredentials: url.username !== "" || url.password !== "",
    };
  }
  return parseURLFallback(input, prefix);
}

function invalidURL(input, prefix) {
  return new TypeError(`${prefix}: Invalid URL: '${input}'`);
}

function parseURLFallback(input, prefix) {
  // URL Standard §4.4 basic URL parser, steps 1-3: strip leading and trailing C0 controls
  // and spaces, remove every ASCII tab and newline.
  let start = 0;
  let end = input.length;
  while (start < end && StringPrototypeCharCodeAt(input, start) <= 0x20) start++;
  while (end > start && StringPrototypeCharCodeAt(input, end - 1) <= 0x20) end--;
  let string = StringPrototypeSlice(input, start, end);
  if (RegExpPrototypeExec(TAB_OR_NEWLINE, string) !== null) {
    let kept = "";
    for (let i = 0; i < string.length; i++) {
      const code = StringPrototypeCharCodeAt(string, i);
      if (code !== 0x09 && code !== 0x0a && code !== 0x0d) kept += string[i];
    }
    string = kept;
  }

  const schemeMatch = RegExpPrototypeExec(URL_SCHEME, string);
  if (schemeMatch === null) throw invalidURL(input, prefix);
  const scheme = StringPrototypeToLowerCase(StringPrototypeSlice(schemeMatch[0], 0, -1));
  let rest = StringPrototypeSlice(string, schemeMatch[0].length);

  const defaultPort = SPECIAL_SCHEME_PORTS[scheme];
  if (defaultPort === undefined) {
    // Non-special schemes (data:, mailto:, file: here too) are kept as written.
    return { href: `${scheme}:${percentEncodeNonPrintable(rest)}`, hasCredentials: false };
  }

  if (!StringPrototypeStartsWith(rest, "//")) throw invalidURL(input, prefix);
  rest = StringPrototypeSlice(rest, 2);
  let authorityEnd = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === "/" || c === "?" || c === "#" || c === "\\") {
      authorityEnd = i;
      break;
    }
  }
  let authority = StringPrototypeSlice(rest, 0, authorityEnd);
  let path = StringPrototypeSlice(rest, authorityEnd);

  const at = StringPrototypeLastIndexOf(authority, "@");
  const userinfo = at === -1 ? "" : StringPrototypeSlice(authority, 0, at + 1);
  let hostPort = at === -1 ? authority : StringPrototypeSlice(authority, at + 1);
  let port = "";
  const colon = StringPrototypeLastIndexOf(hostPort, ":");
  if (colon !== -1 && StringPrototypeIndexOf(hostPort, "]", colon) === -1) {
    port = StringPrototypeSlice(hostPort, colon + 1);
    hostPort = StringPrototypeSlice(hostPort, 0, colon);
  }
  const host = StringPrototypeToLowerCase(hostPort);
  if (host === "" || RegExpPrototypeExec(URL_HOST, host) === null) throw invalidURL(input, prefix);
  if (RegExpPrototypeExec(URL_PORT, port) === null || (port !== "" && +port > 65535)) {
    throw invalidURL(input, prefix);
  }
  if (port !== "") {
    port = String(+port); // "0080" is port 80
    if (port === defaultPort) port = "";
  }
  authority = userinfo + host + (port === "" ? "" : `:${port}`);

  // Special schemes treat "\" as "/" in the path (not in the query or fragment), and
  // always have a path.
  if (StringPrototypeIncludes(path, "\\")) {
    let normalized = "";
    let inPath = true;
    for (let i = 0; i < path.length; i++) {
      const c = path[i];
      if (c === "?" || c === "#") inPath = false;
      normalized += inPath && c === "\\" ? "/" : c;
    }
    path = normalized;
  }
  if (path === "" || path[0] !== "/") path = "/" + path;
  path = percentEncodeNonPrintable(path);

  return { href: `${scheme}://${authority}${path}`, hasCredentials: userinfo !== "" };
}

// Percent-encodes (as UTF-8) everything outside printable ASCII, so the result is always
// a valid ByteString (a Location header value, for one).
function percentEncodeNonPrintable(string) {
  if (RegExpPrototypeExec(NON_PRINTABLE, string) === null) return string;
  let out = "";
  let runStart = -1;
  for (let i = 0; i <= string.length; i++) {
    const code = i < string.length ? StringPrototypeCharCodeAt(string, i) : 0x41;
    const printable = code > 0x20 && code < 0x7f;
    if (!printable && runStart === -1) {
      runStart = i;
    } else if (printable && runStart !== -1) {
      out += encodeURIComponent(toWellFormed(StringPrototypeSlice(string, runStart, i)));
      runStart = -1;
    }
    if (printable && i < string.length) out += string[i];
  }
  return out;
}
