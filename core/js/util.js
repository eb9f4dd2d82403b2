// util.js: the shared scope of the JS layer.
//
// Every file listed in order.txt is concatenated inside one function,
// `(function (ops, globalThis) { "use strict"; ... return internals; })`, so the files
// share this scope. This one declares `internals` (what native code receives), the
// built-ins the layer captures, and the WebIDL-style helpers the classes use.
//
// Why capture built-ins ("primordials"): user code runs in the same realm and may
// replace Array.prototype.push, Object.defineProperty, globalThis.TypeError and so on.
// The layer is evaluated before any user code, so what it captures here is pristine.
// The `const` declarations below shadow the globals for the whole layer, which keeps
// the code readable (`new TypeError(...)` means the real one) without a prefix.

const internals = { __proto__: null };

const {
  Array,
  ArrayBuffer,
  BigInt,
  Boolean,
  DataView,
  Date,
  Error,
  EvalError,
  Float32Array,
  Float64Array,
  Function,
  Int8Array,
  Int16Array,
  Int32Array,
  BigInt64Array,
  BigUint64Array,
  JSON,
  Map,
  Math,
  Number,
  Object,
  Promise,
  RangeError,
  ReferenceError,
  Reflect,
  RegExp,
  Set,
  String,
  Symbol,
  SyntaxError,
  TypeError,
  URIError,
  Uint8Array,
  Uint8ClampedArray,
  Uint16Array,
  Uint32Array,
  WeakMap,
  WeakSet,
  encodeURIComponent,
  parseFloat,
  parseInt,
} = globalThis;
// May be missing when the embedder disables it; every use checks.
const SharedArrayBuffer = globalThis.SharedArrayBuffer;

// `uncurryThis(Array.prototype.push)(arr, x)` calls the captured method on `arr`.
const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
const uncurryGetter = (proto, name) =>
  uncurryThis(Object.getOwnPropertyDescriptor(proto, name).get);

