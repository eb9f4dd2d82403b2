-- `ski serve`: a private nginx serving one bundle, stopped by Ctrl-C (SIGINT to its
-- process group, as a terminal sends it) or by a TERM to its PID.
local nginx = require "helper.nginx"
local t = require "helper.support"

-- Runs `cmd` (with `env` settings before it) as a terminal job would: in a process group
-- of its own (so that a "Ctrl-C" to the group reaches only it), output in dir/out,
-- nginx's sanitizer leak checks off. Calls check(pid, body) once url answers with a body
-- containing `want` (or wait_s passed), then kills whatever is left of the group and
-- removes dir.
local function with_job(dir, env, cmd, url, want, wait_s, check)
  local rc = t.sh(env .. " ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" setsid " .. cmd ..
    " > " .. dir .. "/out 2>&1 & echo $! > " .. dir .. "/pid", { ski = true })
  assert.equal(0, rc)
  local pid = tonumber(t.read(dir .. "/pid"))
  local ok, err = pcall(function()
    local body
    local deadline = nginx.now() + wait_s
    repeat
      t.sh("sleep 0.05")
      body = select(2, t.sh("curl -s --max-time 1 " .. url))
    until body:find(want, 1, true) or nginx.now() > deadline
    check(pid, body)
  end)
  t.sh("kill -KILL -" .. pid .. " 2>/dev/null") -- the whole group, whatever is left of it
  t.sh("rm -rf " .. nginx.quote(dir))
  assert(ok, err)
end

-- Waits up to 10 s for pid to end, and fails if it has not.
local function assert_ends(pid, what)
  local deadline = nginx.now() + 10
  while nginx.alive(pid) and nginx.now() < deadline do t.sh("sleep 0.05") end
  assert.is_false(nginx.alive(pid), what .. " still running")
end

-- Starts `ski serve` on a worker, checks that it serves, then stops it with `stop(pid)`
-- and checks that nginx is gone, the port free and the temp prefix removed.
local function serve_then_stop(stop)
  local dir = select(2, t.sh("mktemp -d /tmp/ski-serve-spec.XXXXXX")):match("^%s*(.-)%s*$")
  local worker = dir .. "/worker.js"
  nginx.write(worker, [[
    export default { async fetch(req, env) {
      console.log("served", req.method);
      await new Promise((r) => setTimeout(r, 1));
      return new Response("hello from " + env.WHO + ": " + req.url); // WHO from --env
    } }
  ]])
  local port = math.random(20000, 59999)
  local url = "http://127.0.0.1:" .. port .. "/"
  with_job(dir, "TMPDIR=" .. dir, "bin/ski serve " .. nginx.quote(worker) .. " --port " .. port .. " --env WHO=serve",
    url .. "x?y=1", "hello", 10, function(pid, body)
      assert.equal("hello from serve: " .. url .. "x?y=1", body)
      local log = t.read(dir .. "/out")
      assert.matches("ski: serving " .. worker:gsub("%p", "%%%0") .. " on " .. url:gsub("%p", "%%%0") ..
        " %(Ctrl%-C stops%)", log)
      assert.matches("ski %[default%] served GET", log)
      -- the prefix it made (in $TMPDIR)
      local prefix = select(2, t.sh("ls -d " .. dir .. "/ski-serve.* 2>/dev/null")):match("%S+")
      assert.is_truthy(prefix)
      stop(pid)
      assert_ends(pid, "ski serve")
      assert.matches("ski: stopped", t.read(dir .. "/out"))
      assert.not_equal(0, (t.sh("curl -s --max-time 1 " .. url)))
      if prefix then assert.is_nil(io.open(prefix .. "/nginx.conf")) end
    end)
end

describe("ski serve", function()
  it("serves the worker on 127.0.0.1:PORT, prints the URL, and stops cleanly on Ctrl-C", function()
    serve_then_stop(function(pid) t.sh("kill -INT -" .. pid) end) -- the terminal signals the group
  end)

  it("stops cleanly on a TERM sent to its PID alone (kill, timeout, a supervisor)", function()
    serve_then_stop(function(pid) t.sh("kill -TERM " .. pid) end)
  end)

  it("refuses bad arguments", function()
    local rc, out = t.sh("bin/ski serve 2>&1")
    assert.equal(2, rc)
    assert.matches("usage:", out)
    rc, out = t.sh("bin/ski serve examples/hello/worker.js --port nope 2>&1")
    assert.equal(2, rc)
    assert.matches("%-%-port needs a positive integer", out)
    rc, out = t.sh("bin/ski serve /no/such/worker.js 2>&1")
    assert.equal(1, rc)
    assert.matches("cannot read", out)
  end)

  it("says so at once when the address is taken or not this machine's", function()
    local ffi = require "ffi"
    pcall(ffi.cdef, [[
      int socket(int domain, int type, int protocol);
      int bind(int fd, const void *addr, unsigned len);
      int listen(int fd, int backlog);
      int close(int fd);
    ]])
    -- a listener on 127.0.0.1:port, as another server would hold it
    local fd, port = ffi.C.socket(2, 1, 0), nil
    assert.is_true(fd >= 0)
    for _ = 1, 20 do
      port = math.random(20000, 59999)
      local sa = ffi.new("uint8_t[16]", { 2, 0, math.floor(port / 256), port % 256, 127, 0, 0, 1 })
      if ffi.C.bind(fd, sa, 16) == 0 then break end
      port = nil
    end
    assert.is_truthy(port)
    assert.equal(0, ffi.C.listen(fd, 8))
    local started = nginx.now()
    local rc, out = t.sh("bin/ski serve examples/hello/worker.js --port " .. port .. " 2>&1")
    ffi.C.close(fd)
    assert.equal(1, rc)
    assert.equal("ski: cannot listen on 127.0.0.1:" .. port ..
      ": Address already in use (choose another with --port or --host)\n", out)
    assert.is_true(nginx.now() - started < 2, "it should not wait for nginx's bind retries")
    rc, out = t.sh("bin/ski serve examples/hello/worker.js --host 192.0.2.1 --port " .. port .. " 2>&1")
    assert.equal(1, rc)
    assert.matches("cannot listen on 192%.0%.2%.1:%d+: Cannot assign requested address", out)
  end)
end)

describe("examples/openresty", function()
  it("serves both projects of its nginx.conf through run, and stops on Ctrl-C", function()
    local dir = select(2, t.sh("mktemp -d /tmp/ski-example-spec.XXXXXX")):match("^%s*(.-)%s*$")
    local port = math.random(20000, 59999)
    local url = "http://127.0.0.1:" .. port .. "/"
    with_job(dir, "PORT=" .. port, "examples/openresty/run", url, "Hello World", 15, function(pid, body)
      assert.equal("Hello World\n", body)
      local _, api = t.sh("curl -s --max-time 2 -d '{\"a\":1}' " .. url .. "api/")
      assert.matches('"got":{"a":1}', api, 1, true)
      assert.matches('"service":"api"', api, 1, true) -- the project's env
      t.sh("kill -INT -" .. pid)
      assert_ends(pid, "examples/openresty/run")
      assert.not_equal(0, (t.sh("curl -s --max-time 1 " .. url)))
    end)
  end)
end)
