-- performance, navigator, crypto, WebAssembly, and how the new globals are installed.
local w = require "helper.webapi"
local js, throws = w.js, w.throws

describe("performance", function()
  it("has a monotonic now() and a timeOrigin in Unix milliseconds", function()
    assert.equal('[true,true,true,true]', js [=[
      const a = performance.now();
      await new Promise((r) => setTimeout(r, 5));
      const b = performance.now();
      return [b - a >= 4, a >= 0, Math.abs(performance.timeOrigin + b - Date.now()) < 1000,
        performance.toJSON().timeOrigin === performance.timeOrigin];
    ]=])
  end)
end)

describe("navigator", function()
  it("has a userAgent", function()
    assert.equal('"ski"', js [=[ return navigator.userAgent ]=])
  end)
end)

describe("crypto", function()
  it("fills integer arrays and makes v4 UUIDs", function()
    assert.equal('[true,true,true,true]', js [=[
      const a = new Uint32Array(8);
      const same = crypto.getRandomValues(a) === a;
      const uuid = crypto.randomUUID();
      return [same, a.some((x) => x !== 0), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid),
        crypto.randomUUID() !== uuid];
    ]=])
  end)

  it("makes distinct v4 UUIDs across a pool refill and in every instance", function()
    -- randomUUID draws its entropy 4 KiB (256 UUIDs) at a time
    local first = {}
    for i = 1, 2 do
      local out = js [=[
        const seen = new Set();
        const form = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
        let bad = 0;
        for (let i = 0; i < 1000; i++) { const u = crypto.randomUUID(); if (!form.test(u)) bad++; seen.add(u); }
        return [seen.size, bad, [...seen][0]];
      ]=]
      assert.matches('^%[1000,0,"', out)
      first[i] = out:match(',"(.-)"%]$')
    end
    assert.not_equal(first[1], first[2])
  end)

  it("refuses float arrays and more than 65,536 bytes", function()
    assert.equal([["TypeMismatchError: Failed to execute 'getRandomValues' on 'Crypto': The provided ArrayBufferView is of type 'Float32', which is not an integer array type."]],
      throws [=[ crypto.getRandomValues(new Float32Array(1)) ]=])
    assert.equal([["QuotaExceededError: Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (65537) exceeds the number of bytes of entropy available via this API (65536)."]],
      throws [=[ crypto.getRandomValues(new Uint8Array(65537)) ]=])
    assert.equal('65536', js [=[ return crypto.getRandomValues(new Uint8Array(65536)).length ]=])
    assert.equal([["TypeError: Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'."]],
      throws [=[ crypto.getRandomValues([1]) ]=])
  end)
end)

describe("WebAssembly", function()
  it("compiles and instantiates from a handler, synchronously and with promises", function()
    assert.equal('[5,42,true,true]', js [=[
      const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]);
      const sync = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.add(2, 3);
      const { instance } = await WebAssembly.instantiate(bytes);
      const module = await WebAssembly.compile(bytes);
      const again = await WebAssembly.instantiate(module);
      return [sync, instance.exports.add(20, 22), WebAssembly.validate(bytes), again instanceof WebAssembly.Instance];
    ]=])
    assert.equal('"CompileError"', js [=[
      try { await WebAssembly.compile(new Uint8Array([1, 2])) } catch (e) { return e.name }
    ]=])
  end)

  it("compiles asynchronously, off the handler's turn, and the call waits for it", function()
    -- a synchronous compile would have settled within a few microtask turns; V8's
    -- asynchronous one settles from a task the loop runs, which a call must wait for
    assert.equal('[false,true,5,"compile",1,"instantiate",1]', js [=[
      const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]);
      let settled = false;
      const pending = WebAssembly.instantiate(bytes).then((r) => { settled = true; return r; });
      for (let i = 0; i < 5; i++) await null;
      const early = settled;
      const { instance } = await pending;
      return [early, settled, instance.exports.add(2, 3), WebAssembly.compile.name, WebAssembly.compile.length,
              WebAssembly.instantiate.name, WebAssembly.instantiate.length];
    ]=])
  end)
end)

