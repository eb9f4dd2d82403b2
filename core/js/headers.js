// headers.js: the Headers class (WHATWG Fetch §5.2) and the helpers Request, Response and
// dispatch use on it.
//
// The header list is stored flat, [name, value, name, value, ...], with names already
// lowercased: every observable operation of Headers is case-insensitive and iteration
// lowercases names anyway ("sort and combine"), so the original case is never needed.
//
// Guards: "none" (new Headers()), "request", "response" and "immutable". Server-side
// runtimes (workerd, Deno) do not enforce the browser's forbidden request/response header
// names, so only "immutable" restricts anything here; the other states are kept so that
// clone() preserves them and the later Web API work can hang rules on them.

// RFC 9110 §5.6.2 token: 1*tchar. TCHAR[c] is 1 for a tchar, 2 for an uppercase one.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TCHAR[StringPrototypeCharCodeAt(c, 0)] = 1;
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[StringPrototypeCharCodeAt(c, 0)] = 2;

// 0: not a token; 1: a lowercase token; 2: a token with uppercase letters.
function tokenKind(string) {
  const length = string.length;
  if (length === 0) return 0;
  let kind = 1;
  for (let i = 0; i < length; i++) {
    const code = StringPrototypeCharCodeAt(string, i);
    const t = code < 128 ? TCHAR[code] : 0;
    if (t === 0) return 0;
    if (t === 2) kind = 2;
  }
  return kind;
}

function isHTTPToken(string) {
  return tokenKind(string) !== 0;
}

// Fetch §2.2 "HTTP whitespace": TAB, LF, CR, SPACE.
function isHTTPWhitespace(code) {
  return code === 0x09 || code === 0x0a || code === 0x0d || code === 0x20;
}

// Fetch §2.2.2 "normalize": strip leading and trailing HTTP whitespace.
function normalizeHeaderValue(value) {
  let start = 0;
  let end = value.length;
  while (start < end && isHTTPWhitespace(StringPrototypeCharCodeAt(value, start))) start++;
  while (end > start && isHTTPWhitespace(StringPrototypeCharCodeAt(value, end - 1))) end--;
  return start === 0 && end === value.length ? value : StringPrototypeSlice(value, start, end);
}

// Validates a header name (already a ByteString) and returns it lowercased.
function checkHeaderName(name, prefix) {
  const kind = tokenKind(name);
  if (kind === 0) {
    throw new TypeError(
      `${prefix}: Invalid header name ${JSONStringify(name)}: a header name must be a ` +
        "non-empty HTTP token (letters, digits and !#$%&'*+-.^_`|~).",
    );
  }
  return kind === 2 ? StringPrototypeToLowerCase(name) : name;
}

// Normalizes a header value (already a ByteString) and checks it is a valid value
// (Fetch §2.2.2: no NUL, CR or LF once normalized).
function checkHeaderValue(value, lowerName, prefix) {
  value = normalizeHeaderValue(value);
  for (let i = 0; i < value.length; i++) {
    const code = StringPrototypeCharCodeAt(value, i);
    if (code === 0x00 || code === 0x0a || code === 0x0d) {
      const what = code === 0 ? "NUL" : code === 0x0a ? "LF (newline)" : "CR (carriage return)";
      throw new TypeError(
        `${prefix}: Invalid value for header "${lowerName}": it contains a ${what} character ` +
          `at index ${i}, which header values must not contain.`,
      );
    }
  }
  return value;
}

// The operations on Headers the rest of the layer uses; filled in by the class's static
// block, which is the only place outside the methods that can reach its private fields.
let headersInternals;

class Headers {
  #list = [];
  #guard = "none";
  // Cache of "sort and combine" (flat, like #list); dropped on every change.
  #sorted = null;

  constructor(init = undefined, guard = undefined) {
    if (init === kInternal) {
      this.#guard = guard;
      return;
    }
    if (init !== undefined) this.#fill(init, constructPrefix("Headers"));
  }

