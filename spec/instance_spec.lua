-- Loading workers: the three entry styles, and every way a bundle can be refused.
local t = require "helper.support"
local ski = t.ski

local function load(source, name)
  local loop = assert(ski.loop())
  local inst = assert(loop:instance())
  local ok, err, code = inst:load(source, name or "worker.js")
  return ok, err, code, inst, loop
end

local function body_of(source, req)
  local res, err, code = t.fetch(source, req)
  assert(res, tostring(code) .. ": " .. tostring(err))
  return res.body, res
end

describe("an instance", function()
  describe("loads", function()
    it("an ES module exporting { fetch }, called with this = the object", function()
      assert.equal("module-object", body_of [[
        export default {
          tag: "module-object",
          fetch(request, env, ctx) { return new Response(this.tag) },
        }
      ]])
    end)

    it("an ES module exporting a function", function()
      assert.equal("GET http://localhost/x", body_of([[
        export default function (request) { return new Response(request.method + " " + request.url) }
      ]], "http://localhost/x"))
    end)

    it("a classic script using addEventListener('fetch')", function()
      assert.equal("listener", body_of [[
        addEventListener("fetch", (event) => { event.respondWith(new Response("listener")) })
      ]])
    end)

    it("a sloppy-mode classic script (not forced into strict mode)", function()
      assert.equal("implicit global", body_of [[
        implicitGlobal = "implicit global";
        addEventListener("fetch", (e) => e.respondWith(new Response(implicitGlobal)));
      ]])
    end)

    it("a module with top-level await", function()
      assert.equal("42", body_of [[
        const answer = await Promise.resolve(42);
        export default { fetch() { return new Response(String(answer)) } }
      ]])
    end)

    it("passes env and ctx to module handlers", function()
      assert.equal("object function function", body_of [[
        export default { fetch(req, env, ctx) {
          return new Response([typeof env, typeof ctx.waitUntil, typeof ctx.passThroughOnException].join(" "))
        } }
      ]])
    end)
  end)

  describe("refuses", function()
    it("a syntax error, naming file, line and message", function()
      local ok, err, code = load("const a = 1;\nconst b = ;\n", "broken.js")
      assert.is_nil(ok)
      assert.equal("SKI_ESYNTAX", code)
      assert.matches("^broken%.js:2:%d+: SyntaxError: Unexpected token ';'", err)
    end)

    it("a syntax error in a module, at its own position", function()
      local _, err, code = load("export default {\n  fetch() { return new Response( }\n}\n", "mod.js")
      assert.equal("SKI_ESYNTAX", code)
      assert.matches("^mod%.js:2:%d+: SyntaxError", err)
    end)

    it("a static import, naming the module and where", function()
      local _, err, code = load("import x from 'lodash';\nexport default { fetch() { return new Response(x) } }", "imp.js")
      assert.equal("SKI_EIMPORT", code)
      assert.matches("imp.js:1:%d+: import of 'lodash' is not supported", err)
      assert.matches("bundle", err)
    end)

    it("a top-level require()", function()
      local _, err, code = load("const fs = require('fs');\naddEventListener('fetch', e => {})")
      assert.equal("SKI_EIMPORT", code)
      assert.matches("require%('fs'%) is not supported", err)
    end)

    it("a top-level exception, with its message and stack", function()
      local _, err, code = load("function boot() { throw new TypeError('bad config') }\nboot()", "top.js")
      assert.equal("SKI_ETHROWN", code)
      assert.matches("TypeError: bad config", err)
      assert.matches("top.js:1", err)
    end)

    it("a rejected top-level await", function()
      local _, err, code = load("await Promise.reject(new Error('no db'));\nexport default { fetch() {} }")
      assert.equal("SKI_ETHROWN", code)
      assert.matches("no db", err)
    end)

    it("a bundle with no fetch handler", function()
      for _, src in ipairs({
        "const x = 1;",
        "export default { notFetch() {} }",
        "export const fetch = () => new Response('named exports are not the entry');",
        "export default 42",
      }) do
        local ok, err, code = load(src)
        assert.is_nil(ok, src)
        assert.equal("SKI_ENOHANDLER", code, src)
        assert.is_truthy(#err > 0)
      end
    end)

    it("a second load, and calls before any load", function()
      local ok, _, code, inst = load("export default { fetch() { return new Response('one') } }")
      assert.is_true(ok)
      ok, _, code = inst:load("export default { fetch() { return new Response('two') } }")
      assert.is_nil(ok)
      assert.equal("SKI_ESTATE", code)
      local empty = assert(assert(ski.loop()):instance())
      local res, err
      res, err, code = empty:fetch("http://localhost/")
      assert.is_nil(res)
      assert.equal("SKI_ESTATE", code)
      assert.matches("no worker loaded", err)
    end)

    it("calls after a failed load", function()
      local ok, _, _, inst = load("syntax error here")
      assert.is_nil(ok)
      local res, err, code = inst:fetch("http://localhost/")
      assert.is_nil(res)
      assert.equal("SKI_ESTATE", code)
      assert.matches("load failed", err)
    end)
  end)

  it("keeps global state between calls", function()
    local inst = t.worker [[
      let n = 0;
      export default { fetch() { n++; return new Response(String(n)) } }
    ]]
    assert.equal("1", inst:fetch("http://localhost/").body)
    assert.equal("2", inst:fetch("http://localhost/").body)
    inst:close()
  end)

  it("hands the host's env to module handlers, the same object on every call", function()
    local inst = t.worker [[
      let last;
      export default { fetch(req, env) {
        const same = last === undefined || last === env;
        last = env;
        return new Response(JSON.stringify([env, same]));
      } }
    ]]
    assert.equal("[{},true]", inst:fetch("http://localhost/").body) -- none given: {}
    assert.is_true(inst:set_env { API_KEY = "k-1", LIMITS = { max = 3, on = true }, LIST = { "a", "b" }, QUOTE = 'say "hi"\n' })
    local body = inst:fetch("http://localhost/").body
    assert.matches('"API_KEY":"k%-1"', body)
    assert.matches('"LIMITS":{', body)
    assert.matches('"max":3', body)
    assert.matches('"LIST":%["a","b"%]', body)
    assert.matches('"QUOTE":"say \\"hi\\"\\n"', body)
    assert.matches(",false%]$", body) -- a new env object from then on
    assert.is_true(inst:set_env('{"FROM":"json text"}'))
    assert.equal('[{"FROM":"json text"},false]', inst:fetch("http://localhost/").body)
    -- refused, with the env unchanged
    for _, bad in ipairs({ "not json", "[1,2]", "42", "null" }) do
      local ok, err, name = inst:set_env(bad)
      assert.is_nil(ok, bad)
      assert.equal("SKI_EINVAL", name)
      assert.matches("^env ", err)
    end
    local raised, err = pcall(inst.set_env, inst, { f = function() end })
    assert.is_false(raised)
    assert.matches("env.f is function, which JSON cannot hold", err)
    raised, err = pcall(inst.set_env, inst, 7)
    assert.is_false(raised)
    assert.matches("env must be a table or a JSON string", err)
    assert.equal('[{"FROM":"json text"},true]', inst:fetch("http://localhost/").body)
    assert.equal(ski.C.SKI_EINVAL, ski.C.ski_instance_set_env(inst.handle, nil, 0))
    assert.matches("json is NULL", ski.last_error())
    inst:close()
    assert.same({ nil, "instance is closed", "SKI_EBADHANDLE" }, { inst:set_env("{}") })
  end)

  it("keeps instances isolated from each other", function()
    local loop = assert(ski.loop())
    local a = t.worker("globalThis.who = 'a'; export default { fetch() { return new Response(globalThis.who) } }", loop)
    local b = t.worker("export default { fetch() { return new Response(String(globalThis.who)) } }", loop)
    assert.equal("a", a:fetch("http://localhost/").body)
    assert.equal("undefined", b:fetch("http://localhost/").body)
    a:close()
    b:close()
    assert.is_true(loop:close())
  end)

  it("is released by close() and by the garbage collector", function()
    local loop = assert(ski.loop())
    for _ = 1, 20 do
      t.worker("export default { fetch() { return new Response('x') } }", loop)
    end
    collectgarbage()
    collectgarbage()
    assert.is_true(loop:close())
  end)
end)
