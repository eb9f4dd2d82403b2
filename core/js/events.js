// events.js: the service-worker style entry point: global addEventListener /
// removeEventListener and the FetchEvent handed to "fetch" listeners.
//
// Event and EventTarget arrive with a later issue. Until then the global object keeps a
// plain listener list per event type, with the DOM's rules for adding and removing
// (DOM §2.7: a listener is identified by type, callback and capture; adding it twice is a
// no-op; `once` removes it before it runs). Only "fetch" is ever dispatched.

// type -> array of { callback, capture, once, removed }
const eventListeners = { __proto__: null };

// DOM §2.7 "flatten more": capture (and, for adding, once) from a boolean or an options
// dictionary. `passive` and `signal` have no effect without Event; they are ignored.
function listenerOptions(options) {
  if (typeof options === "boolean") return { capture: options, once: false };
  if ((typeof options === "object" && options !== null) || typeof options === "function") {
    return { capture: !!options.capture, once: !!options.once };
  }
  return { capture: false, once: false };
}

function findListener(list, callback, capture) {
  for (let i = 0; i < list.length; i++) {
    if (list[i].callback === callback && list[i].capture === capture) return i;
  }
  return -1;
}

function addEventListener(type, callback, options = undefined) {
  const prefix = executePrefix("EventTarget", "addEventListener");
  requiredArguments(arguments.length, 2, prefix);
  type = toDOMString(type, prefix, "The event type");
  if (callback === null) return;
  if (typeof callback !== "function" && typeof callback !== "object") {
    throw new TypeError(`${prefix}: parameter 2 is not of type 'EventListener'.`);
  }
  const { capture, once } = listenerOptions(options);
  let list = eventListeners[type];
  if (list === undefined) {
    list = [];
    eventListeners[type] = list;
  }
  if (findListener(list, callback, capture) !== -1) return;
  ArrayPrototypePush(list, { callback, capture, once, removed: false });
}

function removeEventListener(type, callback, options = undefined) {
  const prefix = executePrefix("EventTarget", "removeEventListener");
  requiredArguments(arguments.length, 2, prefix);
  type = toDOMString(type, prefix, "The event type");
  if (callback === null) return;
  const { capture } = listenerOptions(options);
  const list = eventListeners[type];
  if (list === undefined) return;
  const index = findListener(list, callback, capture);
  if (index === -1) return;
  list[index].removed = true; // a dispatch in progress skips it (DOM §2.9 "inner invoke")
  ArrayPrototypeSplice(list, index, 1);
}

function hasListeners(type) {
  const list = eventListeners[type];
  return list !== undefined && list.length > 0;
}

// Calls the listeners of `type` with `event`, in order, until `stop()` is true. A listener
// is a function (called with this = globalThis, the event's currentTarget) or an object
// with handleEvent. Exceptions propagate to the caller, which decides what they mean.
function invokeListeners(type, event, stop) {
  const list = eventListeners[type];
  if (list === undefined) return;
  const snapshot = ArrayPrototypeSlice(list); // listeners added now wait for the next event
  for (let i = 0; i < snapshot.length && !stop(); i++) {
    const listener = snapshot[i];
    if (listener.removed) continue;
    if (listener.once) {
      const index = ArrayPrototypeIndexOf(list, listener);
      if (index !== -1) ArrayPrototypeSplice(list, index, 1);
      listener.removed = true;
    }
    const callback = listener.callback;
    if (typeof callback === "function") {
      ReflectApply(callback, globalThis, [event]);
    } else {
      const handleEvent = callback.handleEvent;
      if (typeof handleEvent !== "function") {
        throw new TypeError(`The "${type}" listener object has no handleEvent() method.`);
      }
      ReflectApply(handleEvent, callback, [event]);
    }
  }
}

// ctx.waitUntil() and event.waitUntil(). The ABI has no way for a call to wait for
// extra work, so the promise runs on its own; what this adds is that a rejection is
// reported as an uncaught error instead of vanishing.
// How many waitUntil() promises are still pending, across calls: native code lets a
// host wait for them (ski_loop_run) and ask about them (ski_instance_pending).
let backgroundTasks = 0;

function waitUntilPromise(promise) {
  ops.background(++backgroundTasks);
  (async () => {
    try {
      await promise;
    } catch (error) {
      reportUncaught(error, true);
    } finally {
      ops.background(--backgroundTasks);
    }
  })();
}

let fetchEventInternals;

// The event passed to "fetch" listeners. Not installed as a global yet: FetchEvent
// extends Event, which arrives with a later issue.
class FetchEvent {
  #request;
  #dispatching = true; // respondWith() is only allowed while listeners run
  #responded = false;
  #response = undefined;

  constructor(token, request) {
    if (token !== kInternal) throw new TypeError("Illegal constructor");
    this.#request = request;
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#request in self)) {
      throw illegalInvocation(prefix);
    }
  }

  get type() {
    FetchEvent.#check(this, "Failed to read the 'type' property from 'FetchEvent'");
    return "fetch";
  }

  get request() {
    FetchEvent.#check(this, "Failed to read the 'request' property from 'FetchEvent'");
    return this.#request;
  }

  // Service Workers §4.5.4. The errors are InvalidStateError DOMExceptions in the spec;
  // DOMException arrives later, so they are TypeErrors with the spec's wording.
  respondWith(response) {
    const prefix = executePrefix("FetchEvent", "respondWith");
    FetchEvent.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    if (this.#responded) {
      throw new TypeError(`${prefix}: The event has already been responded to.`);
    }
    if (!this.#dispatching) {
      throw new TypeError(
        `${prefix}: The event handler is already finished: respondWith() must be called ` +
          "synchronously from the fetch listener (pass it a promise to respond later).",
      );
    }
    this.#responded = true;
    this.#response = response;
  }

  waitUntil(promise) {
    const prefix = executePrefix("FetchEvent", "waitUntil");
    FetchEvent.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    waitUntilPromise(promise);
  }

  // Cloudflare's fail-open switch. A host that has no origin to fall back to has nothing
  // to pass through to, so this is accepted and does nothing.
  passThroughOnException() {
    FetchEvent.#check(this, executePrefix("FetchEvent", "passThroughOnException"));
  }

  static {
    fetchEventInternals = {
      create: (request) => new FetchEvent(kInternal, request),
      responded: (event) => event.#responded,
      response: (event) => event.#response,
      finish: (event) => {
        event.#dispatching = false;
      },
    };
  }
}

setToStringTag(FetchEvent.prototype, "FetchEvent");
