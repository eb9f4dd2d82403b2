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
