// events.js: Event, EventTarget, CustomEvent, ErrorEvent (WHATWG DOM §2) and the global
// object's event target, through which the service-worker style entry point works:
// global addEventListener / removeEventListener / dispatchEvent, and the FetchEvent
// handed to "fetch" listeners.
//
// There is no tree here: every dispatch has a path of one target, so the capture and
// bubble passes both run at the target (DOM §2.9 with a one-element path).

const EVENT_PHASES = [["NONE", 0], ["CAPTURING_PHASE", 1], ["AT_TARGET", 2], ["BUBBLING_PHASE", 3]];

// isTrusted is [LegacyUnforgeable]: an own accessor of every Event, with one getter.
let isTrustedGetter;
let eventInternals;

class Event {
  #type;
  #bubbles = false;
  #cancelable = false;
  #composed = false;
  #target = null;
  #currentTarget = null;
  #phase = 0;
  #stopPropagation = false;
  #stopImmediate = false;
  #canceled = false;
  #inPassiveListener = false;
  #dispatching = false;
  #initialized = true;
  #trusted = false;
  #timeStamp;

  constructor(type, eventInitDict = undefined) {
    const prefix = constructPrefix(new.target === undefined ? "Event" : eventInterfaceName(new.target));
    requiredArguments(arguments.length, 1, prefix);
    this.#type = toDOMString(type, prefix, "The type");
    const init = toDictionary(eventInitDict, prefix, "EventInit");
    this.#bubbles = !!init.bubbles;
    this.#cancelable = !!init.cancelable;
    this.#composed = !!init.composed;
    this.#timeStamp = highResolutionNow();
    ObjectDefineProperty(this, "isTrusted", { __proto__: null, get: isTrustedGetter, enumerable: true, configurable: false });
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#type in self)) throw illegalInvocation(prefix);
  }

  get type() {
    Event.#check(this, "Failed to read the 'type' property from 'Event'");
    return this.#type;
  }

  get target() {
    Event.#check(this, "Failed to read the 'target' property from 'Event'");
    return this.#target;
  }

  get srcElement() {
    Event.#check(this, "Failed to read the 'srcElement' property from 'Event'");
    return this.#target;
  }

  get currentTarget() {
    Event.#check(this, "Failed to read the 'currentTarget' property from 'Event'");
    return this.#currentTarget;
  }

  composedPath() {
    Event.#check(this, executePrefix("Event", "composedPath"));
    return this.#currentTarget === null ? [] : [this.#currentTarget];
  }

  get eventPhase() {
    Event.#check(this, "Failed to read the 'eventPhase' property from 'Event'");
    return this.#phase;
  }

  stopPropagation() {
    Event.#check(this, executePrefix("Event", "stopPropagation"));
    this.#stopPropagation = true;
  }

  get cancelBubble() {
    Event.#check(this, "Failed to read the 'cancelBubble' property from 'Event'");
    return this.#stopPropagation;
  }

  set cancelBubble(value) {
    Event.#check(this, "Failed to set the 'cancelBubble' property on 'Event'");
    if (value) this.#stopPropagation = true;
  }

  stopImmediatePropagation() {
    Event.#check(this, executePrefix("Event", "stopImmediatePropagation"));
    this.#stopPropagation = true;
    this.#stopImmediate = true;
  }

  get bubbles() {
    Event.#check(this, "Failed to read the 'bubbles' property from 'Event'");
    return this.#bubbles;
  }

  get cancelable() {
    Event.#check(this, "Failed to read the 'cancelable' property from 'Event'");
    return this.#cancelable;
  }

  get returnValue() {
    Event.#check(this, "Failed to read the 'returnValue' property from 'Event'");
    return !this.#canceled;
  }

  set returnValue(value) {
    Event.#check(this, "Failed to set the 'returnValue' property on 'Event'");
    if (!value) this.#cancel();
  }

  preventDefault() {
    Event.#check(this, executePrefix("Event", "preventDefault"));
    this.#cancel();
  }

  #cancel() {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }

  get defaultPrevented() {
    Event.#check(this, "Failed to read the 'defaultPrevented' property from 'Event'");
    return this.#canceled;
  }

  get composed() {
    Event.#check(this, "Failed to read the 'composed' property from 'Event'");
    return this.#composed;
  }

