// globals.js: installs the layer's API on the global object, last, once every class is
// complete. Everything is non-enumerable, writable and configurable (README.md).

defineGlobal("self", globalThis);

defineGlobal("Headers", Headers);
defineGlobal("Request", Request);
defineGlobal("Response", Response);
defineGlobal("TextDecoder", TextDecoder);
defineGlobal("TextEncoder", TextEncoder);

defineGlobal("console", consoleNamespace);
defineGlobal("queueMicrotask", queueMicrotask);
defineGlobal("setTimeout", setTimeout);
defineGlobal("setInterval", setInterval);
defineGlobal("clearTimeout", clearTimeout);
defineGlobal("clearInterval", clearInterval);
defineGlobal("addEventListener", addEventListener);
defineGlobal("removeEventListener", removeEventListener);
defineGlobal("require", require);