describe("WebAssembly streaming", function()
  -- the JS with ADD replaced by a module that exports add(a, b)
  local function with_add(source)
    return (source:gsub("ADD", "new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11])"))
  end

  it("compiles and instantiates a Response, a promise of one, and a Blob body", function()
    assert.equal('[5,true,7,true,9,"module,instance"]', js(with_add [=[
      const bytes = ADD;
      const wasm = { headers: { "content-type": "Application/WASM" } };
      const module = await WebAssembly.compileStreaming(new Response(bytes, wasm));
      const sync = new WebAssembly.Instance(module).exports.add(2, 3);
      const r = await WebAssembly.instantiateStreaming(Promise.resolve(new Response(bytes, wasm)));
      // a body from a Blob of two parts, awaited before compiling
      const blob = new Blob([bytes.slice(0, 10), bytes.slice(10)]);
      const streamed = await WebAssembly.instantiateStreaming(new Response(blob, wasm), {});
      return [sync, r.module instanceof WebAssembly.Module, r.instance.exports.add(3, 4),
        streamed.instance instanceof WebAssembly.Instance, streamed.instance.exports.add(4, 5), Object.keys(r).join()];
    ]=]))
  end)

  it("rejects what is not an ok application/wasm Response, with a TypeError that says why", function()
    assert.equal(table.concat({
      '["TypeError: WebAssembly.compileStreaming(): The response has Content-Type \'application/octet-stream\'; expected \'application/wasm\'."',
      '"TypeError: WebAssembly.compileStreaming(): The response has no Content-Type; expected \'application/wasm\'."',
      '"TypeError: WebAssembly.instantiateStreaming(): The response\'s HTTP status 404 is not ok (200-299)."',
      '"TypeError: WebAssembly.compileStreaming(): Argument 1 must be a Response or a promise that resolves to one, not an object (Uint8Array)."',
      '"TypeError: WebAssembly.compileStreaming(): Body has already been used. It can only be used once. Use clone() first if you need to read it twice."',
      '"CompileError"', '"no"]' }, ","), js(with_add [=[
      const bytes = ADD;
      const wasm = (init = {}) => ({ ...init, headers: { "content-type": "application/wasm" } });
      const why = (p) => p.then(() => "resolved", (e) => e.name === "CompileError" ? e.name : String(e));
      const used = new Response(bytes, wasm());
      await used.arrayBuffer();
      return [
        await why(WebAssembly.compileStreaming(new Response(bytes, { headers: { "content-type": "application/octet-stream" } }))),
        await why(WebAssembly.compileStreaming(new Response(bytes))),
        await why(WebAssembly.instantiateStreaming(new Response(bytes, wasm({ status: 404 })))),
        await why(WebAssembly.compileStreaming(bytes)),
        await why(WebAssembly.compileStreaming(used)),
        await why(WebAssembly.compileStreaming(new Response(new Uint8Array([0, 97, 115]), wasm()))),
        await WebAssembly.compileStreaming(Promise.reject(new Error("no"))).catch((e) => e.message),
      ];
    ]=]))
  end)

  it("are there for a worker whose top level put a getter on Object.prototype and replaced compile", function()
    local t = require "helper.support"
    local worker = t.worker(with_add [=[
      Object.defineProperty(Object.prototype, "get", { value: () => 1, configurable: true, writable: true });
      WebAssembly.compile = () => { throw new Error("replaced"); };
      export default { async fetch() {
        delete Object.prototype.get;
        const { instance } = await WebAssembly.instantiateStreaming(
          new Response(ADD, { headers: { "content-type": "application/wasm" } }));
        return new Response(String(instance.exports.add(2, 3)));
      } };
    ]=])
    local res, err, code = worker:fetch("http://localhost/", 10000)
    worker:close()
    assert.equal("5", res and res.body, tostring(code) .. ": " .. tostring(err))
  end)

  it("are namespace operations like V8's own", function()
    assert.equal('[true,true,true,"compileStreaming",1,"instantiateStreaming",1,false]', js [=[
      const d = Object.getOwnPropertyDescriptor(WebAssembly, "compileStreaming");
      let constructs = true;
      try { new WebAssembly.instantiateStreaming(); } catch { constructs = false; }
      return [d.enumerable, d.writable, d.configurable, WebAssembly.compileStreaming.name, WebAssembly.compileStreaming.length,
        WebAssembly.instantiateStreaming.name, WebAssembly.instantiateStreaming.length, constructs];
    ]=])
  end)
end)

describe("the new globals", function()
  it("are non-enumerable, writable and configurable, with toStringTags", function()
    assert.equal('[[],"[object Performance]","[object Crypto]","[object AbortSignal]","AbortController"]', js [=[
      const names = ["URL", "URLSearchParams", "Blob", "File", "FormData", "Event", "EventTarget", "CustomEvent",
        "AbortController", "AbortSignal", "DOMException", "structuredClone", "atob", "btoa", "performance",
        "navigator", "crypto", "reportError", "dispatchEvent", "ErrorEvent"];
      const bad = names.filter((n) => {
        const d = Object.getOwnPropertyDescriptor(globalThis, n);
        return !d || d.enumerable || !d.writable || !d.configurable;
      });
      return [bad, String(performance), String(crypto), String(AbortSignal.abort()), AbortController.name];
    ]=])
  end)
end)

describe("a worker that put descriptor fields on Object.prototype", function()
  -- get/set/value/writable... inherited by every object literal: a property descriptor the
  -- layer wrote as a literal would inherit them too ("Cannot both specify accessors and a
  -- value"), breaking the worker's load, Events and structuredClone
  it("still loads, and Events, structuredClone and the rest keep working", function()
    local t = require "helper.support"
    local worker = t.worker [=[
      for (const k of ["get", "set", "value", "writable", "enumerable", "configurable"]) {
        Object.defineProperty(Object.prototype, k,
          { __proto__: null, value: k === "get" || k === "set" ? () => 1 : true, configurable: true, writable: true });
      }
      export default { async fetch(request) {
        const clone = structuredClone({ a: 1, b: [1, 2] });
        const error = structuredClone(new Error("m", { cause: 7 }));
        const target = new EventTarget();
        let heard = 0;
        target.addEventListener("x", (e) => { heard += e.isTrusted ? 10 : 1; });
        target.dispatchEvent(new Event("x"));
        const controller = new AbortController();
        controller.abort();
        const out = [clone.b[1], error.message, error.cause, heard, controller.signal.aborted,
          request.headers.get("x-a"), await new Response("body", { headers: { a: "b" } }).text(),
          await new Promise((r) => setTimeout(() => r("timer"), 1))];
        for (const k of ["get", "set", "value", "writable", "enumerable", "configurable"]) delete Object.prototype[k];
        return new Response(JSON.stringify(out));
      } };
    ]=]
    local res, err, code = worker:fetch({ url = "http://localhost/", headers = { ["x-a"] = "1" } }, 10000)
    worker:close()
    assert.equal('[2,"m",7,1,true,"1","body","timer"]', res and res.body, tostring(code) .. ": " .. tostring(err))
  end)
end)
