// abort.js: AbortController and AbortSignal (WHATWG DOM §3.1, §3.2).

let abortSignalInternals;

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #algorithms = []; // run once, when the signal aborts
  #dependent = false;
  #sources = [];    // for a dependent signal (AbortSignal.any): its source signals
  #dependents = []; // signals made by AbortSignal.any() that follow this one

  constructor(token = undefined) {
    if (token !== kInternal) throw new TypeError("Failed to construct 'AbortSignal': Illegal constructor");
    super();
  }

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#aborted in self)) throw illegalInvocation(prefix);
  }

  static abort(reason = undefined) {
    const signal = new AbortSignal(kInternal);
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  static timeout(milliseconds) {
    const prefix = executePrefix("AbortSignal", "timeout");
    requiredArguments(arguments.length, 1, prefix);
    // WebIDL [EnforceRange] unsigned long long.
    const number = +milliseconds;
    if (!NumberIsFinite(number) || MathTrunc(number) < 0 || MathTrunc(number) > 9007199254740991) {
      throw new TypeError(`${prefix}: Value is outside the 'unsigned long long' value range.`);
    }
    const signal = new AbortSignal(kInternal);
    // Timers go through the layer's own setTimeout, which user code cannot replace.
    setTimeout(() => {
      AbortSignal.#signalAbort(signal, domException("signal timed out", "TimeoutError"));
    }, MathTrunc(number));
    return signal;
  }

  static any(signals) {
    const prefix = executePrefix("AbortSignal", "any");
    requiredArguments(arguments.length, 1, prefix);
    const list = toSequence(signals, prefix, "The provided value");
    for (let i = 0; i < list.length; i++) {
      if (!AbortSignal.#is(list[i])) {
        throw new TypeError(`${prefix}: Failed to convert value to 'AbortSignal'.`);
      }
    }
    // DOM §3.2 "create a dependent abort signal".
    const result = new AbortSignal(kInternal);
    for (let i = 0; i < list.length; i++) {
      if (list[i].#aborted) {
        result.#aborted = true;
        result.#reason = list[i].#reason;
        return result;
      }
    }
    result.#dependent = true;
    for (let i = 0; i < list.length; i++) {
      const signal = list[i];
      const sources = signal.#dependent ? signal.#sources : [signal];
      for (let j = 0; j < sources.length; j++) {
        const source = sources[j];
        if (ArrayPrototypeIncludes(result.#sources, source)) continue;
        ArrayPrototypePush(result.#sources, source);
        ArrayPrototypePush(source.#dependents, result);
      }
    }
    return result;
  }

  static #is(value) {
    return typeof value === "object" && value !== null && #aborted in value;
  }

  get aborted() {
    AbortSignal.#check(this, "Failed to read the 'aborted' property from 'AbortSignal'");
    return this.#aborted;
  }

  get reason() {
    AbortSignal.#check(this, "Failed to read the 'reason' property from 'AbortSignal'");
    return this.#reason;
  }

  throwIfAborted() {
    AbortSignal.#check(this, executePrefix("AbortSignal", "throwIfAborted"));
    if (this.#aborted) throw this.#reason;
  }

  // DOM §3.2 "signal abort".
  static #signalAbort(signal, reason) {
    if (signal.#aborted) return;
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    const toAbort = [];
    const dependents = signal.#dependents;
    for (let i = 0; i < dependents.length; i++) {
      const dependent = dependents[i];
      if (!dependent.#aborted) {
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        ArrayPrototypePush(toAbort, dependent);
      }
    }
    AbortSignal.#runAbortSteps(signal);
    for (let i = 0; i < toAbort.length; i++) AbortSignal.#runAbortSteps(toAbort[i]);
  }

  static #runAbortSteps(signal) {
    const algorithms = signal.#algorithms;
    signal.#algorithms = [];
    for (let i = 0; i < algorithms.length; i++) {
      try {
        algorithms[i]();
      } catch (error) {
        reportException(error);
      }
    }
    eventTargetInternals.dispatch(signal, new Event("abort"));
  }

  static {
    abortSignalInternals = {
      is: (value) => AbortSignal.#is(value),
      aborted: (signal) => signal.#aborted,
      reason: (signal) => signal.#reason,
      create: () => new AbortSignal(kInternal),
      signalAbort: (signal, reason) => AbortSignal.#signalAbort(signal, reason),
      addAlgorithm(signal, algorithm) {
        if (!signal.#aborted) ArrayPrototypePush(signal.#algorithms, algorithm);
      },
      // A signal that follows `signal` (for Request: a new request's signal follows its
      // input's and init's).
      follow: (signals) => AbortSignal.any(signals),
    };
  }
}

function abortError() {
  return domException("signal is aborted without reason", "AbortError");
}

defineEventHandler(AbortSignal.prototype, "AbortSignal", "abort");
setToStringTag(AbortSignal.prototype, "AbortSignal");

class AbortController {
  #signal = abortSignalInternals.create();

  static #check(self, prefix) {
    if (typeof self !== "object" || self === null || !(#signal in self)) throw illegalInvocation(prefix);
  }

  get signal() {
    AbortController.#check(this, "Failed to read the 'signal' property from 'AbortController'");
    return this.#signal;
  }

  abort(reason = undefined) {
    AbortController.#check(this, executePrefix("AbortController", "abort"));
    abortSignalInternals.signalAbort(this.#signal, reason);
  }
}

setToStringTag(AbortController.prototype, "AbortController");