  get timeStamp() {
    Event.#check(this, "Failed to read the 'timeStamp' property from 'Event'");
    return this.#timeStamp;
  }

  initEvent(type, bubbles = false, cancelable = false) {
    const prefix = executePrefix("Event", "initEvent");
    Event.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    type = toDOMString(type, prefix, "The type");
    if (this.#dispatching) return;
    this.#initialized = true;
    this.#stopPropagation = false;
    this.#stopImmediate = false;
    this.#canceled = false;
    this.#trusted = false;
    this.#target = null;
    this.#type = type;
    this.#bubbles = !!bubbles;
    this.#cancelable = !!cancelable;
  }

  static {
    isTrustedGetter = {
      get isTrusted() {
        Event.#check(this, "Failed to read the 'isTrusted' property from 'Event'");
        return this.#trusted;
      },
    };
    isTrustedGetter = ReflectGetOwnPropertyDescriptor(isTrustedGetter, "isTrusted").get;
    eventInternals = {
      is: (value) => typeof value === "object" && value !== null && #type in value,
      // DOM §2.9 "dispatch" for a path of one target. `owner` is what the event shows as
      // target/currentTarget and what listeners get as `this`.
      dispatch(event, target, owner, listeners, onException) {
        event.#dispatching = true;
        event.#target = owner;
        event.#currentTarget = owner;
        event.#phase = 2;
        try {
          if (!event.#stopPropagation) invokeListeners(event, listeners, owner, true, onException);
          if (!event.#stopPropagation) invokeListeners(event, listeners, owner, false, onException);
        } finally {
          event.#phase = 0;
          event.#currentTarget = null;
          event.#dispatching = false;
          event.#stopPropagation = false;
          event.#stopImmediate = false;
        }
        return !event.#canceled;
      },
      dispatching: (event) => event.#dispatching,
      initialized: (event) => event.#initialized,
      stoppedImmediately: (event) => event.#stopImmediate,
      setPassive(event, passive) {
        event.#inPassiveListener = passive;
      },
      setTrusted(event) {
        event.#trusted = true;
      },
      stopAll(event) {
        event.#stopPropagation = true;
        event.#stopImmediate = true;
      },
    };
  }
}

function eventInterfaceName(newTarget) {
  const name = ownDataValue(newTarget, "name");
  return typeof name === "string" && name !== "" ? name : "Event";
}

for (let i = 0; i < EVENT_PHASES.length; i++) {
  const descriptor = { value: EVENT_PHASES[i][1], writable: false, enumerable: true, configurable: false };
  ObjectDefineProperty(Event, EVENT_PHASES[i][0], descriptor);
  ObjectDefineProperty(Event.prototype, EVENT_PHASES[i][0], descriptor);
}
setToStringTag(Event.prototype, "Event");

// DOM §2.9 "inner invoke" over a snapshot of the listener list for the event's type.
function invokeListeners(event, listenerMap, owner, capturePass, onException) {
  const list = MapPrototypeGet(listenerMap, event.type);
  if (list === undefined) return;
  const snapshot = ArrayPrototypeSlice(list); // listeners added now wait for the next event
  for (let i = 0; i < snapshot.length; i++) {
    const listener = snapshot[i];
    if (listener.removed || listener.capture !== capturePass) continue;
    if (listener.once) removeListener(listenerMap, event.type, listener);
    const callback = listener.callback;
    if (listener.passive) eventInternals.setPassive(event, true);
    try {
      if (typeof callback === "function") {
        ReflectApply(callback, owner, [event]);
      } else {
        const handleEvent = callback.handleEvent;
        if (typeof handleEvent !== "function") {
          throw new TypeError(`The "${event.type}" listener object has no handleEvent() method.`);
        }
        ReflectApply(handleEvent, callback, [event]);
      }
    } catch (error) {
      onException(error, event);
    } finally {
      eventInternals.setPassive(event, false);
    }
    if (eventInternals.stoppedImmediately(event)) break;
  }
}

function removeListener(listenerMap, type, listener) {
  listener.removed = true; // a dispatch in progress skips it
  const list = MapPrototypeGet(listenerMap, type);
  if (list === undefined) return;
  const index = ArrayPrototypeIndexOf(list, listener);
  if (index !== -1) ArrayPrototypeSplice(list, index, 1);
}

// DOM §2.7 "flatten more": capture, once, passive and signal from a boolean or a dictionary.
function listenerOptions(options, adding, prefix) {
  if (typeof options === "boolean") return { capture: options, once: false, passive: false, signal: null };
  if (!isObjectLike(options)) return { capture: false, once: false, passive: false, signal: null };
  const capture = !!options.capture;
  if (!adding) return { capture, once: false, passive: false, signal: null };
  const once = !!options.once;
  const passiveValue = options.passive;
  const signal = options.signal;
  if (signal !== undefined && !abortSignalInternals.is(signal)) {
    throw new TypeError(`${prefix}: Failed to read the 'signal' property from 'AddEventListenerOptions': Failed to convert value to 'AbortSignal'.`);
  }
  return { capture, once, passive: !!passiveValue, signal: signal === undefined ? null : signal };
}

let eventTargetInternals;

class EventTarget {
  #listeners = new Map(); // type -> array of { callback, capture, once, passive, removed }
  #owner;

  constructor(token = undefined, owner = undefined) {
    this.#owner = token === kInternal ? owner : this;
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#listeners in self)) throw illegalInvocation(prefix);
  }

  addEventListener(type, callback, options = undefined) {
    const prefix = executePrefix("EventTarget", "addEventListener");
    EventTarget.#check(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    EventTarget.#add(this, toDOMString(type, prefix, "The event type"), callback, options, prefix);
  }

  static #add(self, type, callback, options, prefix) {
    if (callback !== null && typeof callback !== "function" && typeof callback !== "object") {
      throw new TypeError(`${prefix}: parameter 2 is not of type 'EventListener'.`);
    }
    const { capture, once, passive, signal } = listenerOptions(options, true, prefix);
    if (callback === null) return;
    if (signal !== null && abortSignalInternals.aborted(signal)) return;
    let list = MapPrototypeGet(self.#listeners, type);
    if (list === undefined) {
      list = [];
      MapPrototypeSet(self.#listeners, type, list);
    }
    for (let i = 0; i < list.length; i++) {
      if (list[i].callback === callback && list[i].capture === capture) return;
    }
    const listener = { callback, capture, once, passive, removed: false };
    ArrayPrototypePush(list, listener);
    if (signal !== null) {
      const listeners = self.#listeners;
      abortSignalInternals.addAlgorithm(signal, () => removeListener(listeners, type, listener));
    }
  }

  removeEventListener(type, callback, options = undefined) {
    const prefix = executePrefix("EventTarget", "removeEventListener");
    EventTarget.#check(this, prefix);
    requiredArguments(arguments.length, 2, prefix);
    EventTarget.#remove(this, toDOMString(type, prefix, "The event type"), callback, options, prefix);
  }

  static #remove(self, type, callback, options, prefix) {
    if (callback !== null && typeof callback !== "function" && typeof callback !== "object") {
      throw new TypeError(`${prefix}: parameter 2 is not of type 'EventListener'.`);
    }
    const { capture } = listenerOptions(options, false, prefix);
    const list = MapPrototypeGet(self.#listeners, type);
    if (list === undefined || callback === null) return;
    for (let i = 0; i < list.length; i++) {
      if (list[i].callback === callback && list[i].capture === capture) {
        removeListener(self.#listeners, type, list[i]);
        return;
      }
    }
  }

  dispatchEvent(event) {
    const prefix = executePrefix("EventTarget", "dispatchEvent");
    EventTarget.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    return EventTarget.#dispatch(this, event, prefix, reportException);
  }

  static #dispatch(self, event, prefix, onException) {
    if (!eventInternals.is(event)) {
      throw new TypeError(`${prefix}: parameter 1 is not of type 'Event'.`);
    }
    if (eventInternals.dispatching(event) || !eventInternals.initialized(event)) {
      throw domException(`${prefix}: The event is already being dispatched.`, "InvalidStateError");
    }
    return eventInternals.dispatch(event, self, self.#owner, self.#listeners, onException);
  }

  static {
    eventTargetInternals = {
      is: (value) => typeof value === "object" && value !== null && #listeners in value,
      create: (owner) => new EventTarget(kInternal, owner),
      add: (self, type, callback, options, prefix) => EventTarget.#add(self, type, callback, options, prefix),
      remove: (self, type, callback, options, prefix) => EventTarget.#remove(self, type, callback, options, prefix),
      // Dispatches a trusted event the layer made; onException decides what a throwing
      // listener means (by default: report it).
      dispatch(self, event, onException = reportException) {
        eventInternals.setTrusted(event);
        return EventTarget.#dispatch(self, event, "dispatchEvent", onException);
      },
      hasListeners(self, type) {
        const list = MapPrototypeGet(self.#listeners, type);
        return list !== undefined && list.length > 0;
      },
    };
  }
}

setToStringTag(EventTarget.prototype, "EventTarget");

// Event handler IDL attributes (HTML §8.1.8.1), e.g. AbortSignal's onabort: the handler is
// registered as a listener the first time one is set, and keeps that position.
function defineEventHandler(prototype, iface, type) {
  const handlers = new WeakMap(); // target -> { value }
  defineMembers(prototype, {
    get [`on${type}`]() {
      if (!eventTargetInternals.is(this)) throw illegalInvocation(`Failed to read the 'on${type}' property from '${iface}'`);
      const state = WeakMapPrototypeGet(handlers, this);
      return state === undefined ? null : state.value;
    },
    set [`on${type}`](value) {
      if (!eventTargetInternals.is(this)) throw illegalInvocation(`Failed to set the 'on${type}' property on '${iface}'`);
      const handler = isObjectLike(value) ? value : null;
      let state = WeakMapPrototypeGet(handlers, this);
      if (state === undefined) {
        if (handler === null) return;
        state = { value: handler };
        WeakMapPrototypeSet(handlers, this, state);
        const target = this;
        eventTargetInternals.add(this, type, function (event) {
          const current = state.value;
          if (typeof current !== "function") return undefined;
          const result = ReflectApply(current, target, [event]);
          if (result === false) event.preventDefault();
          return undefined;
        }, false, "");
      }
      state.value = handler;
    },
  });
}

class CustomEvent extends Event {
  #detail = null;

  constructor(type, eventInitDict = undefined) {
    const prefix = constructPrefix("CustomEvent");
    requiredArguments(arguments.length, 1, prefix);
    super(type, eventInitDict);
    const init = toDictionary(eventInitDict, prefix, "CustomEventInit");
    const detail = init.detail;
    this.#detail = detail === undefined ? null : detail;
  }

  get detail() {
    if (typeof this !== "object" || this === null || !(#detail in this)) {
      throw illegalInvocation("Failed to read the 'detail' property from 'CustomEvent'");
    }
    return this.#detail;
  }

  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    const prefix = executePrefix("CustomEvent", "initCustomEvent");
    if (typeof this !== "object" || this === null || !(#detail in this)) throw illegalInvocation(prefix);
    requiredArguments(arguments.length, 1, prefix);
    if (eventInternals.dispatching(this)) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}

setToStringTag(CustomEvent.prototype, "CustomEvent");

// HTML §8.1.7.2 ErrorEvent: what reportError() and uncaught exceptions dispatch.
class ErrorEvent extends Event {
  #message = "";
  #filename = "";
  #lineno = 0;
  #colno = 0;
  #error = undefined;

  constructor(type, eventInitDict = undefined) {
    const prefix = constructPrefix("ErrorEvent");
    requiredArguments(arguments.length, 1, prefix);
    super(type, eventInitDict);
    const init = toDictionary(eventInitDict, prefix, "ErrorEventInit");
    const colno = init.colno;
    const error = init.error;
    const filename = init.filename;
    const lineno = init.lineno;
    const message = init.message;
    if (colno !== undefined) this.#colno = toEnforcedUnsignedLong(colno, prefix, "colno") >>> 0;
    this.#error = error;
    if (filename !== undefined) this.#filename = toUSVString(filename, prefix, "filename");
    if (lineno !== undefined) this.#lineno = toEnforcedUnsignedLong(lineno, prefix, "lineno") >>> 0;
    if (message !== undefined) this.#message = toDOMString(message, prefix, "message");
  }

  static #check(self, name) {
    if (typeof self !== "object" || self === null || !(#message in self)) {
      throw illegalInvocation(`Failed to read the '${name}' property from 'ErrorEvent'`);
    }
  }

  get message() {
    ErrorEvent.#check(this, "message");
    return this.#message;
  }

  get filename() {
    ErrorEvent.#check(this, "filename");
    return this.#filename;
  }

  get lineno() {
    ErrorEvent.#check(this, "lineno");
    return this.#lineno;
  }

  get colno() {
    ErrorEvent.#check(this, "colno");
    return this.#colno;
  }

  get error() {
    ErrorEvent.#check(this, "error");
    return this.#error;
  }
}

setToStringTag(ErrorEvent.prototype, "ErrorEvent");

// ---- the global object's event target ----------------------------------------------------

// Listeners added with the global addEventListener see globalThis as `this`, target and
// currentTarget.
const globalEventTarget = eventTargetInternals.create(globalThis);

function addEventListener(type, callback, options = undefined) {
  const prefix = executePrefix("EventTarget", "addEventListener");
  requiredArguments(arguments.length, 2, prefix);
  eventTargetInternals.add(globalEventTarget, toDOMString(type, prefix, "The event type"), callback, options, prefix);
}

function removeEventListener(type, callback, options = undefined) {
  const prefix = executePrefix("EventTarget", "removeEventListener");
  requiredArguments(arguments.length, 2, prefix);
  eventTargetInternals.remove(globalEventTarget, toDOMString(type, prefix, "The event type"), callback, options, prefix);
}

function dispatchEvent(event) {
  const prefix = executePrefix("EventTarget", "dispatchEvent");
  requiredArguments(arguments.length, 1, prefix);
  return ReflectApply(EventTarget.prototype.dispatchEvent, globalEventTarget, [event]);
}

function hasListeners(type) {
  return eventTargetInternals.hasListeners(globalEventTarget, type);
}

// HTML §8.1.4.6 "report the exception": an "error" ErrorEvent at the global object; if no
// listener canceled it, the console reports it as uncaught. A listener of that event that
// throws is reported to the console only (no recursion).
let reportingException = false;

function reportException(error) {
  if (reportingException || !hasListeners("error")) {
    reportUncaught(error);
    return;
  }
  let notCanceled = true;
  reportingException = true;
  try {
    let message = "";
    try {
      message = isErrorObject(error) ? `Uncaught ${describeErrorLine(error)}` : `Uncaught ${describe(error)}`;
    } catch {
      // keep ""
    }
    const event = new ErrorEvent("error", { cancelable: true, message, error });
    notCanceled = eventTargetInternals.dispatch(globalEventTarget, event, (thrown) => reportUncaught(thrown));
  } catch (internal) {
    reportUncaught(internal);
  } finally {
    reportingException = false;
  }
  if (notCanceled) reportUncaught(error);
}

function describeErrorLine(error) {
  const name = error.name;
  const message = error.message;
  return message === "" || message === undefined ? String(name) : `${name}: ${message}`;
}

function reportError(e) {
  requiredArguments(arguments.length, 1, executePrefix("WorkerGlobalScope", "reportError"));
  reportException(e);
}

// ---- waitUntil and FetchEvent ---------------------------------------------------------

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

// The event passed to "fetch" listeners (Service Workers §4.5).
class FetchEvent extends Event {
  #request;
  #dispatching = true; // respondWith() is only allowed while listeners run
  #responded = false;
  #response = undefined;

  constructor(token, request) {
    if (token !== kInternal) throw new TypeError("Illegal constructor");
    super("fetch", { cancelable: true });
    this.#request = request;
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#request in self)) {
      throw illegalInvocation(prefix);
    }
  }

  get request() {
    FetchEvent.#check(this, "Failed to read the 'request' property from 'FetchEvent'");
    return this.#request;
  }

  // Service Workers §4.5.4: the errors are InvalidStateError DOMExceptions.
  respondWith(response) {
    const prefix = executePrefix("FetchEvent", "respondWith");
    FetchEvent.#check(this, prefix);
    requiredArguments(arguments.length, 1, prefix);
    if (this.#responded) {
      throw domException(`${prefix}: The event has already been responded to.`, "InvalidStateError");
    }
    if (!this.#dispatching) {
      throw domException(
        `${prefix}: The event handler is already finished: respondWith() must be called ` +
          "synchronously from the fetch listener (pass it a promise to respond later).",
        "InvalidStateError",
      );
    }
    // Step: set the stop propagation and stop immediate propagation flags.
    eventInternals.stopAll(this);
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
