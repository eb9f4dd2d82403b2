-- structuredClone: the serializable types, shared references and cycles, transfer, and
-- DataCloneError for what cannot be cloned.
local w = require "helper.webapi"
local js, throws = w.js, w.throws

describe("structuredClone", function()
  it("clones primitives, wrappers, Date, RegExp, Map, Set, arrays and objects deeply", function()
    assert.equal('[1,"s",null,true,"object",5,0,"gi","x",2,true,[1,[2]],false,"b"]', js [=[
      const src = { n: 1, s: "s", u: null, w: new Number(5), d: new Date(0), r: /x/gi,
        m: new Map([["k", { v: 2 }]]), set: new Set([1]), a: [1, [2]] };
      const c = structuredClone(src);
      return [c.n, c.s, c.u, c.w instanceof Number, typeof c.w, c.w.valueOf(), c.d.getTime(), c.r.flags, c.r.source,
        c.m.get("k").v, c.set.has(1), c.a, c.m.get("k") === src.m.get("k"), structuredClone(10n) === 10n ? "b" : "no"];
    ]=])
  end)

  it("keeps cycles and shared references", function()
    assert.equal('[true,true,false]', js [=[
      const shared = {};
      const o = { a: shared, b: shared };
      o.self = o;
      const c = structuredClone(o);
      return [c.self === c, c.a === c.b, c.a === shared];
    ]=])
  end)

  it("clones buffers and views, keeping views of one buffer on one buffer", function()
    assert.equal('[true,[2,3],4,true,"Float64Array",false]', js [=[
      const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
      const c = structuredClone({ u: new Uint8Array(buffer, 1, 2), dv: new DataView(buffer), f: new Float64Array(1) });
      return [c.u.buffer === c.dv.buffer, [...c.u], c.dv.byteLength, c.dv instanceof DataView,
        c.f.constructor.name, c.u.buffer === buffer];
    ]=])
  end)

  it("clones Error types, DOMException, Blob and File", function()
    assert.equal('[true,"RangeError","boom",true,"AbortError","m","File","f.txt","hi","text/plain"]', js [=[
      const c = structuredClone({ e: new RangeError("boom"), d: new DOMException("m", "AbortError"),
        f: new File(["hi"], "f.txt", { type: "text/plain" }) });
      return [c.e instanceof RangeError, c.e.name, c.e.message, c.d instanceof DOMException, c.d.name, c.d.message,
        c.f.constructor.name, c.f.name, await c.f.text(), c.f.type];
    ]=])
  end)

  it("throws DataCloneError for functions, symbols and platform objects", function()
    assert.equal([["DataCloneError: Failed to execute 'structuredClone' on 'WorkerGlobalScope': function f() {} could not be cloned."]],
      throws [=[ structuredClone({ f: function f() {} }) ]=])
    assert.equal([["DataCloneError: Failed to execute 'structuredClone' on 'WorkerGlobalScope': Symbol(s) could not be cloned."]],
      throws [=[ structuredClone(Symbol("s")) ]=])
    assert.equal([["DataCloneError: Failed to execute 'structuredClone' on 'WorkerGlobalScope': [object Headers] could not be cloned."]],
      throws [=[ structuredClone(new Headers()) ]=])
    assert.equal('[25,true]', js [=[ try { structuredClone(new WeakMap()) } catch (e) { return [e.code, e instanceof DOMException] } ]=])
    assert.equal([["TypeError: Failed to execute 'structuredClone' on 'WorkerGlobalScope': 1 argument required, but only 0 present."]],
      throws [=[ structuredClone() ]=])
  end)

  it("goes by internal slots, not looks: Proxies, Symbol objects, Promises refused; a fake Error is an object", function()
    local P = "DataCloneError: Failed to execute 'structuredClone' on 'WorkerGlobalScope': "
    assert.equal('["' .. P .. '#<Object> could not be cloned.","' .. P .. '#<Object> could not be cloned.",' ..
      '"' .. P .. '[object Symbol] could not be cloned.","' .. P .. '[object Promise] could not be cloned.",' ..
      '"object",false,"x",true,"TypeError","m"]', js [=[
      const why = (v) => { try { structuredClone(v); return "cloned" } catch (e) { return e.name + ": " + e.message } };
      const fake = structuredClone({ [Symbol.toStringTag]: "Error", message: "x" });
      class Tagged extends TypeError { get [Symbol.toStringTag]() { return "Tagged" } }
      const real = structuredClone(new Tagged("m"));
      return [why(new Proxy({}, {})), why(new Proxy([1], {})), why(Object(Symbol("s"))), why(Promise.resolve()),
        typeof fake, fake instanceof Error, fake.message, real instanceof TypeError, real.name, real.message];
    ]=])
  end)

  it("transfers ArrayBuffers (the original is detached) and refuses anything else", function()
    assert.equal('[3,[1,2,3],0,true]', js [=[
      const buffer = new Uint8Array([1, 2, 3]).buffer;
      const c = structuredClone(buffer, { transfer: [buffer] });
      let detached = false;
      try { new Uint8Array(buffer) } catch (e) { detached = e instanceof TypeError }
      return [c.byteLength, [...new Uint8Array(c)], buffer.byteLength, detached];
    ]=])
    assert.equal([["DataCloneError: Failed to execute 'structuredClone' on 'WorkerGlobalScope': Value at index 0 does not have a transferable type."]],
      throws [=[ structuredClone(1, { transfer: [{}] }) ]=])
  end)
end)
