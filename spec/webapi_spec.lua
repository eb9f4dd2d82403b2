-- The core of Headers, Request and Response that every worker relies on. Each check
-- runs inside a worker's fetch handler; `js(code)` returns what the code returns,
-- JSON-encoded, or raises with the worker's error.
local t = require "helper.support"

local inst

local function js(code, req)
  local source = "export default { async fetch(request) {\n" ..
    "  const result = await (async () => {\n" .. code .. "\n  })();\n" ..
    "  return new Response(JSON.stringify(result === undefined ? null : result));\n} }"
  local worker = t.worker(source)
  local res, err, code_name = worker:fetch(req or "http://localhost/")
  worker:close()
  if not res then error(tostring(code_name) .. ": " .. tostring(err), 2) end
  return res.body
end

-- Returns the TypeError/RangeError name and message the code throws.
local function throws(code)
  return js("try { " .. code .. "; return 'no error' } catch (e) { return e.name + ': ' + e.message }")
end

describe("Headers", function()
  it("is case-insensitive and iterates sorted, lower-cased, combined", function()
    assert.equal('[["a-first","1"],["content-type","text/html"],["x-multi","a, b"]]', js [=[
      const h = new Headers({ "X-Multi": "a", "Content-Type": "text/html" });
      h.append("x-MULTI", "b");
      h.set("A-First", "1");
      return [...h];
    ]=])
    assert.equal('["text/html",true,false,null]', js [=[
      const h = new Headers([["Content-Type", "text/html"]]);
      return [h.get("CONTENT-TYPE"), h.has("content-type"), h.has("nope"), h.get("nope")];
    ]=])
  end)

  it("keeps Set-Cookie values apart in iteration and getSetCookie()", function()
    assert.equal('[[["set-cookie","a=1"],["set-cookie","b=2, c"]],["a=1","b=2, c"],"a=1, b=2, c"]', js [=[
      const h = new Headers();
      h.append("Set-Cookie", "a=1");
      h.append("set-cookie", "b=2, c");
      return [[...h], h.getSetCookie(), h.get("set-cookie")];
    ]=])
  end)

  it("trims values and rejects invalid names and values with TypeError", function()
    assert.equal('"v a l"', js [=[ return new Headers({ k: " \t v a l \t" }).get("k") ]=])
    assert.matches('^"TypeError: .+"$', throws [=[ new Headers({ "bad name": "x" }) ]=])
    assert.matches('^"TypeError: .+"$', throws [=[ new Headers({ "x": "a\nb" }) ]=])
    assert.matches('^"TypeError: .+"$', throws [=[ new Headers().append("x", "\u0100") ]=])
    assert.matches('^"TypeError: .+"$', throws [=[ new Headers([["only-one"]]) ]=])
  end)

  it("reads a record as WebIDL says: own enumerable string keys in order, symbols refused, proxies trap by trap", function()
    assert.equal('[["a","1"],["b","getter"],["c","3"]]', js [=[
      const proto = { inherited: "no" };
      const o = Object.create(proto);
      o.c = "3"; o.a = "1";
      Object.defineProperty(o, "hidden", { value: "no", enumerable: false });
      Object.defineProperty(o, "b", { get() { delete o.gone; return "getter"; }, enumerable: true });
      o.gone = "deleted by the getter before it is read";
      return [...new Headers(o)];
    ]=])
    assert.matches('^"TypeError: .+"$', throws [=[ new Headers({ a: "1", [Symbol("s")]: "x" }) ]=])
    assert.equal('["ownKeys","getOwnPropertyDescriptor:a","get:a","getOwnPropertyDescriptor:b","get:b"]', js [=[
      const log = [];
      const p = new Proxy({ a: "1", b: "2" }, {
        ownKeys(t) { log.push("ownKeys"); return Reflect.ownKeys(t); },
        getOwnPropertyDescriptor(t, k) { log.push("getOwnPropertyDescriptor:" + k); return Reflect.getOwnPropertyDescriptor(t, k); },
        get(t, k) { log.push("get:" + String(k)); return Reflect.get(t, k); },
        getPrototypeOf(t) { log.push("getPrototypeOf"); return Reflect.getPrototypeOf(t); },
      });
      new Headers(p);
      return log.filter((e) => e !== "get:Symbol(Symbol.iterator)");
    ]=])
  end)

  it("supports delete, forEach, keys, values and entries", function()
    assert.equal('[["b"],["2"],"b=2;"]', js [=[
      const h = new Headers({ a: "1", b: "2" });
      h.delete("A");
      let seen = "";
      h.forEach((v, k) => { seen += k + "=" + v + ";" });
      return [[...h.keys()], [...h.values()], seen];
    ]=])
  end)
end)

