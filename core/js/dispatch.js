// dispatch.js: how native code drives the worker (core/js/README.md, `internals`):
// setEntry picks the fetch handler once the worker's top level ran, dispatch runs one call
// and settles it exactly once. Also the global `require` stub, whose errors native code
// recognises through isImportError.

// ---- require ------------------------------------------------------------------------

// The errors thrown by the `require` stub. A WeakSet, not a property on the error, so
// user code cannot forge one (nor hide one by deleting a property).
const importErrors = new WeakSet();

// Bundlers keep `require(...)` calls they could not resolve (or wrap them in a helper that
// calls the global one if it exists). A worker reaching one was not fully bundled; the
// error says so, and native code reports it as EIMPORT.
function require(name) {
  let shown;
  try {
    shown = typeof name === "symbol" ? SymbolPrototypeToString(name) : String(name);
  } catch {
    shown = "?";
  }
  const error = new Error(
    `require('${shown}') is not supported: ski runs fully bundled workers (bundle with esbuild or rolldown)`,
  );
  if (typeof ErrorCaptureStackTrace === "function") ErrorCaptureStackTrace(error, require);
  WeakSetPrototypeAdd(importErrors, error);
  throw error;
}

internals.isImportError = function isImportError(value) {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    WeakSetPrototypeHas(importErrors, value);
};

// ---- queueMicrotask -------------------------------------------------------------------

function queueMicrotask(callback) {
  const prefix = executePrefix("WorkerGlobalScope", "queueMicrotask");
  requiredArguments(arguments.length, 1, prefix);
  if (typeof callback !== "function") {
    throw new TypeError(`${prefix}: The callback provided as parameter 1 is not a function.`);
  }
  runMicrotask(callback);
}

// `await undefined` queues one promise reaction job on the intrinsic promise machinery,
// untouched by anything user code may have done to Promise or Promise.prototype. An
// exception from the callback is reported (HTML "report the exception"), not swallowed.
async function runMicrotask(callback) {
  await undefined;
  try {
    ReflectApply(callback, undefined, []);
  } catch (error) {
    reportException(error);
  }
}

// ---- the entry ---------------------------------------------------------------------------

// { kind: "function" | "object" | "listeners", fn, thisArg }, set by setEntry.
let entry = null;

// The `env` argument of module-style handlers: one object per instance, the same on every
// call (as on Cloudflare); {} unless the host gave one (ski_instance_set_env).
let workerEnv = {};

// internals.setEnv(object): the host's env, parsed from its JSON by native code.
internals.setEnv = function setEnv(env) {
  workerEnv = env;
};

const NO_HANDLER_HELP =
  "export default { fetch(request, env, ctx) { ... } }, export a default function, or " +
  'call addEventListener("fetch", (event) => event.respondWith(...))';

internals.setEntry = function setEntry(defaultExport) {
  try {
    if (defaultExport === undefined) {
      if (!hasListeners("fetch")) {
        return `the worker has no default export and registered no "fetch" listener: ${NO_HANDLER_HELP}`;
      }
      entry = { kind: "listeners", fn: null, thisArg: undefined };
      return null;
    }
    if (typeof defaultExport === "function") {
      entry = { kind: "function", fn: defaultExport, thisArg: undefined };
      return null;
    }
    if (typeof defaultExport === "object" && defaultExport !== null) {
      // The method is read once: the handler is what the worker exported at load time.
      const fetch = defaultExport.fetch;
      if (typeof fetch === "function") {
        entry = { kind: "object", fn: fetch, thisArg: defaultExport };
        return null;
      }
      if (fetch !== undefined) {
        return `the default export's fetch property is ${describeKind(fetch)}, not a function: ${NO_HANDLER_HELP}`;
      }
      const keys = ObjectKeys(defaultExport);
      const has = keys.length === 0 ? "it has no properties" : `it has: ${ArrayPrototypeJoin(keys, ", ")}`;
      return `the default export has no fetch() method (${has}): ${NO_HANDLER_HELP}`;
    }
    return `the default export is ${describeKind(defaultExport)}: ${NO_HANDLER_HELP}`;
  } catch (error) {
    return `reading the worker's default export threw: ${describe(error)}`;
  }
};