const ArrayIsArray = Array.isArray;
const ArrayPrototypeIncludes = uncurryThis(Array.prototype.includes);
const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf);
const ArrayPrototypeJoin = uncurryThis(Array.prototype.join);
const ArrayPrototypePush = uncurryThis(Array.prototype.push);
const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
const ArrayPrototypeSplice = uncurryThis(Array.prototype.splice);
const ArrayBufferIsView = ArrayBuffer.isView;
const ArrayBufferPrototypeGetByteLength = uncurryGetter(ArrayBuffer.prototype, "byteLength");
const ArrayBufferPrototypeSlice = uncurryThis(ArrayBuffer.prototype.slice);
const BigIntPrototypeValueOf = uncurryThis(BigInt.prototype.valueOf);
const BooleanPrototypeValueOf = uncurryThis(Boolean.prototype.valueOf);
const DataViewPrototypeGetBuffer = uncurryGetter(DataView.prototype, "buffer");
const DataViewPrototypeGetByteLength = uncurryGetter(DataView.prototype, "byteLength");
const DataViewPrototypeGetByteOffset = uncurryGetter(DataView.prototype, "byteOffset");
const DatePrototypeGetTime = uncurryThis(Date.prototype.getTime);
const DatePrototypeToISOString = uncurryThis(Date.prototype.toISOString);
const DateNow = Date.now;
const ErrorCaptureStackTrace = Error.captureStackTrace; // V8 extension
const FunctionPrototypeToString = uncurryThis(Function.prototype.toString);
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const MapPrototypeClear = uncurryThis(Map.prototype.clear);
const MapPrototypeDelete = uncurryThis(Map.prototype.delete);
const MapPrototypeForEach = uncurryThis(Map.prototype.forEach);
const MapPrototypeGet = uncurryThis(Map.prototype.get);
const MapPrototypeHas = uncurryThis(Map.prototype.has);
const MapPrototypeSet = uncurryThis(Map.prototype.set);
const MapPrototypeGetSize = uncurryGetter(Map.prototype, "size");
const MathFloor = Math.floor;
const MathMax = Math.max;
const MathMin = Math.min;
const MathRound = Math.round;
const MathSqrt = Math.sqrt;
const MathTrunc = Math.trunc;
const NumberIsFinite = Number.isFinite;
const NumberPrototypeToFixed = uncurryThis(Number.prototype.toFixed);
const NumberPrototypeValueOf = uncurryThis(Number.prototype.valueOf);
const ObjectCreate = Object.create;
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetOwnPropertyDescriptors = Object.getOwnPropertyDescriptors;
const ObjectFreeze = Object.freeze;
const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectIs = Object.is;
const ObjectKeys = Object.keys;
const ObjectPrototypeIsPrototypeOf = uncurryThis(Object.prototype.isPrototypeOf);
const ObjectPrototypeHasOwnProperty = uncurryThis(Object.prototype.hasOwnProperty);
const ObjectPrototypePropertyIsEnumerable = uncurryThis(Object.prototype.propertyIsEnumerable);
const ObjectPrototypeToString = uncurryThis(Object.prototype.toString);
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ReflectApply = Reflect.apply;
const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const ReflectOwnKeys = Reflect.ownKeys;
const RegExpPrototypeExec = uncurryThis(RegExp.prototype.exec);
const RegExpPrototypeToString = uncurryThis(RegExp.prototype.toString);
const SetPrototypeAdd = uncurryThis(Set.prototype.add);
const SetPrototypeForEach = uncurryThis(Set.prototype.forEach);
const SetPrototypeGetSize = uncurryGetter(Set.prototype, "size");
const StringFromCharCode = String.fromCharCode;
const StringPrototypeCharCodeAt = uncurryThis(String.prototype.charCodeAt);
const StringPrototypeCodePointAt = uncurryThis(String.prototype.codePointAt);
const StringPrototypeReplace = uncurryThis(String.prototype.replace);
const StringPrototypeIncludes = uncurryThis(String.prototype.includes);
const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf);
const StringPrototypeLastIndexOf = uncurryThis(String.prototype.lastIndexOf);
const StringPrototypeRepeat = uncurryThis(String.prototype.repeat);
const StringPrototypeSlice = uncurryThis(String.prototype.slice);
const StringPrototypeSplit = uncurryThis(String.prototype.split);
const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith);
const StringPrototypeToLowerCase = uncurryThis(String.prototype.toLowerCase);
const StringPrototypeToUpperCase = uncurryThis(String.prototype.toUpperCase);
const StringPrototypeValueOf = uncurryThis(String.prototype.valueOf);
const SymbolIterator = Symbol.iterator;
const SymbolToStringTag = Symbol.toStringTag;
const SymbolPrototypeToString = uncurryThis(Symbol.prototype.toString);
const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
const TypedArrayPrototypeGetBuffer = uncurryGetter(TypedArrayPrototype, "buffer");
const TypedArrayPrototypeGetByteLength = uncurryGetter(TypedArrayPrototype, "byteLength");
const TypedArrayPrototypeGetByteOffset = uncurryGetter(TypedArrayPrototype, "byteOffset");
const TypedArrayPrototypeGetLength = uncurryGetter(TypedArrayPrototype, "length");
const TypedArrayPrototypeGetSymbolToStringTag = uncurryGetter(TypedArrayPrototype, SymbolToStringTag);
const TypedArrayPrototypeSet = uncurryThis(TypedArrayPrototype.set);
const WeakMapPrototypeGet = uncurryThis(WeakMap.prototype.get);
const WeakMapPrototypeSet = uncurryThis(WeakMap.prototype.set);
const WeakMapPrototypeHas = uncurryThis(WeakMap.prototype.has);
const WeakSetPrototypeAdd = uncurryThis(WeakSet.prototype.add);
const WeakSetPrototypeHas = uncurryThis(WeakSet.prototype.has);
const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf([][SymbolIterator]()));
const SharedArrayBufferPrototypeGetByteLength =
  SharedArrayBuffer === undefined ? undefined : uncurryGetter(SharedArrayBuffer.prototype, "byteLength");