  static #is(value) {
    return typeof value === "object" && value !== null && #list in value;
  }

  static #check(self, prefix) {
    if (!Headers.#is(self)) throw illegalInvocation(prefix);
  }

  // Fetch §5.2 "fill": from a Headers, a sequence of [name, value] pairs, or a record.
  #fill(init, prefix) {
    if ((typeof init !== "object" && typeof init !== "function") || init === null) {
      throw new TypeError(
        `${prefix}: The provided value is not of type ` +
          "'(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.",
      );
    }
    if (Headers.#is(init)) {
      // Copying the raw list is indistinguishable from iterating `init` (which would yield
      // combined values) and does not run a user-replaceable @@iterator.
      const list = init.#list;
      for (let i = 0; i < list.length; i += 2) this.#append(list[i], list[i + 1], prefix);
      return;
    }
    const method = init[SymbolIterator];
    if (method !== undefined && method !== null) {
      // sequence<sequence<ByteString>>
      if (typeof method !== "function") {
        throw new TypeError(`${prefix}: The object's [Symbol.iterator] is not a function.`);
      }
      const pairs = iterableToArray(init, method, prefix);
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        if ((typeof pair !== "object" && typeof pair !== "function") || pair === null) {
          throw new TypeError(
            `${prefix}: Invalid header at index ${i}: expected a [name, value] sequence, ` +
              `got ${describeKind(pair)}.`,
          );
        }
        const pairMethod = pair[SymbolIterator];
        if (typeof pairMethod !== "function") {
          throw new TypeError(
            `${prefix}: Invalid header at index ${i}: expected a [name, value] sequence, ` +
              "got a non-iterable object.",
          );
        }
        const items = iterableToArray(pair, pairMethod, prefix);
        if (items.length !== 2) {
          throw new TypeError(
            `${prefix}: Invalid header at index ${i}: a header must be a [name, value] pair, ` +
              `but it has ${items.length} item${items.length === 1 ? "" : "s"}.`,
          );
        }
        this.#append(
          toByteString(items[0], prefix, "Header name"),
          toByteString(items[1], prefix, "Header value"),
          prefix,
        );
      }
      return;
    }
    // record<ByteString, ByteString>: own enumerable properties, in [[OwnPropertyKeys]]
    // order (WebIDL §3.2.20). For an ordinary object without symbol keys, for-in visits
    // exactly those string keys in that order (and skips one a getter deleted, as the
    // spec's [[GetOwnProperty]] check does) at a fraction of the cost; a proxy takes the
    // spec's steps, whose traps it can observe.
    if (!ops.isProxy(init) && ObjectGetOwnPropertySymbols(init).length === 0) {
      for (const key in init) {
        if (ObjectPrototypeHasOwnProperty(init, key)) this.#appendMember(init, key, prefix);
      }
      return;
    }
    const keys = ReflectOwnKeys(init);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const descriptor = ReflectGetOwnPropertyDescriptor(init, key);
      if (descriptor !== undefined && descriptor.enumerable) this.#appendMember(init, key, prefix);
    }
  }

  // One member of a record: its key and its value (read now, so a getter runs here).
  #appendMember(init, key, prefix) {
    const name = toByteString(key, prefix, "Header name");
    this.#append(name, toByteString(init[key], prefix, "Header value"), prefix);
  }

  // Fetch §5.2 "append" with name and value already ByteStrings.
  #append(name, value, prefix) {
    const lowerName = checkHeaderName(name, prefix);
    value = checkHeaderValue(value, lowerName, prefix);
    this.#checkMutable(prefix);
    ArrayPrototypePush(this.#list, lowerName, value);
    this.#sorted = null;
  }

  #checkMutable(prefix) {
    if (this.#guard === "immutable") throw new TypeError(`${prefix}: Headers are immutable.`);
  }

  // The combined value of a lowercased name (values joined by ", "), or null.
  #get(lowerName) {
    const list = this.#list;
    let value = null;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === lowerName) value = value === null ? list[i + 1] : `${value}, ${list[i + 1]}`;
    }
    return value;
  }

  #has(lowerName) {
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) if (list[i] === lowerName) return true;
    return false;
  }

  // Fetch §2.2.2 "sort and combine": names sorted (they are lowercase ASCII, so code unit
  // order is byte order), values of a name combined, except set-cookie whose values stay
  // separate entries, in list order.
  #sortAndCombine() {
    if (this.#sorted !== null) return this.#sorted;
    const list = this.#list;
    // Names already strictly ascending (one header, or a few set in order) are their own
    // sorted and combined list: no copy. Every change drops #sorted, so sharing is safe.
    let ascending = true;
    for (let i = 2; i < list.length; i += 2) {
      if (!(list[i - 2] < list[i])) {
        ascending = false;
        break;
      }
    }
    if (ascending) return (this.#sorted = list);
    const names = [];
    for (let i = 0; i < list.length; i += 2) {
      if (!ArrayPrototypeIncludes(names, list[i])) ArrayPrototypePush(names, list[i]);
    }
    ArrayPrototypeSort(names, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const sorted = [];
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      if (name === "set-cookie") {
        for (let i = 0; i < list.length; i += 2) {
          if (list[i] === name) ArrayPrototypePush(sorted, name, list[i + 1]);
        }
      } else {
        ArrayPrototypePush(sorted, name, this.#get(name));
      }
    }
    this.#sorted = sorted;
    return sorted;
  }

  append(name, value) {
    const prefix = executePrefix("Headers", "append");
    Headers.#check(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    name = toByteString(name, prefix, "Header name");
    value = toByteString(value, prefix, "Header value");
    this.#append(name, value, prefix);
  }

  delete(name) {
    const prefix = executePrefix("Headers", "delete");
    Headers.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    const lowerName = checkHeaderName(toByteString(name, prefix, "Header name"), prefix);
    this.#checkMutable(prefix);
    const list = this.#list;
    for (let i = list.length - 2; i >= 0; i -= 2) {
      if (list[i] === lowerName) ArrayPrototypeSplice(list, i, 2);
    }
    this.#sorted = null;
  }

  get(name) {
    const prefix = executePrefix("Headers", "get");
    Headers.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    return this.#get(checkHeaderName(toByteString(name, prefix, "Header name"), prefix));
  }

  getSetCookie() {
    Headers.#check(this, executePrefix("Headers", "getSetCookie"));
    const list = this.#list;
    const values = [];
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === "set-cookie") ArrayPrototypePush(values, list[i + 1]);
    }
    return values;
  }

  has(name) {
    const prefix = executePrefix("Headers", "has");
    Headers.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    return this.#has(checkHeaderName(toByteString(name, prefix, "Header name"), prefix));
  }

  set(name, value) {
    const prefix = executePrefix("Headers", "set");
    Headers.#check(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    name = toByteString(name, prefix, "Header name");
    value = toByteString(value, prefix, "Header value");
    const lowerName = checkHeaderName(name, prefix);
    value = checkHeaderValue(value, lowerName, prefix);
    this.#checkMutable(prefix);
    // Fetch §2.2.2 "set": replace the first entry of that name, remove the others.
    const list = this.#list;
    let found = false;
    for (let i = 0; i < list.length; ) {
      if (list[i] !== lowerName) {
        i += 2;
      } else if (!found) {
        list[i + 1] = value;
        found = true;
        i += 2;
      } else {
        ArrayPrototypeSplice(list, i, 2);
      }
    }
    if (!found) ArrayPrototypePush(list, lowerName, value);
    this.#sorted = null;
  }

  // WebIDL iterable<ByteString, ByteString> (§3.7.9): forEach re-reads the sorted list at
  // each step, so changes made by the callback are seen, as in browsers.
  forEach(callback, thisArg = undefined) {
    const prefix = executePrefix("Headers", "forEach");
    Headers.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    if (typeof callback !== "function") {
      throw new TypeError(`${prefix}: The callback provided as parameter 1 is not a function.`);
    }
    for (let i = 0; ; i++) {
      const pairs = this.#sortAndCombine();
      if (i * 2 >= pairs.length) break;
      ReflectApply(callback, thisArg, [pairs[i * 2 + 1], pairs[i * 2], this]);
    }
  }

  entries() {
    Headers.#check(this, executePrefix("Headers", "entries"));
    return new HeadersIterator(kInternal, this, "key+value");
  }

  keys() {
    Headers.#check(this, executePrefix("Headers", "keys"));
    return new HeadersIterator(kInternal, this, "key");
  }

  values() {
    Headers.#check(this, executePrefix("Headers", "values"));
    return new HeadersIterator(kInternal, this, "value");
  }

  static {
    headersInternals = {
      is: (value) => Headers.#is(value),
      create: (guard) => new Headers(kInternal, guard),
      guard: (headers) => headers.#guard,
      setGuard: (headers, guard) => {
        headers.#guard = guard;
      },
      // Fills from a HeadersInit, as `new Headers(init)` does (errors use `prefix`).
      fill: (headers, init, prefix) => headers.#fill(init, prefix),
      // A new Headers with the same list and the given guard (clone()).
      copy: (headers, guard) => {
        const copy = new Headers(kInternal, guard);
        copy.#list = ArrayPrototypeSlice(headers.#list);
        return copy;
      },
      // Appends a name and value the caller has validated (lowercased name).
      appendTrusted: (headers, lowerName, value) => {
        ArrayPrototypePush(headers.#list, lowerName, value);
        headers.#sorted = null;
      },
      has: (headers, lowerName) => headers.#has(lowerName),
      get: (headers, lowerName) => headers.#get(lowerName),
      // The "sort and combine" list, flat. Callers must not modify it.
      sorted: (headers) => headers.#sortAndCombine(),
      // A Headers over a flat list native code has already checked and normalised (the
      // request's headers: lowercased names, normalised values). The list is taken over.
      adopt: (list, guard) => {
        const headers = new Headers(kInternal, guard);
        headers.#list = list;
        return headers;
      },
    };
  }
}

