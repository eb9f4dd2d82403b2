-- A plain C host (bindings/c/ski_host.c) that dlopens libski: the ABI works without the
-- LuaJIT binding, and console lines reach a host callback with their levels.
local t = require "helper.support"

local host = t.build_dir .. "/bin/ski-host"
local lib = t.build_dir .. "/lib/libski.so"

local function worker(src) return t.tmpfile(src, ".js") end

describe("a C host", function()
  it("loads a worker through dlopen, routes its console to a callback, and gets responses", function()
    local w = worker [[
      console.info("loading");
      export default { async fetch(req) {
        console.debug("debugging"); console.warn("serving", new URL(req.url).pathname);
        await new Promise(r => setTimeout(r, 5));
        console.error("done");
        return new Response("from C " + req.url, { status: 201, headers: { "x-host": "c" } });
      } };
    ]]
    local rc, out = t.sh(("%s %s %s http://a/one http://a/two"):format(host, lib, w), { ski = true })
    os.remove(w)
    assert.equal(0, rc)
    assert.equal(table.concat({
      "[console.info] loading",
      "[console.debug] debugging", "[console.warn] serving /one", "[console.error] done",
      "201 ", "content-type: text/plain;charset=UTF-8", "x-host: c", "", "from C http://a/one",
      "[console.debug] debugging", "[console.warn] serving /two", "[console.error] done",
      "201 ", "content-type: text/plain;charset=UTF-8", "x-host: c", "", "from C http://a/two", "",
    }, "\n"), out)
  end)

  it("reports a failing worker with its code and exits 1", function()
    local w = worker "export default { fetch() { throw new Error('C sees this') } }"
    local rc, out = t.sh(("%s %s %s 2>&1"):format(host, lib, w), { ski = true })
    os.remove(w)
    assert.equal(1, rc)
    assert.matches("SKI_ETHROWN: .*C sees this", out)
  end)

  it("refuses a library that is not there", function()
    local rc, out = t.sh(host .. " /nonexistent/libski.so x.js 2>&1")
    assert.equal(1, rc)
    assert.matches("cannot open", out)
  end)
end)
