-- Calls: a request goes in as bytes, the handler's Response comes out as bytes, and
-- every way a handler can fail has its own code.
local ffi = require "ffi"
local t = require "helper.support"
local ski, C = t.ski, t.C

local function encode_uri(s)
  return (s:gsub("[^%w%-_.!~*'()]", function(c) return string.format("%%%02X", c:byte()) end))
end

local echo = [[
  export default {
    async fetch(request) {
      const body = await request.text();
      const headers = [...request.headers].map(([k, v]) => k + "=" + v).join(";");
      return new Response(JSON.stringify({ method: request.method, url: request.url, headers, body }), {
        status: 201, statusText: "Made", headers: { "content-type": "application/json", "x-echo": "1" },
      });
    },
  };
]]

describe("a call", function()
  it("passes method, URL, headers and body in, and status, headers and body out", function()
    local res = assert(t.fetch(echo, {
      method = "PUT", url = "https://example.com/a/b?c=d",
      headers = { { "X-One", "1" }, { "x-two", "  two  " }, { "Content-Type", "text/plain" } },
      body = "payload",
    }))
    assert.equal(201, res.status)
    assert.equal("Made", res.status_text)
    assert.equal("application/json", t.header(res, "content-type"))
    assert.equal("1", t.header(res, "x-echo"))
    assert.matches('"method":"PUT"', res.body)
    assert.matches('"url":"https://example.com/a/b?c=d"', res.body, 1, true)
    assert.matches('"headers":"content-type=text/plain;x-one=1;x-two=two"', res.body, 1, true)
    assert.matches('"body":"payload"', res.body, 1, true)
  end)

  it("carries binary bodies byte for byte, both ways", function()
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    bytes = table.concat(bytes):rep(40)
    local res = assert(t.fetch([[
      export default { async fetch(req) {
        const buf = new Uint8Array(await req.arrayBuffer());
        for (let i = 0; i < buf.length; i++) buf[i] = 255 - buf[i];
        return new Response(buf);
      } }
    ]], { method = "POST", url = "http://localhost/", body = bytes }))
    assert.equal(#bytes, #res.body)
    assert.equal(bytes:gsub(".", function(c) return string.char(255 - c:byte()) end), res.body)
  end)

  it("keeps repeated Set-Cookie headers apart and keeps header order", function()
    local res = assert(t.fetch [[
      export default { fetch() {
        const h = new Headers();
        h.append("Set-Cookie", "a=1");
        h.append("X-B", "b");
        h.append("Set-Cookie", "b=2");
        h.append("x-a", "a");
        return new Response(null, { status: 204, headers: h });
      } }
    ]])
    assert.equal(204, res.status)
    assert.same({ { "set-cookie", "a=1" }, { "set-cookie", "b=2" }, { "x-a", "a" }, { "x-b", "b" } }, res.headers)
    assert.equal("", res.body)
  end)

  it("accepts a handler's promise, with awaits inside", function()
    local res = assert(t.fetch [[
      async function slowly(x) { await null; await Promise.resolve(); return x; }
      export default { async fetch() { const a = await slowly("as"); return new Response(a + await slowly("ync")) } }
    ]])
    assert.equal("async", res.body)
  end)

  it("accepts a Response promise from respondWith", function()
    local res = assert(t.fetch [[
      addEventListener("fetch", (e) => e.respondWith((async () => new Response("later"))()));
    ]])
    assert.equal("later", res.body)
  end)

  it("passes non-ASCII URLs and bodies intact", function()
    local res = assert(t.fetch([[
      export default { async fetch(req) { return new Response(req.url + "|" + await req.text()) } }
    ]], { method = "POST", url = "http://localhost/caf%C3%A9", body = "naïve ☃" }))
    assert.equal("http://localhost/caf%C3%A9|naïve ☃", res.body)
  end)

  it("hands the handler the request as Headers keeps it: method normalised, names lowercased, values trimmed", function()
    local res = assert(t.fetch([=[
      export default { fetch(req) {
        return new Response(JSON.stringify([req.method, req.url, [...req.headers]]));
      } }
    ]=], { method = "get", url = "HTTP://Example.COM:80/a/./b/../c?x#frag",
          headers = { { "X-Mixed-Case", " \t v a l \t " }, { "accept", "*/*" } } }))
    assert.equal('["GET","http://example.com/a/c?x#frag",[["accept","*/*"],["x-mixed-case","v a l"]]]', res.body)
    res = assert(t.fetch("export default { fetch(req) { return new Response(req.method) } }",
      { method = "patch", url = "http://localhost/" }))
    assert.equal("patch", res.body) -- only the six Fetch normalises change case
  end)

  it("passes many headers as well as a few (both ways native code hands them over)", function()
    local src = "export default { fetch(req) { return new Response([...req.headers].map(([k, v]) => k + '=' + v).join(',')) } }"
    for _, count in ipairs({ 0, 1, 32, 33, 200 }) do
      local headers, want = {}, {}
      for i = 1, count do
        headers[i] = { string.format("X-H%03d", i), "v" .. i }
        want[i] = string.format("x-h%03d=v%d", i, i)
      end
      local res = assert(t.fetch(src, { url = "http://x/", headers = headers }))
      assert.equal(table.concat(want, ","), res.body, count .. " headers")
    end
  end)

  it("passes numbers as header values intact, even when the GC runs between converting them", function()
    local inst = t.worker("export default { fetch(req) { return new Response([...req.headers].map(([k, v]) => k + '=' + v).join(',')) } }")
    collectgarbage("setpause", 0) -- a collection step at every allocation
    local ok, err = pcall(function()
      for round = 1, 20 do
        local headers, want = {}, {}
        for i = 1, 300 do
          headers[i] = { string.format("x-%03d", i), 1000000 + round * 1000 + i }
          want[i] = string.format("x-%03d=%d", i, 1000000 + round * 1000 + i)
        end
        local res = assert(inst:fetch { url = "http://x/", headers = headers })
        assert.equal(table.concat(want, ","), res.body)
        res = assert(inst:fetch { url = "http://x/", headers = { ["content-length"] = round } })
        assert.equal("content-length=" .. round, res.body)
      end
    end)
    collectgarbage("setpause", 200)
    inst:close()
    assert(ok, err)
  end)

  it("raises on a headers table of the wrong shape, naming the header", function()
    local inst = t.worker("export default { fetch() { return new Response('ok') } }")
    local function refused(req, pattern)
      local ok, err = pcall(inst.start, inst, req)
      assert.is_false(ok)
      assert.matches(pattern, err)
    end
    refused({ url = "http://x/", headers = { { "x-a" } } }, "request header 1: value must be a string or a number, not nil")
    refused({ url = "http://x/", headers = { "x-a: b" } }, "request header 1: a list of headers holds {name, value} pairs, not string")
    refused({ url = "http://x/", headers = { ["x-a"] = false } }, "request header 1: value must be a string or a number, not boolean")
    refused({ url = "http://x/", headers = { { 1, "v" } } }, "request header 1: name must be a string, not number")
    refused({ url = "http://x/", headers = "x" }, "request.headers must be a table")
    refused({ url = "http://x/", method = 123 }, "request.method must be a string")
    refused({ url = "http://x/", cpu_ms = -1 }, "request.cpu_ms must be a number of milliseconds")
    refused({ url = "http://x/", wall_ms = "5" }, "request.wall_ms must be a number of milliseconds")
    assert.equal("ok", assert(inst:fetch { url = "http://x/", headers = { { "x-a", 1 } } }).body)
    local ok, err = pcall(inst.loop.instance, inst.loop, { cpu_ms = -1 })
    assert.is_false(ok)
    assert.matches("instance option cpu_ms must be a number %(0 for the default%), not %-1", err)
    inst:close()
  end)

  it("refuses a request no Request could hold: SKI_EINVAL from ski_call_start, and no call", function()
    local inst = t.worker("export default { fetch() { return new Response('ok') } }")
    local cases = {
      { { method = "GE T", url = "http://x/" }, "method 'GE T' is not an HTTP method token" },
      { { method = "", url = "http://x/" }, "is not an HTTP method token" },
      { { url = "http://x/", headers = { { "bad name", "v" } } }, "the name 'bad name' is not an HTTP token" },
      { { url = "http://x/", headers = { { "x-a", "1\r\nx-b: 2" } } }, "contains NUL, CR or LF" },
      { { url = "http://x/", headers = { { "x-a", "a\0b" } } }, "contains NUL, CR or LF" },
      { { url = "not a url" }, "Invalid URL: 'not a url'" },
      { { url = "http://[::1/" }, "Invalid URL" },
    }
    for _, case in ipairs(cases) do
      local call, err, code = inst:start(case[1])
      assert.is_nil(call)
      assert.equal("SKI_EINVAL", code)
      assert.matches(case[2], err, 1, true)
    end
    assert.equal(0, (inst:pending()))
    assert.equal("ok", assert(inst:fetch("http://x/")).body) -- and the instance is fine
    inst:close()
  end)

  it("sends string bodies as UTF-8, lone surrogates as U+FFFD, and reads them back as text", function()
    local res = assert(t.fetch([[
      export default { async fetch() {
        const lone = new Response("a\uD800b\u00e9\u2603");
        const copy = lone.clone();
        const bom = await new Response("\uFEFFhi").text();
        const json = await new Response('{"k":[1]}').json();
        const bytes = [...new Uint8Array(await new Response("\u00e9").arrayBuffer())];
        const form = await new Response(new URLSearchParams("a=1&b=\u00e9")).text();
        return new Response("a\uD800b\u00e9\u2603", {
          headers: { "x-text": encodeURIComponent(await copy.text()), "x-bom": bom,
                     "x-json": String(json.k[0]), "x-bytes": bytes.join(","), "x-form": form },
        });
      } }
    ]]))
    assert.equal("a\239\191\189b\195\169\226\152\131", res.body)
    assert.equal(encode_uri("a\239\191\189b\195\169\226\152\131"), t.header(res, "x-text"))
    assert.equal("hi", t.header(res, "x-bom"))
    assert.equal("1", t.header(res, "x-json"))
    assert.equal("195,169", t.header(res, "x-bytes"))
    assert.equal("a=1&b=%C3%A9", t.header(res, "x-form"))
  end)

  describe("fails with a distinct code and message when the handler", function()
    local function failure(src)
      local res, err, code = t.fetch(src)
      assert.is_nil(res)
      return code, err
    end

    it("throws", function()
      local code, err = failure("export default { fetch() { throw new RangeError('out of range') } }")
      assert.equal("SKI_ETHROWN", code)
      assert.matches("RangeError: out of range", err)
      assert.matches("worker.js:1", err)
      -- the worker's frames only: none of the runtime's dispatch machinery below them
      assert.is_nil(err:find("ski:runtime", 1, true), err)
    end)

    it("throws a non-Error value", function()
      local code, err = failure("export default { fetch() { throw 'plain string' } }")
      assert.equal("SKI_ETHROWN", code)
      assert.matches("plain string", err)
      code, err = failure("export default { fetch() { throw { code: 42, why: 'custom' } } }")
      assert.equal("SKI_ETHROWN", code)
      assert.equal("{ code: 42, why: 'custom' }", err)
    end)

    it("returns a promise that rejects", function()
      local code, err = failure("export default { async fetch() { await null; throw new Error('async boom') } }")
      assert.equal("SKI_EREJECTED", code)
      assert.matches("Error: async boom", err)
      assert.is_nil(err:find("ski:runtime", 1, true), err)
    end)

    it("returns something that is not a Response", function()
      local cases = {
        ["export default { fetch() { return 'text' } }"] = "string",
        ["export default { fetch() {} }"] = "undefined",
        ["export default { async fetch() { return { status: 200 } } }"] = "Object",
        ["export default () => new Promise(r => r(42))"] = "number",
      }
      for src, what in pairs(cases) do
        local code, err = failure(src)
        assert.equal("SKI_ENOTRESPONSE", code, src)
        assert.matches(what, err, 1, true)
      end
    end)

    it("fakes a Response (a user class named Response is not one)", function()
      local code = failure("class Response {}; export default { fetch() { return new Response() } }")
      assert.equal("SKI_ENOTRESPONSE", code)
    end)

    it("is a fetch listener that never calls respondWith", function()
      local code, err = failure("addEventListener('fetch', () => {})")
      assert.equal("SKI_ENOTRESPONSE", code)
      assert.matches("respondWith", err)
    end)

    it("awaits something that can never settle", function()
      local code, err = failure("export default { fetch() { return new Promise(() => {}) } }")
      assert.equal("SKI_ESTALLED", code)
      assert.matches("no timer or I/O", err)
    end)
  end)

  describe("through the C ABI", function()
    local out = ffi.new("uint64_t[1]")
    local res = ffi.new("ski_response")

    local function start(inst, req)
      local rc = C.ski_call_start(inst.handle, req, out)
      return rc, out[0]
    end

    it("validates the request struct", function()
      local inst = t.worker("export default { fetch() { return new Response('ok') } }")
      local req = ffi.new("ski_request")
      req.size = ffi.sizeof(req)
      assert.equal(C.SKI_EINVAL, (start(inst, nil)))
      assert.equal(C.SKI_EINVAL, (start(inst, req))) -- no URL
      assert.matches("url is empty", ski.last_error())
      req.url, req.url_len = "http://x/", 9
      req.size = 8
      assert.equal(C.SKI_EINVAL, (start(inst, req)))
      req.size = ffi.sizeof(req)
      req.header_count = 2
      assert.equal(C.SKI_EINVAL, (start(inst, req)))
      local many = ffi.new("ski_header[?]", 70000)
      req.headers, req.header_count = many, 70000
      assert.equal(C.SKI_EINVAL, (start(inst, req)))
      assert.matches("at most 65536", ski.last_error())
      req.headers, req.header_count = nil, 0
      req.body_len = 10
      assert.equal(C.SKI_EINVAL, (start(inst, req)))
      req.body_len = 0
      assert.equal(C.SKI_EINVAL, C.ski_call_start(inst.handle, req, nil))
      local rc, call = start(inst, req)
      assert.equal(0, rc)
      res.size = 4
      assert.equal(C.SKI_EINVAL, C.ski_call_response(call, res))
      res.size = ffi.sizeof(res)
      assert.equal(0, C.ski_call_response(call, res))
      assert.equal("ok", ffi.string(res.body, res.body_len))
      assert.equal(0, C.ski_call_free(call))
      inst:close()
    end)

    it("reports SKI_EAGAIN while pending and SKI_ECANCELED once its instance is gone", function()
      local inst, loop = t.worker("export default { fetch() { return new Promise(() => {}) } }")
      local req = ffi.new("ski_request")
      req.size = ffi.sizeof(req)
      req.url, req.url_len = "http://x/", 9
      local rc, call = start(inst, req)
      assert.equal(0, rc)
      res.size = ffi.sizeof(res)
      assert.equal(C.SKI_EAGAIN, C.ski_call_response(call, res))
      assert.is_true(inst:close())
      assert.equal(C.SKI_ECANCELED, C.ski_call_response(call, res))
      assert.matches("destroyed", ski.last_error())
      assert.equal(0, C.ski_call_free(call))
      assert.is_true(loop:close())
    end)

    it("can be freed while pending, and the loop then has nothing to wait for", function()
      local inst, loop = t.worker("export default { fetch() { return new Promise(() => {}) } }")
      local req = ffi.new("ski_request")
      req.size = ffi.sizeof(req)
      req.url, req.url_len = "http://x/", 9
      local rc, call = start(inst, req)
      assert.equal(0, rc)
      assert.equal(0, C.ski_call_free(call))
      assert.is_true(loop:run(0))
      inst:close()
      assert.is_true(loop:close())
    end)
  end)
end)
