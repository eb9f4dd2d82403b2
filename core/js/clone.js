// clone.js: structuredClone (HTML §2.7 StructuredSerializeWithTransfer followed by
// StructuredDeserializeWithTransfer, done in one pass since both sides are this realm).
//
// Serializable: primitives (not symbols), Boolean/Number/BigInt/String objects, Date,
// RegExp, ArrayBuffer, typed arrays, DataView, Map, Set, Error objects, DOMException,
// Blob, File, arrays and plain objects; cycles and shared references are kept.
// Transfer: ArrayBuffers. Detaching needs the engine (ops.detach, see README.md); without
// it the transferred buffer's contents move to the clone but the original stays usable.

const CLONE_PREFIX = executePrefix("WorkerGlobalScope", "structuredClone");
const ERROR_CONSTRUCTORS = {
  __proto__: null,
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};
const TYPED_ARRAYS = {
  __proto__: null,
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};
const RegExpPrototypeGetSource = uncurryGetter(RegExp.prototype, "source");
const REGEXP_FLAGS = [
  ["hasIndices", "d"], ["global", "g"], ["ignoreCase", "i"], ["multiline", "m"], ["dotAll", "s"],
  ["unicode", "u"], ["sticky", "y"],
];
const REGEXP_FLAG_GETTERS = [];
for (let i = 0; i < REGEXP_FLAGS.length; i++) {
  const descriptor = ReflectGetOwnPropertyDescriptor(RegExp.prototype, REGEXP_FLAGS[i][0]);
  if (descriptor !== undefined) {
    ArrayPrototypePush(REGEXP_FLAG_GETTERS, [uncurryThis(descriptor.get), REGEXP_FLAGS[i][1]]);
  }
}
function dataCloneError(what) {
  return domException(`${CLONE_PREFIX}: ${what} could not be cloned.`, "DataCloneError");
}

function describeUncloneable(value) {
  if (typeof value === "symbol") return SymbolPrototypeToString(value);
  if (typeof value === "function") {
    try {
      const source = FunctionPrototypeToString(value);
      return source.length > 60 ? StringPrototypeSlice(source, 0, 57) + "..." : source;
    } catch {
      return "function";
    }
  }
  if (typeof value === "object" && value !== null) {
    const tag = ObjectPrototypeToString(value);
    return tag === "[object Object]" ? "#<Object>" : tag;
  }
  return String(value);
}

function isLayerPlatformObject(value) {
  return headersInternals.is(value) || requestInternals.is(value) || responseInternals.is(value) ||
    eventInternals.is(value) || eventTargetInternals.is(value) || urlSearchParamsInternals.is(value) ||
    formDataInternals.is(value) || ObjectPrototypeIsPrototypeOf(URL.prototype, value) ||
    ObjectPrototypeIsPrototypeOf(AbortController.prototype, value) ||
    ObjectPrototypeIsPrototypeOf(TextEncoder.prototype, value) ||
    ObjectPrototypeIsPrototypeOf(TextDecoder.prototype, value);
}

function structuredClone(value, options = undefined) {
  requiredArguments(arguments.length, 1, CLONE_PREFIX);
  options = toDictionary(options, CLONE_PREFIX, "StructuredSerializeOptions");
  const transferOption = options.transfer;
  const transfer = transferOption === undefined ? [] : toSequence(transferOption, CLONE_PREFIX, "The transfer list");
  const memory = new Map();
  const detach = [];
  for (let i = 0; i < transfer.length; i++) {
    const buffer = transfer[i];
    if (!isArrayBuffer(buffer)) {
      throw domException(`${CLONE_PREFIX}: Value at index ${i} does not have a transferable type.`, "DataCloneError");
    }
    if (MapPrototypeGet(memory, buffer) !== undefined) {
      throw domException(`${CLONE_PREFIX}: ArrayBuffer at index ${i} is a duplicate of an earlier ArrayBuffer.`, "DataCloneError");
    }
    if (isDetached(buffer)) {
      throw domException(`${CLONE_PREFIX}: ArrayBuffer at index ${i} is already detached.`, "DataCloneError");
    }
    MapPrototypeSet(memory, buffer, ArrayBufferPrototypeSlice(buffer, 0));
    ArrayPrototypePush(detach, buffer);
  }
  const result = cloneValue(value, memory);
  if (typeof ops.detach === "function") {
    for (let i = 0; i < detach.length; i++) ops.detach(detach[i]);
  }
  return result;
}

