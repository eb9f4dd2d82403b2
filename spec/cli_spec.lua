-- The `ski` command, run as a user would run it.
local t = require "helper.support"

local function ski(args)
  return t.sh("bin/ski " .. args .. " 2>&1", { ski = true })
end

local function tmp_worker(src) return t.tmpfile(src, ".js") end

describe("ski run", function()
  it("answers Hello World with examples/hello", function()
    local rc, out = ski("run examples/hello/worker.js")
    assert.equal(0, rc)
    assert.equal("HTTP/1.1 200 OK\ncontent-type: text/plain\n\nHello World", out)
  end)

  it("sends the URL, method, headers and body it is given", function()
    local w = tmp_worker [[
      export default { async fetch(r) {
        return new Response(`${r.method} ${r.url} ${r.headers.get("x-a")} ${await r.text()}`, { status: 202 });
      } }
    ]]
    local rc, out = ski("run " .. w .. " 'http://example.com/p?q=1' -X PATCH -H 'X-A: hello there' -d 'the body'")
    os.remove(w)
    assert.equal(0, rc)
    assert.matches("^HTTP/1.1 202 Accepted\n", out)
    assert.matches("\n\nPATCH http://example.com/p%?q=1 hello there the body$", out)
  end)

  it("takes a path alone as one on http://localhost", function()
    local w = tmp_worker [[ export default { fetch(r) { return new Response(r.url) } } ]]
    local rc, out = ski("run " .. w .. " '/api/items?q=1'")
    os.remove(w)
    assert.equal(0, rc)
    assert.matches("\n\nhttp://localhost/api/items%?q=1$", out)
  end)

  it("defaults to POST when given a body, and reads -d @file", function()
    local w = tmp_worker "export default { async fetch(r) { return new Response(r.method + ':' + await r.text()) } }"
    local body = t.tmpfile("from a file")
    local rc, out = ski("run " .. w .. " -d @" .. body)
    os.remove(w)
    os.remove(body)
    assert.equal(0, rc)
    assert.matches("\n\nPOST:from a file$", out)
  end)

  it("takes -d as curl does: standard input, several joined with &, a form unless typed", function()
    local w = tmp_worker [[export default { async fetch(r) {
      return new Response(r.headers.get("content-type") + "|" + await r.text())
    } }]]
    local rc, out = ski("run " .. w .. " -d a=1 -d b=2")
    assert.equal(0, rc)
    assert.matches("\n\napplication/x%-www%-form%-urlencoded|a=1&b=2$", out)
    rc, out = t.sh("printf 'from\\nstdin' | bin/ski run " .. w .. " -d @- -H 'Content-Type: text/plain' 2>&1", { ski = true })
    assert.equal(0, rc)
    assert.matches("\n\ntext/plain|from\nstdin$", out)
    os.remove(w)
  end)

  it("hands --env NAME=VALUE to the handler's env", function()
    local w = tmp_worker "export default { fetch(r, env) { return new Response(JSON.stringify(env)) } }"
    local rc, out = ski("run " .. w .. " --env A=1 --env='B=x y=z'")
    assert.equal(0, rc)
    assert.matches('\n\n{"A":"1","B":"x y=z"}$', out)
    rc, out = ski("run " .. w .. " --env nothing")
    assert.equal(2, rc)
    assert.matches("%-%-env needs NAME=VALUE, not nothing", out)
    os.remove(w)
  end)

  it("prints its usage for help, to standard output", function()
    for _, arg in ipairs({ "help", "--help", "-h" }) do
      local rc, out = t.sh("bin/ski " .. arg .. " 2>/dev/null", { ski = true })
      assert.equal(0, rc)
      assert.matches("^usage: ski run", out)
    end
  end)

  it("exits 1 with the error when the worker fails", function()
    local w = tmp_worker "export default { fetch() { throw new Error('kaput') } }"
    local rc, out = ski("run " .. w)
    os.remove(w)
    assert.equal(1, rc)
    assert.matches("^ski: SKI_ETHROWN: .*Error: kaput", out)
  end)

  it("stops a runaway worker at its CPU or wall-time limit instead of hanging (--cpu-ms, --wall-ms)", function()
    local spin = tmp_worker "export default { fetch() { for (;;) {} } }"
    local waits = tmp_worker "export default { async fetch() { await new Promise(() => setInterval(() => {}, 50)) } }"
    local rc, out = ski("run " .. spin)
    assert.equal(1, rc)
    assert.matches("SKI_ECPULIMIT: .*%(50 ms per call%)", out)
    rc, out = ski("run " .. spin .. " --cpu-ms 120")
    assert.equal(1, rc)
    assert.matches("SKI_ECPULIMIT: .*%(120 ms per call%)", out)
    rc, out = ski("run " .. waits .. " --wall-ms=200")
    assert.equal(1, rc)
    assert.matches("SKI_ETIMEOUT: .*%(200 ms%)", out)
    rc, out = ski("run " .. spin .. " --cpu-ms 0")
    assert.equal(2, rc)
    assert.matches("%-%-cpu%-ms needs a positive number of milliseconds, not 0", out)
    os.remove(spin)
    os.remove(waits)
  end)

  it("exits 1 on a syntax error, naming the file and line", function()
    local w = tmp_worker "export default {\n  fetch() { return ; ; ) }\n}"
    local rc, out = ski("run " .. w)
    os.remove(w)
    assert.equal(1, rc)
    assert.matches("SKI_ESYNTAX: " .. w:gsub("%p", "%%%0") .. ":2:", out)
  end)

  it("exits 1 when the file does not exist, and 2 on bad usage", function()
    local rc, out = ski("run /nonexistent/worker.js")
    assert.equal(1, rc)
    assert.matches("No such file", out)
    rc, out = ski("run")
    assert.equal(2, rc)
    assert.matches("usage", out)
    rc = ski("run examples/hello/worker.js -H 'no colon'")
    assert.equal(2, rc)
    rc = ski("frobnicate")
    assert.equal(2, rc)
  end)

  it("prints its version", function()
    local rc, out = ski("version")
    assert.equal(0, rc)
    assert.matches("^ski %d+%.%d+%.%d+ %(abi 2; V8 10%.2", out)
  end)
end)
