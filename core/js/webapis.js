// webapis.js: the small global APIs: atob/btoa (HTML §8.3), performance (HR Time),
// navigator, crypto.getRandomValues/randomUUID (WebCrypto §10), structuredClone's global.

// ---- base64 --------------------------------------------------------------------------------

function btoa(data) {
  const prefix = executePrefix("WorkerGlobalScope", "btoa");
  requiredArguments(arguments.length, 1, prefix);
  data = toDOMString(data, prefix, "The string");
  const encoded = ops.base64Encode(data);
  if (encoded === null) {
    throw domException(
      `${prefix}: The string to be encoded contains characters outside of the Latin1 range.`,
      "InvalidCharacterError",
    );
  }
  return encoded;
}

function atob(data) {
  const prefix = executePrefix("WorkerGlobalScope", "atob");
  requiredArguments(arguments.length, 1, prefix);
  data = toDOMString(data, prefix, "The string");
  const bytes = ops.base64Decode(data);
  if (bytes === null) {
    throw domException(`${prefix}: The string to be decoded is not correctly encoded.`, "InvalidCharacterError");
  }
  return bytesToLatin1(bytes);
}

// ---- performance ---------------------------------------------------------------------------

// The clock origin: ops.now() and Date.now() when the instance started. The layer may be
// frozen into a startup snapshot, so nothing here is computed at load time: native code
// calls internals.resetClock() when an instance starts, and the first use computes it if
// native code did not.
let clockOrigin = -1;
let timeOriginEpoch = 0;

internals.resetClock = function resetClock() {
  clockOrigin = ops.now();
  timeOriginEpoch = DateNow();
  uuidEntropyUsed = UUID_ENTROPY_BYTES;
  resetConsoleState();
  installWasmFallback();
};

function ensureClock() {
  if (clockOrigin < 0) internals.resetClock();
}

// Milliseconds since the time origin (what performance.now() and Event#timeStamp report).
function highResolutionNow() {
  ensureClock();
  return ops.now() - clockOrigin;
}

class Performance extends EventTarget {
  constructor(token = undefined) {
    if (token !== kInternal) throw new TypeError("Failed to construct 'Performance': Illegal constructor");
    super();
  }

  static #check(self, prefix) {
    if (self !== performance) throw illegalInvocation(prefix);
  }

  now() {
    Performance.#check(this, executePrefix("Performance", "now"));
    return highResolutionNow();
  }

  get timeOrigin() {
    Performance.#check(this, "Failed to read the 'timeOrigin' property from 'Performance'");
    ensureClock();
    return timeOriginEpoch;
  }

  toJSON() {
    Performance.#check(this, executePrefix("Performance", "toJSON"));
    ensureClock();
    return { timeOrigin: timeOriginEpoch };
  }
}

setToStringTag(Performance.prototype, "Performance");
const performance = new Performance(kInternal);

// ---- navigator -----------------------------------------------------------------------------

class Navigator {
  constructor(token = undefined) {
    if (token !== kInternal) throw new TypeError("Failed to construct 'Navigator': Illegal constructor");
  }

  get userAgent() {
    if (this !== navigator) throw illegalInvocation("Failed to read the 'userAgent' property from 'Navigator'");
    return "ski";
  }
}

setToStringTag(Navigator.prototype, "Navigator");
const navigator = new Navigator(kInternal);

// ---- crypto --------------------------------------------------------------------------------

const INTEGER_ARRAYS = [
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
  "Uint32Array", "BigInt64Array", "BigUint64Array",
];

// randomUUID's entropy, drawn 4 KiB at a time (one system call per 256 UUIDs, as Node
// does). Each instance starts with an empty pool (resetClock): a pool filled while the
// startup snapshot was made would otherwise hand every instance the same UUIDs.
const UUID_ENTROPY_BYTES = 4096;
const uuidEntropy = new Uint8Array(UUID_ENTROPY_BYTES);
let uuidEntropyUsed = UUID_ENTROPY_BYTES;