describe("Request", function()
  it("exposes the incoming method, URL, headers and body", function()
    assert.equal('["POST","http://localhost/p?q=1","text/plain","hi"]', js([=[
      return [request.method, request.url, request.headers.get("content-type"), await request.text()];
    ]=], { method = "POST", url = "http://localhost/p?q=1", headers = { ["Content-Type"] = "text/plain" }, body = "hi" }))
  end)

  it("parses JSON bodies and refuses a second read", function()
    assert.equal('[{"a":[1,2]},true,"TypeError"]', js([=[
      const data = await request.json();
      let second;
      try { await request.text() } catch (e) { second = e.name }
      return [data, request.bodyUsed, second];
    ]=], { method = "POST", url = "http://localhost/", body = '{"a":[1,2]}' }))
  end)

  it("is constructed with init, normalises methods, and rejects bodies on GET/HEAD", function()
    assert.equal('["DELETE","PATCH","x","follow"]', js [=[
      const a = new Request("http://x/", { method: "delete" });
      const b = new Request("http://x/", { method: "PATCH", body: "x" });
      return [a.method, b.method, await b.text(), a.redirect];
    ]=])
    assert.matches('"TypeError', throws [=[ new Request("http://x/", { method: "GET", body: "x" }) ]=])
    assert.matches('"TypeError', throws [=[ new Request("http://x/", { method: "CONNECT" }) ]=])
    assert.matches('"TypeError', throws [=[ new Request("not a url") ]=])
  end)

  it("clones, and cannot be cloned once its body is used", function()
    assert.equal('["abc","abc","TypeError"]', js([=[
      const c = request.clone();
      const out = [await request.text(), await c.text()];
      try { request.clone() } catch (e) { out.push(e.name) }
      return out;
    ]=], { method = "POST", url = "http://localhost/", body = "abc" }))
  end)
end)

describe("Response", function()
  it("has status, ok, statusText and headers from init", function()
    assert.equal('[404,false,"Not Here","v"]', js [=[
      const r = new Response("x", { status: 404, statusText: "Not Here", headers: { k: "v" } });
      return [r.status, r.ok, r.statusText, r.headers.get("k")];
    ]=])
  end)

  it("reads bodies as text, JSON, ArrayBuffer and bytes", function()
    assert.equal('["héllo",{"a":1},5,[1,2,3]]', js [=[
      return [
        await new Response("héllo").text(),
        await new Response('{"a":1}').json(),
        (await new Response(new Uint8Array([1, 2, 3, 4, 5]).buffer).arrayBuffer()).byteLength,
        [...await new Response(new Uint8Array([1, 2, 3])).bytes()],
      ];
    ]=])
  end)

  it("defaults the content type of string bodies", function()
    assert.equal('["text/plain;charset=UTF-8",null]', js [=[
      return [new Response("s").headers.get("content-type"), new Response(new Uint8Array(1)).headers.get("content-type")];
    ]=])
  end)

  it("builds JSON, redirect and error responses", function()
    assert.equal('[200,"application/json","{\\"a\\":1}",302,"http://x/next",0,"error"]', js [=[
      const j = Response.json({ a: 1 });
      const r = Response.redirect("http://x/next");
      const e = Response.error();
      return [j.status, j.headers.get("content-type"), await j.text(), r.status, r.headers.get("location"), e.status, e.type];
    ]=])
    assert.matches('"RangeError', throws [=[ Response.redirect("http://x/", 200) ]=])
  end)

  it("rejects bad statuses and bodies on null-body statuses", function()
    assert.matches('"RangeError', throws [=[ new Response("x", { status: 99 }) ]=])
    assert.matches('"RangeError', throws [=[ new Response("x", { status: 600 }) ]=])
    assert.matches('"TypeError', throws [=[ new Response("x", { status: 204 }) ]=])
  end)

  it("clones, and reports bodyUsed", function()
    assert.equal('["a","a",true,false]', js [=[
      const r = new Response("a");
      const c = r.clone();
      return [await r.text(), await c.clone().text(), r.bodyUsed, new Response("b").bodyUsed];
    ]=])
  end)
end)

describe("the global scope", function()
  it("has self, TextEncoder and TextDecoder", function()
    assert.equal('[true,[104,195,169],"hé"]', js [=[
      return [self === globalThis, [...new TextEncoder().encode("hé")], new TextDecoder().decode(new Uint8Array([104, 195, 169]))];
    ]=])
  end)

  it("throws a clear error from require()", function()
    assert.matches("require%('x'%) is not supported", throws [=[ require("x") ]=])
  end)
end)