// ---- dispatch ------------------------------------------------------------------------------

// One call in flight: settles its token at most once, and never lets an exception out.
class Call {
  constructor(token) {
    this.token = token;
    this.settled = false;
  }

  // Ends the call with a response: its parts (responseInternals.parts) and its body (a
  // string, sent as UTF-8; a Uint8Array; or null).
  ok(parts, body) {
    if (this.settled) return;
    this.settled = true;
    try {
      const sorted = headersInternals.sorted(parts.headers);
      ops.respond(this.token, parts.status, parts.statusText, sorted.length / 2, headersWire(sorted), body);
    } catch (error) {
      emit(LEVEL_ERROR, `ski: ops.respond failed for call ${this.token}: ${describe(error)}`);
    }
  }

  fail(code, message) {
    if (this.settled) return;
    this.settled = true;
    try {
      ops.settle(this.token, code, message);
    } catch (error) {
      emit(LEVEL_ERROR, `ski: ops.settle failed for call ${this.token}: ${describe(error)}`);
    }
  }
}

// The ctx argument of module-style handlers (Cloudflare's ExecutionContext): a fresh
// object per call whose methods are own properties, so `const { waitUntil } = ctx` works.
const contextMethods = {
  waitUntil(promise) {
    requiredArguments(arguments.length, 1, executePrefix("ExecutionContext", "waitUntil"));
    waitUntilPromise(promise);
  },
  passThroughOnException() {
    // Nothing to pass through to: see FetchEvent.prototype.passThroughOnException.
  },
};

function makeContext() {
  return {
    waitUntil: contextMethods.waitUntil,
    passThroughOnException: contextMethods.passThroughOnException,
  };
}

// How a result is named in ENOTRESPONSE messages, for each entry style.
const SUBJECT_HANDLER = {
  returned: "fetch handler returned",
  resolved: "fetch handler returned a promise that resolved to",
};
const SUBJECT_LISTENER = {
  returned: "respondWith() was given",
  resolved: "respondWith() was given a promise that resolved to",
};

internals.dispatch = function dispatch(token, method, url, canonical, body, headers, ...inline) {
  const call = new Call(token);
  try {
    let request;
    try {
      request = requestFromHost(method, url, canonical, headers === null ? inline : headers, body);
    } catch (error) {
      // The host's request is invalid (its URL): no call starts; native code returns
      // SKI_EINVAL with this message from ski_call_start.
      try {
        return String(error.message);
      } catch {
        return describe(error);
      }
    }
    if (entry === null) {
      call.fail(ENOHANDLER, "dispatch was called before a successful setEntry");
    } else if (entry.kind === "listeners") {
      dispatchToListeners(call, request);
    } else {
      dispatchToHandler(call, request);
    }
  } catch (error) {
    // Only a bug in this layer gets here; the call must still end.
    try {
      call.fail(ETHROWN, `ski internal error in dispatch: ${describe(error)}`);
    } catch {
      try {
        ops.settle(token, ETHROWN, "ski internal error in dispatch");
      } catch {
        // nothing more can be done
      }
    }
  }
  return undefined;
};

function dispatchToHandler(call, request) {
  let result;
  try {
    result = ReflectApply(entry.fn, entry.thisArg, [request, workerEnv, makeContext()]);
  } catch (error) {
    call.fail(ETHROWN, describe(error));
    return;
  }
  settleWithResult(call, result, SUBJECT_HANDLER);
}