class Crypto {
  constructor(token = undefined) {
    if (token !== kInternal) throw new TypeError("Failed to construct 'Crypto': Illegal constructor");
  }

  getRandomValues(array) {
    const prefix = executePrefix("Crypto", "getRandomValues");
    if (this !== crypto) throw illegalInvocation(prefix);
    requiredArguments(arguments.length, 1, prefix);
    if (!ArrayBufferIsView(array)) {
      throw new TypeError(`${prefix}: parameter 1 is not of type 'ArrayBufferView'.`);
    }
    const kind = typedArrayKind(array);
    if (!ArrayPrototypeIncludes(INTEGER_ARRAYS, kind)) {
      const shown = kind === undefined ? "DataView" : StringPrototypeSlice(kind, 0, -5);
      throw domException(
        `${prefix}: The provided ArrayBufferView is of type '${shown}', which is not an integer array type.`,
        "TypeMismatchError",
      );
    }
    const byteLength = TypedArrayPrototypeGetByteLength(array);
    if (byteLength > 65536) {
      throw domException(
        `${prefix}: The ArrayBufferView's byte length (${byteLength}) exceeds the number of bytes of entropy ` +
          "available via this API (65536).",
        "QuotaExceededError",
      );
    }
    if (byteLength > 0) ops.randomFill(array);
    return array;
  }

  randomUUID() {
    if (this !== crypto) throw illegalInvocation(executePrefix("Crypto", "randomUUID"));
    if (uuidEntropyUsed === UUID_ENTROPY_BYTES) {
      ops.randomFill(uuidEntropy);
      uuidEntropyUsed = 0;
    }
    const at = uuidEntropyUsed;
    uuidEntropyUsed += 16;
    let hex = "";
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) hex += "-";
      let byte = uuidEntropy[at + i];
      if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
      else if (i === 8) byte = (byte & 0x3f) | 0x80; // variant 10
      hex += HEX_BYTES[byte];
    }
    return hex;
  }
}

const HEX_BYTES = [];
for (let i = 0; i < 256; i++) HEX_BYTES[i] = StringPrototypeSlice("0" + i.toString(16), -2);

setToStringTag(Crypto.prototype, "Crypto");
const crypto = new Crypto(kInternal);

// ---- WebAssembly ---------------------------------------------------------------------------

// V8's asynchronous WebAssembly.compile/instantiate finish on the isolate's foreground
// task queue, which native code runs (`ops.wasmAsync === true`). While one is pending the
// loop must stay alive for its completion, which nothing else in the loop stands for:
// compile and instantiate are wrapped to count them for native code (ops.hostWork).
// Without ops.wasmAsync both compile synchronously and settle their promise with the
// result, which is observably the same apart from blocking.
// V8 installs a fresh WebAssembly object in every context made from the startup snapshot,
// so this runs per instance, from internals.resetClock() (native code, before the worker
// runs), once per WebAssembly object: what the worker later does to WebAssembly is its own.
function installWasmFallback() {
  const WebAssembly = globalThis.WebAssembly;
  if (typeof WebAssembly !== "object" || WebAssembly === null || WebAssembly === wasmInstalledOn) return;
  wasmInstalledOn = WebAssembly;
  const wrappers = ops.wasmAsync === true ? wasmCounted : wasmFallback;
  WasmModule = WebAssembly.Module;
  WasmInstance = WebAssembly.Instance;
  WasmCompile = WebAssembly.compile;
  WasmInstantiate = WebAssembly.instantiate;
  // (descriptors without a prototype: this also runs after the worker's top level, which
  // may have put a `get` on Object.prototype)
  ObjectDefineProperty(WebAssembly, "compile", { __proto__: null, value: wrappers.compile });
  ObjectDefineProperty(WebAssembly, "instantiate", { __proto__: null, value: wrappers.instantiate });
  // namespace operations, as V8 defines its own: enumerable, writable, configurable
  const operation = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
  operation.value = wrappers.compileStreaming;
  ObjectDefineProperty(WebAssembly, "compileStreaming", operation);
  operation.value = wrappers.instantiateStreaming;
  ObjectDefineProperty(WebAssembly, "instantiateStreaming", operation);
}