// The ABI codes dispatch settles with (negative numbers, see ffi/ski.h). EIMPORT is
// native code's to use, through internals.isImportError.
const { ETHROWN, EREJECTED, ENOTRESPONSE, ENOHANDLER } = ops.codes;

// Passed as the first constructor argument by the layer's own code to build an object
// from already-validated parts. User code can never obtain this symbol, so the public
// constructors cannot be driven down the internal path.
const kInternal = Symbol("ski.internal");

// ---- installing things on the global object ---------------------------------------------

// Globals are installed as the Web platform does: non-enumerable, writable, configurable.
function defineGlobal(name, value) {
  ObjectDefineProperty(globalThis, name, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

// WebIDL: @@toStringTag on an interface prototype is { writable: false, enumerable: false,
// configurable: true }.
function setToStringTag(target, tag) {
  ObjectDefineProperty(target, SymbolToStringTag, { value: tag, configurable: true });
}

// Defines the methods and accessors of `source` (an object literal) on `target` with the
// attributes class members get: non-enumerable, writable (methods), configurable.
function defineMembers(target, source) {
  const descriptors = ObjectGetOwnPropertyDescriptors(source);
  const keys = ReflectOwnKeys(descriptors);
  for (let i = 0; i < keys.length; i++) {
    const descriptor = descriptors[keys[i]];
    descriptor.enumerable = false;
    ObjectDefineProperty(target, keys[i], descriptor);
  }
}

// ---- WebIDL-style argument handling ----------------------------------------------------
// Messages follow Chrome/Deno: "Failed to construct 'Headers': ..." for constructors,
// "Failed to execute 'append' on 'Headers': ..." for operations.

function constructPrefix(iface) {
  return `Failed to construct '${iface}'`;
}

function executePrefix(iface, operation) {
  return `Failed to execute '${operation}' on '${iface}'`;
}

function requiredArguments(present, required, prefix) {
  if (present < required) {
    throw new TypeError(
      `${prefix}: ${required} argument${required === 1 ? "" : "s"} required, but only ${present} present.`,
    );
  }
}

function illegalInvocation(prefix) {
  return new TypeError(`${prefix}: Illegal invocation`);
}

// WebIDL DOMString: ToString, except that Symbols throw (String(symbol) would not).
function toDOMString(value, prefix, what) {
  if (typeof value === "string") return value;
  if (typeof value === "symbol") {
    throw new TypeError(`${prefix}: ${what} is a Symbol, which cannot be converted to a string.`);
  }
  return String(value);
}

// WebIDL ByteString: a DOMString whose every code unit is at most 0xFF.
function toByteString(value, prefix, what) {
  const string = toDOMString(value, prefix, what);
  for (let i = 0; i < string.length; i++) {
    const code = StringPrototypeCharCodeAt(string, i);
    if (code > 0xff) {
      throw new TypeError(
        `${prefix}: ${what} is not a valid ByteString: the character at index ${i} ` +
          `is U+${hex4(code)}, greater than U+00FF.`,
      );
    }
  }
  return string;
}

// WebIDL USVString: a DOMString with lone surrogates replaced by U+FFFD.
function toUSVString(value, prefix, what) {
  return toWellFormed(toDOMString(value, prefix, what));
}

// String.prototype.toWellFormed arrived after V8 10.2, hence this loop.
function toWellFormed(string) {
  const length = string.length;
  let i = 0;
  for (; i < length; i++) {
    const code = StringPrototypeCharCodeAt(string, i);
    if (code >= 0xd800 && code <= 0xdfff) break;
  }
  if (i === length) return string;
  let out = StringPrototypeSlice(string, 0, i);
  for (; i < length; i++) {
    const code = StringPrototypeCharCodeAt(string, i);
    if (code < 0xd800 || code > 0xdfff) {
      out += string[i];
    } else if (code <= 0xdbff && i + 1 < length) {
      const next = StringPrototypeCharCodeAt(string, i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += string[i] + string[i + 1];
        i++;
      } else {
        out += "\ufffd";
      }
    } else {
      out += "\ufffd";
    }
  }
  return out;
}

// WebIDL unsigned short: ToNumber (BigInt and Symbol throw), then modulo 2^16.
function toUnsignedShort(value) {
  let number = +value;
  if (!NumberIsFinite(number)) return 0;
  number = MathTrunc(number) % 65536;
  return number < 0 ? number + 65536 : number + 0; // + 0 turns -0 into 0
}

// WebIDL dictionaries: undefined and null mean "all defaults", objects are read member by
// member (in lexicographical order, by the caller), anything else is a TypeError.
// Defaults come from an object with no prototype, so nothing is read from a polluted
// Object.prototype when the caller passed no dictionary at all; one frozen object for all.
const EMPTY_DICTIONARY = ObjectFreeze({ __proto__: null });

function toDictionary(value, prefix, type) {
  if (value === undefined || value === null) return EMPTY_DICTIONARY;
  if (typeof value === "object" || typeof value === "function") return value;
  throw new TypeError(`${prefix}: The provided value is not of type '${type}'.`);
}

function toEnum(value, allowed, prefix, type) {
  const string = toDOMString(value, prefix, type);
  if (!ArrayPrototypeIncludes(allowed, string)) {
    throw new TypeError(
      `${prefix}: The provided value '${string}' is not a valid enum value of type ${type}.`,
    );
  }
  return string;
}

function hex4(code) {
  let text = StringPrototypeToUpperCase(code.toString(16));
  while (text.length < 4) text = "0" + text;
  return text;
}

// ---- buffer sources ----------------------------------------------------------------------

// Brand checks: ops.builtinKind(value) names the built-in whose internal slots a value
// has (a number from ops.kinds, 0 for none). It never throws and runs no Proxy trap,
// where a built-in getter in a try block costs microseconds per miss (a TypeError with a
// stack).
const KIND = ops.kinds;

function isArrayBuffer(value) {
  return ops.builtinKind(value) === KIND.arrayBuffer;
}

function isSharedArrayBuffer(value) {
  return ops.builtinKind(value) === KIND.sharedArrayBuffer;
}

// The getter returns undefined (and never throws) for anything but a typed array.
function typedArrayKind(value) {
  return TypedArrayPrototypeGetSymbolToStringTag(value);
}

function isUint8Array(value) {
  return typedArrayKind(value) === "Uint8Array";
}

// A Uint8Array viewing the bytes of an ArrayBuffer, SharedArrayBuffer or ArrayBufferView
// (no copy), or undefined if `value` is none of these. Detached buffers read as empty,
// as WebIDL's "get a copy of the bytes held by the buffer source" says.
function bufferSourceView(value) {
  if (typeof value !== "object" || value === null) return undefined;
  let buffer, offset, length;
  if (ArrayBufferIsView(value)) {
    if (typedArrayKind(value) !== undefined) {
      buffer = TypedArrayPrototypeGetBuffer(value);
      offset = TypedArrayPrototypeGetByteOffset(value);
      length = TypedArrayPrototypeGetByteLength(value);
    } else {
      buffer = DataViewPrototypeGetBuffer(value);
      try {
        offset = DataViewPrototypeGetByteOffset(value);
        length = DataViewPrototypeGetByteLength(value);
      } catch {
        return new Uint8Array(0); // detached
      }
    }
  } else if (isArrayBuffer(value)) {
    buffer = value;
    offset = 0;
    length = ArrayBufferPrototypeGetByteLength(value);
  } else if (isSharedArrayBuffer(value)) {
    buffer = value;
    offset = 0;
    length = SharedArrayBufferPrototypeGetByteLength(value);
  } else {
    return undefined;
  }
  // new Uint8Array(detachedBuffer, 0, 0) throws, and a detached buffer reports length 0.
  if (length === 0) return new Uint8Array(0);
  return new Uint8Array(buffer, offset, length);
}

function copyBytes(view) {
  const copy = new Uint8Array(TypedArrayPrototypeGetLength(view));
  TypedArrayPrototypeSet(copy, view);
  return copy;
}

function concatBytes(chunks, total) {
  const out = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    TypedArrayPrototypeSet(out, chunks[i], offset);
    offset += TypedArrayPrototypeGetLength(chunks[i]);
  }
  return out;
}

// The ArrayBuffer behind `bytes`, without a copy when the view covers all of it. Only
// used for bytes the layer owns exclusively (a consumed body).
function bytesToArrayBuffer(bytes) {
  const buffer = TypedArrayPrototypeGetBuffer(bytes);
  const offset = TypedArrayPrototypeGetByteOffset(bytes);
  const length = TypedArrayPrototypeGetByteLength(bytes);
  if (offset === 0 && length === ArrayBufferPrototypeGetByteLength(buffer)) return buffer;
  return ArrayBufferPrototypeSlice(buffer, offset, offset + length);
}

// ---- describing values for messages -----------------------------------------------------

// Descriptors are ordinary objects, so reading a field one lacks (`get` of a data
// property, `value` of an accessor) would consult Object.prototype, which user code may
// have polluted. Code that inspects user objects checks the kind first.
function isDataDescriptor(descriptor) {
  return ObjectPrototypeHasOwnProperty(descriptor, "value");
}

// The value of an own data property, or undefined (missing, or an accessor).
function ownDataValue(object, key) {
  const descriptor = ReflectGetOwnPropertyDescriptor(object, key);
  return descriptor !== undefined && isDataDescriptor(descriptor) ? descriptor.value : undefined;
}

function isErrorObject(value) {
  try {
    return ObjectPrototypeToString(value) === "[object Error]";
  } catch {
    return false; // a revoked Proxy
  }
}

// The name of the constructor an object was made by, looked up as util.inspect does:
// the first `constructor` data property on the prototype chain that is a named function.
// Returns null for objects without one (null prototype). Never throws.
function constructorNameOf(object) {
  try {
    let proto = object;
    while (proto !== null) {
      const constructor = ownDataValue(proto, "constructor");
      if (typeof constructor === "function") {
        const name = ownDataValue(constructor, "name");
        if (typeof name === "string" && name !== "") return name;
      }
      proto = ObjectGetPrototypeOf(proto);
    }
  } catch {
    // a Proxy whose traps throw: fall through
  }
  return null;
}

// A short phrase naming what a value is, for messages such as
// "fetch handler returned an object (Object), expected a Response".
function describeKind(value) {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string": {
      const shown = value.length > 40 ? StringPrototypeSlice(value, 0, 40) + "..." : value;
      return `a string (${JSONStringify(shown)})`;
    }
    case "number":
      return `a number (${ObjectIs(value, -0) ? "-0" : String(value)})`;
    case "boolean":
      return `a boolean (${value})`;
    case "bigint":
      return `a bigint (${String(value)}n)`;
    case "symbol":
      return `a symbol (${SymbolPrototypeToString(value)})`;
    case "function": {
      let name = "";
      try {
        const own = ownDataValue(value, "name");
        if (typeof own === "string") name = own;
      } catch {
        // a Proxy: no name
      }
      return name === "" ? "a function" : `a function (${name})`;
    }
    default: {
      if (value === null) return "null";
      const name = constructorNameOf(value);
      return `an object (${name === null ? "null prototype" : name})`;
    }
  }
}