Headers.prototype[SymbolIterator] = Headers.prototype.entries;
ObjectDefineProperty(Headers.prototype, SymbolIterator, { enumerable: false });
setToStringTag(Headers.prototype, "Headers");

// WebIDL "default iterator object" for Headers: its prototype inherits from
// %IteratorPrototype%, has `next` and @@toStringTag "Headers Iterator", no constructor.
class HeadersIterator {
  #headers;
  #kind;
  #index = 0;

  constructor(token, headers, kind) {
    if (token !== kInternal) throw new TypeError("Illegal constructor");
    this.#headers = headers;
    this.#kind = kind;
  }

  next() {
    if (typeof this !== "object" || this === null || !(#headers in this)) {
      throw illegalInvocation(executePrefix("Headers Iterator", "next"));
    }
    const pairs = headersInternals.sorted(this.#headers);
    const index = this.#index;
    if (index * 2 >= pairs.length) return { value: undefined, done: true };
    this.#index = index + 1;
    const name = pairs[index * 2];
    const value = pairs[index * 2 + 1];
    const kind = this.#kind;
    return {
      value: kind === "key" ? name : kind === "value" ? value : [name, value],
      done: false,
    };
  }
}

ObjectSetPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
delete HeadersIterator.prototype.constructor;
setToStringTag(HeadersIterator.prototype, "Headers Iterator");

// Runs `method` (the object's @@iterator, already read) to collect a WebIDL sequence.
function iterableToArray(iterable, method, prefix) {
  const iterator = ReflectApply(method, iterable, []);
  if ((typeof iterator !== "object" && typeof iterator !== "function") || iterator === null) {
    throw new TypeError(`${prefix}: The [Symbol.iterator]() method did not return an object.`);
  }
  const next = iterator.next;
  const items = [];
  for (;;) {
    const result = ReflectApply(next, iterator, []);
    if ((typeof result !== "object" && typeof result !== "function") || result === null) {
      throw new TypeError(`${prefix}: The iterator's next() did not return an object.`);
    }
    if (result.done) return items;
    ArrayPrototypePush(items, result.value);
  }
}

// A sorted and combined list (headersInternals.sorted) as the host takes it:
// "name\0value\0name\0value" (no name or value holds a NUL); see ops.respond.
function headersWire(sorted) {
  let wire = "";
  for (let i = 0; i < sorted.length; i += 2) {
    wire = i === 0 ? `${sorted[0]}\0${sorted[1]}` : `${wire}\0${sorted[i]}\0${sorted[i + 1]}`;
  }
  return wire;
}