let wasmInstalledOn = null;
let WasmModule;
let WasmInstance;
let WasmCompile;
let WasmInstantiate;
let wasmPending = 0;

// V8's own promise, counted until it settles (awaited, so no user-replaceable `then` runs).
function countWasm(promise) {
  wasmPending++;
  ops.hostWork(wasmPending);
  uncount(promise);
  return promise;
}

async function uncount(promise) {
  try {
    await promise;
  } catch {
    // the caller sees the rejection through `promise` itself
  } finally {
    wasmPending--;
    ops.hostWork(wasmPending);
  }
}

const wasmCounted = {
  compile(bytes) {
    return countWasm(ReflectApply(WasmCompile, undefined, arguments));
  },
  instantiate(source, importObject = undefined) {
    return countWasm(ReflectApply(WasmInstantiate, undefined, arguments));
  },
};

const wasmFallback = {
  compile(bytes) {
    return new Promise((resolve) => resolve(new WasmModule(bytes)));
  },
  instantiate(source, importObject = undefined) {
    return new Promise((resolve) => {
      if (isWasmModule(source)) {
        resolve(new WasmInstance(source, importObject));
        return;
      }
      const module = new WasmModule(source);
      resolve({ module, instance: new WasmInstance(module, importObject) });
    });
  },
};

// WebAssembly Web API §3: compileStreaming and instantiateStreaming take a Response or a
// promise of one. V8 offers them only through an embedder streaming hook; here the body is
// read to its end and then compiled by `wrappers.compile`, which is what the spec asks
// for, save that compiling does not start before the last byte has arrived.
function addStreaming(wrappers) {
  // methods, so that they are not constructors (WebIDL operations)
  const streaming = {
    compileStreaming(source) {
      return compileResponse(source, wrappers, "WebAssembly.compileStreaming()");
    },
    instantiateStreaming(source, importObject = undefined) {
      return instantiateResponse(source, importObject, wrappers);
    },
  };
  wrappers.compileStreaming = streaming.compileStreaming;
  wrappers.instantiateStreaming = streaming.instantiateStreaming;
}
addStreaming(wasmCounted);
addStreaming(wasmFallback);

// "compile a potential WebAssembly response"
async function compileResponse(source, wrappers, prefix) {
  const response = await source;
  if (!responseInternals.is(response)) {
    throw new TypeError(`${prefix}: Argument 1 must be a Response or a promise that resolves to one, not ${describeKind(response)}.`);
  }
  const parts = responseInternals.parts(response);
  // header values are stored without surrounding whitespace, so no trimming is left to do
  const type = headersInternals.get(parts.headers, "content-type");
  if (type === null || StringPrototypeToLowerCase(type) !== "application/wasm") {
    const shown = type === null ? "no Content-Type" : `Content-Type '${type}'`;
    throw new TypeError(`${prefix}: The response has ${shown}; expected 'application/wasm'.`);
  }
  if (parts.status < 200 || parts.status > 299) {
    throw new TypeError(`${prefix}: The response's HTTP status ${parts.status} is not ok (200-299).`);
  }
  return await wrappers.compile(sourceBytes(await consumeBody(parts.body, prefix)));
}

// "instantiate a promise of a module": { module, instance }
async function instantiateResponse(source, importObject, wrappers) {
  const module = await compileResponse(source, wrappers, "WebAssembly.instantiateStreaming()");
  const instance = await wrappers.instantiate(module, importObject);
  return { module, instance };
}

function isWasmModule(value) {
  try {
    WasmModule.exports(value);
    return true;
  } catch {
    return false;
  }
}