function dispatchToListeners(call, request) {
  const event = fetchEventInternals.create(request);
  const responded = () => fetchEventInternals.responded(event);
  // Listeners run until one calls respondWith() (which stops propagation). A listener that
  // throws before any respondWith() fails the call (ETHROWN) and no further listener runs;
  // one that throws after it is reported and the response stands, as an exception in an
  // event listener does not cancel the event.
  let thrown = false;
  let thrownError;
  eventTargetInternals.dispatch(globalEventTarget, event, (error) => {
    if (responded()) {
      reportException(error);
    } else if (!thrown) {
      thrown = true;
      thrownError = error;
      eventInternals.stopAll(event);
    }
  });
  fetchEventInternals.finish(event);
  if (thrown) {
    call.fail(ETHROWN, describe(thrownError));
    return;
  }
  if (!responded()) {
    call.fail(ENOTRESPONSE, "no fetch listener called respondWith()");
    return;
  }
  settleWithResult(call, fetchEventInternals.response(event), SUBJECT_LISTENER);
}

// Settles with what the handler produced: a Response now, a thenable once it settles
// (EREJECTED if it rejects), anything else ENOTRESPONSE.
function settleWithResult(call, value, subject) {
  if (responseInternals.is(value)) {
    sendResponse(call, value, subject.returned);
    return;
  }
  if ((typeof value === "object" && value !== null) || typeof value === "function") {
    let then;
    try {
      then = value.then;
    } catch (error) {
      call.fail(EREJECTED, describe(error)); // as awaiting it would reject
      return;
    }
    if (typeof then === "function") {
      awaitResult(call, value, subject);
      return;
    }
  }
  call.fail(ENOTRESPONSE, notAResponse(value, subject.returned));
}

// Waits for a thenable with `await`, which for a native promise uses the engine's own
// reaction machinery (no lookup of a then() user code may have replaced) and follows
// thenables that resolve to thenables. Catches everything, so its promise never rejects.
async function awaitResult(call, thenable, subject) {
  let value;
  try {
    value = await thenable;
  } catch (error) {
    call.fail(EREJECTED, describe(error));
    return;
  }
  try {
    if (responseInternals.is(value)) {
      sendResponse(call, value, subject.resolved);
    } else {
      call.fail(ENOTRESPONSE, notAResponse(value, subject.resolved));
    }
  } catch (error) {
    call.fail(ETHROWN, `ski internal error in dispatch: ${describe(error)}`);
  }
}

function notAResponse(value, said) {
  let kind = describeKind(value);
  if (kind === "an object (Response)") {
    kind = "an object that looks like a Response but was not made by the Response constructor";
  }
  return `${said} ${kind}, expected a Response`;
}

// Sends a Response to the host (ops.respond).
function sendResponse(call, response, said) {
  const parts = responseInternals.parts(response);
  if (parts.type === "error") {
    call.fail(
      ENOTRESPONSE,
      `${said} Response.error(), a network error, expected a Response with an HTTP status`,
    );
    return;
  }
  const inner = parts.body;
  if (inner === null) {
    call.ok(parts, null);
    return;
  }
  if (inner.disturbed) {
    call.fail(ETHROWN, "Response body already used");
    return;
  }
  if (isStreamLocked(inner)) {
    call.fail(ETHROWN, "Response body is locked: its ReadableStream has a reader");
    return;
  }
  // Sending consumes the body: a later text() on this Response reports it as used.
  inner.disturbed = true;
  const source = inner.source;
  if (source !== null) {
    inner.source = null;
    call.ok(parts, source);
    return;
  }
  sendStreamedResponse(call, parts, inner.stream);
}

// A ReadableStream body (only possible with a user-supplied ReadableStream for now) is
// read to its end before settling: the ABI takes the body in one piece.
async function sendStreamedResponse(call, parts, stream) {
  let bytes;
  try {
    bytes = await readStreamToEnd(stream, "Reading the Response body");
  } catch (error) {
    call.fail(EREJECTED, `the Response body stream failed: ${describe(error)}`);
    return;
  }
  try {
    call.ok(parts, bytes);
  } catch (error) {
    call.fail(ETHROWN, `ski internal error in dispatch: ${describe(error)}`);
  }
}