// ---- stack traces --------------------------------------------------------------------------

// The name native code gave this layer's script ("ski:runtime"), read from a stack trace
// the first time it is needed, or null if it cannot be found. (Not at load time: the
// layer is loaded while the startup snapshot is made, where V8 formats no stack traces.)
let layerScript;

function probeLayerScript() {
  if (layerScript !== undefined) return layerScript;
  try {
    const holder = {};
    ErrorCaptureStackTrace(holder);
    const lines = StringPrototypeSplit(String(holder.stack), "\n");
    for (let i = 1; i < lines.length; i++) {
      const match = RegExpPrototypeExec(/^\s*at probeLayerScript \((.*):\d+:\d+\)$/, lines[i]);
      if (match !== null) return (layerScript = match[1]);
    }
  } catch {
    // no stack traces: nothing to strip
  }
  return null;
}

function isFrame(line) {
  let start = 0;
  while (start < line.length && line[start] === " ") start++;
  return start > 0 && StringPrototypeStartsWith(line, "at ", start);
}

function isLayerFrame(line, script) {
  return isFrame(line) &&
    (StringPrototypeIncludes(line, `(${script}:`) || StringPrototypeIncludes(line, ` at ${script}:`));
}

// Trims this layer's frames from a stack, keeping what helps the reader:
//   - at the top, the layer's helpers an error was thrown from (invalidURL, #append...)
//     are dropped, but the API the worker called (`new Request`) is kept;
//   - at the bottom, below the worker's own frames, there is only the dispatch machinery
//     (dispatchToHandler, runMicrotask...), which is dropped.
function stripLayerFrames(stack) {
  const script = probeLayerScript();
  if (script === null || !StringPrototypeIncludes(stack, script)) return stack;
  const lines = StringPrototypeSplit(stack, "\n");
  let first = 0;
  while (first < lines.length && !isFrame(lines[first])) first++;
  let top = first;
  while (top < lines.length && isLayerFrame(lines[top], script)) top++;
  let end = lines.length;
  while (end > top && isLayerFrame(lines[end - 1], script)) end--;
  if (top === lines.length) return stack; // only layer frames: keep them all
  const kept = ArrayPrototypeSlice(lines, 0, first);
  if (top > first) ArrayPrototypePush(kept, lines[top - 1]);
  for (let i = top; i < end; i++) ArrayPrototypePush(kept, lines[i]);
  return ArrayPrototypeJoin(kept, "\n");
}