// A detached ArrayBuffer reports byteLength 0 and slicing it throws.
function isDetached(buffer) {
  if (ArrayBufferPrototypeGetByteLength(buffer) !== 0) return false;
  try {
    ArrayBufferPrototypeSlice(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

function cloneValue(value, memory) {
  const type = typeof value;
  if (type === "symbol" || type === "function") throw dataCloneError(describeUncloneable(value));
  if (type !== "object" || value === null) return value;
  const seen = MapPrototypeGet(memory, value);
  if (seen !== undefined) return seen;

  // (a Proxy has internal slots of its own, [[ProxyHandler]] and [[ProxyTarget]]: not
  // serializable, however its target is)
  const kind = ops.builtinKind(value);
  if (kind === KIND.proxy) throw dataCloneError("#<Object>"); // (naming it could run its traps)
  let clone;
  if (kind === KIND.boolean) {
    clone = new Boolean(BooleanPrototypeValueOf(value));
  } else if (kind === KIND.number) {
    clone = new Number(NumberPrototypeValueOf(value));
  } else if (kind === KIND.bigint) {
    clone = Object(BigIntPrototypeValueOf(value));
  } else if (kind === KIND.string) {
    clone = new String(StringPrototypeValueOf(value));
  } else if (kind === KIND.date) {
    clone = new Date(DatePrototypeGetTime(value));
  } else if (kind === KIND.regexp) {
    let flags = "";
    for (let i = 0; i < REGEXP_FLAG_GETTERS.length; i++) {
      if (REGEXP_FLAG_GETTERS[i][0](value)) flags += REGEXP_FLAG_GETTERS[i][1];
    }
    clone = new RegExp(RegExpPrototypeGetSource(value), flags);
  } else if (kind === KIND.arrayBuffer) {
    if (isDetached(value)) throw dataCloneError("An ArrayBuffer is detached and");
    clone = ArrayBufferPrototypeSlice(value, 0);
  } else if (kind === KIND.sharedArrayBuffer) {
    clone = value; // shared memory is shared, not copied
  } else if (ArrayBufferIsView(value)) {
    const kind = typedArrayKind(value);
    if (kind !== undefined) {
      const buffer = cloneValue(TypedArrayPrototypeGetBuffer(value), memory);
      clone = new TYPED_ARRAYS[kind](buffer, TypedArrayPrototypeGetByteOffset(value), TypedArrayPrototypeGetLength(value));
    } else {
      const buffer = cloneValue(DataViewPrototypeGetBuffer(value), memory);
      clone = new DataView(buffer, DataViewPrototypeGetByteOffset(value), DataViewPrototypeGetByteLength(value));
    }
  } else if (kind === KIND.map) {
    clone = new Map();
    MapPrototypeSet(memory, value, clone);
    const entries = [];
    MapPrototypeForEach(value, (v, k) => ArrayPrototypePush(entries, k, v));
    for (let i = 0; i < entries.length; i += 2) {
      MapPrototypeSet(clone, cloneValue(entries[i], memory), cloneValue(entries[i + 1], memory));
    }
    return clone;
  } else if (kind === KIND.set) {
    clone = new Set();
    MapPrototypeSet(memory, value, clone);
    const entries = [];
    SetPrototypeForEach(value, (v) => ArrayPrototypePush(entries, v));
    for (let i = 0; i < entries.length; i++) SetPrototypeAdd(clone, cloneValue(entries[i], memory));
    return clone;
  } else if (domExceptionInternals.is(value)) {
    const { name, message } = domExceptionInternals.parts(value);
    clone = new DOMException(message, name);
  } else if (blobInternals.is(value)) {
    clone = fileInternals.is(value)
      ? fileInternals.create(blobInternals.bytes(value), blobInternals.type(value),
        fileInternals.name(value), fileInternals.lastModified(value))
      : blobInternals.create(blobInternals.bytes(value), blobInternals.type(value));
  } else if (kind === KIND.error) {
    clone = cloneError(value);
  } else if (ArrayIsArray(value)) {
    clone = new Array(value.length);
    MapPrototypeSet(memory, value, clone);
    cloneProperties(value, clone, memory);
    return clone;
  } else if (kind !== 0 || isLayerPlatformObject(value)) {
    // the other built-ins with internal slots: WeakMap, WeakSet, Promise, Symbol objects, ...
    throw dataCloneError(describeUncloneable(value));
  } else {
    clone = {};
    MapPrototypeSet(memory, value, clone);
    cloneProperties(value, clone, memory);
    return clone;
  }
  MapPrototypeSet(memory, value, clone);
  return clone;
}

// HTML §2.7.3 step 26: own enumerable string-keyed properties, read with [[Get]].
function cloneProperties(value, clone, memory) {
  const keys = ObjectKeys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (!ObjectPrototypeHasOwnProperty(value, key)) continue; // deleted by a getter
    const property = cloneValue(value[key], memory);
    ObjectDefineProperty(clone, key, { __proto__: null, value: property, writable: true, enumerable: true, configurable: true });
  }
}

// HTML §2.7.3 step 17 (Error objects): name (one of the standard ones, else "Error"),
// message if it is an own data property; V8 also keeps the stack, as browsers do.
function cloneError(value) {
  let name = "Error";
  try {
    const valueName = value.name;
    if (typeof valueName === "string" && ERROR_CONSTRUCTORS[valueName] !== undefined) name = valueName;
  } catch {
    // keep "Error"
  }
  const clone = new ERROR_CONSTRUCTORS[name]();
  const messageDescriptor = ReflectGetOwnPropertyDescriptor(value, "message");
  if (messageDescriptor !== undefined && isDataDescriptor(messageDescriptor)) {
    ObjectDefineProperty(clone, "message", {
      __proto__: null,
      value: toDOMString(messageDescriptor.value, CLONE_PREFIX, "The message"),
      writable: true, enumerable: false, configurable: true,
    });
  }
  const stackDescriptor = ReflectGetOwnPropertyDescriptor(value, "stack");
  let stack;
  try {
    stack = stackDescriptor === undefined ? undefined : value.stack;
  } catch {
    stack = undefined;
  }
  if (typeof stack === "string") {
    ObjectDefineProperty(clone, "stack", { __proto__: null, value: stack, writable: true, enumerable: false, configurable: true });
  }
  const causeDescriptor = ReflectGetOwnPropertyDescriptor(value, "cause");
  if (causeDescriptor !== undefined && isDataDescriptor(causeDescriptor)) {
    // cause is cloned only when it is itself cloneable, as V8's serializer does.
    try {
      ObjectDefineProperty(clone, "cause", {
        __proto__: null,
        value: cloneValue(causeDescriptor.value, new Map()),
        writable: true, enumerable: false, configurable: true,
      });
    } catch {
      // left out
    }
  }
  return clone;
}
