-- Event, EventTarget, CustomEvent, ErrorEvent, reportError, AbortController/AbortSignal,
-- DOMException, and the global object as an event target.
local t = require "helper.support"
local w = require "helper.webapi"
local js, throws = w.js, w.throws

describe("EventTarget", function()
  it("dispatches to listeners in order, capture first, with once and handleEvent", function()
    assert.equal('[["capture",2,true],["a",2,true],["obj"],["a",2,true],true,0,null]', js [=[
      const target = new EventTarget();
      const seen = [];
      const a = function (e) { seen.push(["a", e.eventPhase, this === target]) };
      target.addEventListener("x", a);
      target.addEventListener("x", a); // a duplicate is ignored
      target.addEventListener("x", { handleEvent() { seen.push(["obj"]) } }, { once: true });
      target.addEventListener("x", (e) => seen.push(["capture", e.eventPhase, e.currentTarget === target]), { capture: true, once: true });
      const event = new Event("x");
      target.dispatchEvent(event);
      target.dispatchEvent(new Event("x"));
      return [...seen, event.target === target, event.eventPhase, event.currentTarget];
    ]=])
  end)

  it("honours preventDefault on cancelable events, passive listeners and stopImmediatePropagation", function()
    assert.equal('[false,true,true,["first"]]', js [=[
      const target = new EventTarget();
      const seen = [];
      target.addEventListener("c", (e) => { e.preventDefault(); seen.push("first"); e.stopImmediatePropagation() });
      target.addEventListener("c", () => seen.push("second"));
      const canceled = target.dispatchEvent(new Event("c", { cancelable: true }));
      target.addEventListener("p", (e) => e.preventDefault(), { passive: true });
      const passive = target.dispatchEvent(new Event("p", { cancelable: true }));
      const notCancelable = target.dispatchEvent(new Event("c"));
      return [canceled, passive, notCancelable, seen.slice(0, 1)];
    ]=])
  end)

  it("removes listeners by signal and refuses to redispatch an event in flight", function()
    assert.equal('[1,"InvalidStateError"]', js [=[
      const target = new EventTarget();
      const controller = new AbortController();
      let calls = 0, name;
      target.addEventListener("x", (e) => { calls++; try { target.dispatchEvent(e) } catch (err) { name = err.name } }, { signal: controller.signal });
      target.dispatchEvent(new Event("x"));
      controller.abort();
      target.dispatchEvent(new Event("x"));
      return [calls, name];
    ]=])
    assert.equal([["TypeError: Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'."]],
      throws [=[ new EventTarget().dispatchEvent({}) ]=])
    assert.equal([["TypeError: Failed to construct 'Event': 1 argument required, but only 0 present."]], throws [=[ new Event() ]=])
  end)

  it("has CustomEvent with detail and an unforgeable isTrusted", function()
    assert.equal('[{"n":1},null,false,true,"[object CustomEvent]"]', js [=[
      const e = new CustomEvent("c", { detail: { n: 1 } });
      const d1 = Object.getOwnPropertyDescriptor(e, "isTrusted");
      const d2 = Object.getOwnPropertyDescriptor(new Event("y"), "isTrusted");
      return [e.detail, new CustomEvent("c").detail, e.isTrusted, d1.get === d2.get && !d1.configurable, Object.prototype.toString.call(e)];
    ]=])
  end)

  it("makes the global object an event target for fetch, error and custom events", function()
    assert.equal("ok", t.fetch([[
      let custom = false;
      addEventListener("custom", function (e) { custom = this === globalThis && e.target === globalThis });
      addEventListener("fetch", (e) => {
        dispatchEvent(new Event("custom"));
        e.respondWith(new Response(custom && e instanceof Event && e.isTrusted ? "ok" : "bad"));
      });
    ]]).body)
  end)
end)

describe("reportError", function()
  it("dispatches a cancelable ErrorEvent at the global object, then logs if not prevented", function()
    local loop = assert(t.ski.loop())
    loop:buffer_console(10)
    local inst = t.worker([[
      const seen = [];
      addEventListener("error", (e) => { seen.push([e.constructor.name, e.message, e.error.message]); if (e.error.message === "quiet") e.preventDefault() });
      export default { fetch() {
        reportError(new Error("quiet"));
        reportError(new Error("loud"));
        return new Response(JSON.stringify(seen));
      } }
    ]], loop)
    local res = assert(inst:fetch("http://x/"))
    assert.equal('[["ErrorEvent","Uncaught Error: quiet","quiet"],["ErrorEvent","Uncaught Error: loud","loud"]]', res.body)
    local line = loop:next_console()
    assert.equal(3, line.level)
    assert.matches("^Uncaught Error: loud", line.text)
    assert.is_nil(loop:next_console())
    inst:close()
    loop:close()
  end)
end)

describe("AbortController and AbortSignal", function()
  it("aborts with a default AbortError or the given reason, once, firing onabort and listeners", function()
    assert.equal('[true,"AbortError","signal is aborted without reason",20,["onabort","listener"],"why"]', js [=[
      const c = new AbortController();
      const seen = [];
      c.signal.onabort = (e) => seen.push("onabort");
      c.signal.addEventListener("abort", () => seen.push("listener"));
      c.abort(); c.abort();
      const c2 = new AbortController(); c2.abort("why");
      return [c.signal.aborted, c.signal.reason.name, c.signal.reason.message, c.signal.reason.code, seen, c2.signal.reason];
    ]=])
  end)

  it("has abort(), timeout(), any() and throwIfAborted()", function()
    assert.equal('["x",true,"TimeoutError","signal timed out",true,"r2",false]', js [=[
      const out = [];
      try { AbortSignal.abort("x").throwIfAborted() } catch (e) { out.push(e) }
      const t = AbortSignal.timeout(5);
      await new Promise((resolve) => t.onabort = resolve);
      out.push(t.aborted, t.reason.name, t.reason.message);
      const a = new AbortController(), b = new AbortController();
      const any = AbortSignal.any([a.signal, b.signal]);
      b.abort("r2");
      out.push(any.aborted, any.reason, new AbortController().signal.aborted);
      return out;
    ]=])
    assert.equal([["TypeError: Failed to construct 'AbortSignal': Illegal constructor"]], throws [=[ new AbortSignal() ]=])
  end)

  it("is the signal of a Request", function()
    assert.equal('[true,false,true]', js [=[
      const c = new AbortController();
      const r = new Request("http://x/", { signal: c.signal });
      c.abort();
      return [r.signal instanceof AbortSignal, request.signal.aborted, r.signal.aborted];
    ]=])
  end)
end)

describe("DOMException", function()
  it("has names, messages, legacy codes and constants, and inherits from Error", function()
    assert.equal('["NotFoundError","m",8,0,25,25,true,"Error","",true]', js [=[
      const e = new DOMException("m", "NotFoundError");
      const d = new DOMException();
      return [e.name, e.message, e.code, new DOMException("x", "Custom").code, DOMException.DATA_CLONE_ERR,
        e.DATA_CLONE_ERR, e instanceof Error, d.name, d.message, typeof e.stack === "string"];
    ]=])
  end)
end)