// internals.describe: the operator's text for a thrown value. An Error's stack (V8 puts
// "Name: message" and the frames with file:line:column in it; trimmed of the layer's
// noise by stripLayerFrames), or "Name: message" when there is no stack; another object
// as console.log prints it; else String(value). Never throws.
function describe(value) {
  try {
    if ((typeof value === "object" && value !== null) || typeof value === "function") {
      let stack;
      try {
        stack = value.stack;
      } catch {
        // a throwing getter: ignore it
      }
      if (typeof stack === "string" && stack !== "") return stripLayerFrames(stack);
      if (isErrorObject(value)) {
        let name = "Error";
        let message = "";
        try {
          name = String(value.name);
          message = String(value.message);
        } catch {
          // keep what was read
        }
        return message === "" ? name : `${name}: ${message}`;
      }
      // a thrown object that is no Error: as console.log shows it ({ code: 1 }), not
      // "[object Object]"
      return inspect(value);
    }
    return String(value);
  } catch {
    try {
      return ObjectPrototypeToString(value);
    } catch {
      return "[a value that cannot be converted to a string]";
    }
  }
}

internals.describe = describe;

// ---- more WebIDL helpers ------------------------------------------------------------------

// WebIDL `unsigned long long` / `long long` ([EnforceRange] not applied): ToNumber,
// non-finite to 0, truncated. Values beyond 2^53 lose precision, as in every engine.
function toLongLong(value) {
  const number = +value;
  if (!NumberIsFinite(number)) return 0;
  return MathTrunc(number) + 0;
}

