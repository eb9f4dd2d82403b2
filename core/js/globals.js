// globals.js: installs the layer's API on the global object, last, once every class is
// complete. Everything is non-enumerable, writable and configurable (README.md).

defineGlobal("self", globalThis);

defineGlobal("AbortController", AbortController);
defineGlobal("AbortSignal", AbortSignal);
defineGlobal("Blob", Blob);
defineGlobal("CustomEvent", CustomEvent);
defineGlobal("DOMException", DOMException);
defineGlobal("ErrorEvent", ErrorEvent);
defineGlobal("Event", Event);
defineGlobal("EventTarget", EventTarget);
defineGlobal("FetchEvent", FetchEvent);
defineGlobal("File", File);
defineGlobal("FormData", FormData);
defineGlobal("Headers", Headers);
defineGlobal("Request", Request);
defineGlobal("Response", Response);
defineGlobal("TextDecoder", TextDecoder);
defineGlobal("TextEncoder", TextEncoder);
defineGlobal("URL", URL);
defineGlobal("URLSearchParams", URLSearchParams);
defineGlobal("Crypto", Crypto);
defineGlobal("Navigator", Navigator);
defineGlobal("Performance", Performance);

defineGlobal("atob", atob);
defineGlobal("btoa", btoa);
defineGlobal("console", consoleNamespace);
defineGlobal("crypto", crypto);
defineGlobal("navigator", navigator);
defineGlobal("performance", performance);
defineGlobal("queueMicrotask", queueMicrotask);
defineGlobal("reportError", reportError);
defineGlobal("structuredClone", structuredClone);
defineGlobal("setTimeout", setTimeout);
defineGlobal("setInterval", setInterval);
defineGlobal("clearTimeout", clearTimeout);
defineGlobal("clearInterval", clearInterval);
defineGlobal("addEventListener", addEventListener);
defineGlobal("removeEventListener", removeEventListener);
defineGlobal("dispatchEvent", dispatchEvent);
defineGlobal("require", require);

// V8 10.2 aborts the process (a fatal "invalid size" CHECK, not a RangeError) when
// String.prototype.split("") would make more elements than a FixedArray holds, which a
// string of more than 134,217,725 characters does. The usual spelling is refused here
// with the RangeError a newer V8 throws; every other call goes to the builtin unchanged.
// (A separator object whose toString gives "" still reaches the builtin: checking it
// would run user code twice.)
const MAX_FIXED_ARRAY_LENGTH = 134217725;
{
  const split = String.prototype.split;
  defineMembers(String.prototype, {
    split(separator, limit) {
      if (separator === "" && typeof this === "string" && this.length > MAX_FIXED_ARRAY_LENGTH &&
          (limit === undefined || limit >>> 0 > MAX_FIXED_ARRAY_LENGTH)) {
        throw new RangeError("Invalid array length");
      }
      return ReflectApply(split, this, arguments);
    },
  });
}