// WebIDL `unsigned long` with [EnforceRange]: a TypeError outside [0, 2^32 - 1].
function toEnforcedUnsignedLong(value, prefix, what) {
  const number = +value;
  if (!NumberIsFinite(number)) {
    throw new TypeError(`${prefix}: ${what} is not a finite number.`);
  }
  const integer = MathTrunc(number);
  if (integer < 0 || integer > 4294967295) {
    throw new TypeError(`${prefix}: ${what} is outside the range [0, 4294967295].`);
  }
  return integer + 0;
}

function isObjectLike(value) {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

// WebIDL sequence<T> from any iterable object ("create a sequence from an iterable"), or
// a TypeError naming what it expected.
function toSequence(value, prefix, what = "The provided value") {
  if (!isObjectLike(value)) {
    throw new TypeError(`${prefix}: ${what} cannot be converted to a sequence.`);
  }
  const method = value[SymbolIterator];
  if (typeof method !== "function") {
    throw new TypeError(`${prefix}: ${what} cannot be converted to a sequence.`);
  }
  return iterableToArray(value, method, prefix);
}

// Latin-1 string <-> bytes (each code unit is one byte; the caller checked <= 0xFF).
function latin1ToBytes(string) {
  const bytes = new Uint8Array(string.length);
  for (let i = 0; i < string.length; i++) bytes[i] = StringPrototypeCharCodeAt(string, i);
  return bytes;
}

// String.fromCharCode over an array-like of code units, in slices small enough for the
// engine's argument limit.
function codeUnitsToString(units, length = units.length) {
  let out = "";
  for (let i = 0; i < length; i += 8192) {
    const end = MathMin(i + 8192, length);
    out += ReflectApply(StringFromCharCode, null, ArrayPrototypeSlice(units, i, end));
  }
  return out;
}

function bytesToLatin1(bytes) {
  let out = "";
  const length = TypedArrayPrototypeGetLength(bytes);
  for (let i = 0; i < length; i += 8192) {
    const end = MathMin(i + 8192, length);
    out += ReflectApply(StringFromCharCode, null, TypedArrayPrototypeSubarray(bytes, i, end));
  }
  return out;
}

const TypedArrayPrototypeSubarray = uncurryThis(TypedArrayPrototype.subarray);

// WebIDL pair iterators (§3.7.9) for URLSearchParams and FormData: entries, keys, values,
// forEach and @@iterator on the prototype; iterator objects whose prototype inherits from
// %IteratorPrototype%, with `next` and @@toStringTag "<Interface> Iterator". `listOf(self,
// prefix)` brand-checks and returns the live list of [name, value] pairs.
function definePairIterable(Class, iface, listOf) {
  const lists = new WeakMap(); // iterator -> { target, kind, index }
  const iteratorPrototype = ObjectCreate(IteratorPrototype);
  defineMembers(iteratorPrototype, {
    next() {
      const state = typeof this === "object" && this !== null ? WeakMapPrototypeGet(lists, this) : undefined;
      if (state === undefined) throw illegalInvocation(executePrefix(`${iface} Iterator`, "next"));
      const list = listOf(state.target, "");
      const index = state.index;
      if (index >= list.length) return { value: undefined, done: true };
      state.index = index + 1;
      const pair = list[index];
      const kind = state.kind;
      return { value: kind === "key" ? pair[0] : kind === "value" ? pair[1] : [pair[0], pair[1]], done: false };
    },
  });
  setToStringTag(iteratorPrototype, `${iface} Iterator`);
  const make = (target, kind) => {
    const iterator = ObjectCreate(iteratorPrototype);
    WeakMapPrototypeSet(lists, iterator, { target, kind, index: 0 });
    return iterator;
  };
  defineMembers(Class.prototype, {
    entries() {
      listOf(this, executePrefix(iface, "entries"));
      return make(this, "key+value");
    },
    keys() {
      listOf(this, executePrefix(iface, "keys"));
      return make(this, "key");
    },
    values() {
      listOf(this, executePrefix(iface, "values"));
      return make(this, "value");
    },
    forEach(callback, thisArg = undefined) {
      const prefix = executePrefix(iface, "forEach");
      const list = listOf(this, prefix);
      requiredArguments(arguments.length, 1, prefix);
      if (typeof callback !== "function") {
        throw new TypeError(`${prefix}: The callback provided as parameter 1 is not a function.`);
      }
      for (let i = 0; i < list.length; i++) {
        const pair = list[i];
        ReflectApply(callback, thisArg, [pair[1], pair[0], this]);
      }
    },
  });
  ObjectDefineProperty(Class.prototype, SymbolIterator, {
    value: Class.prototype.entries, writable: true, enumerable: false, configurable: true,
  });
}
