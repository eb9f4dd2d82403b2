-- resty.ski inside a real nginx (Debian's nginx + lua module) on 127.0.0.1: requests
-- in and responses out, one worker serving many awaiting calls, console to the error
-- log, failures as clean 5xx pages, several projects, limits.
local nginx = require "helper.nginx"
local t = require "helper.support"

local ECHO = [=[
let sum = (bytes) => { let s = 0; for (const b of bytes) s = (s * 31 + b) >>> 0; return s; };
export default { async fetch(req) {
  const body = new Uint8Array(await req.arrayBuffer());
  const hs = [];
  for (const [k, v] of req.headers) hs.push(k + "=" + v);
  return new Response(JSON.stringify({
    method: req.method, url: req.url, headers: hs, length: body.length, sum: sum(body),
  }), { status: 201, headers: [["content-type", "application/json"], ["set-cookie", "a=1; Path=/"],
        ["set-cookie", "b=2"], ["x-multi", "one"], ["x-multi", "two"],
        ["content-length", "999"], ["connection", "close"], ["transfer-encoding", "gzip"]] });
} }
]=]

-- responses without a Content-Type
local UNTYPED = [=[
export default { fetch(req) {
  if (req.url.endsWith("/redirect")) return Response.redirect("https://example.com/next", 301);
  if (req.url.endsWith("/none")) return new Response(null, { status: 204 });
  return new Response(new Uint8Array([1, 2, 3]));
} }
]=]

local SLOW = [=[
export default { async fetch(req) {
  const ms = Number((req.url.match(/ms=(\d+)/) || [0, 200])[1]);
  await new Promise((r) => setTimeout(r, ms));
  return new Response("slept " + ms);
} }
]=]

local CONSOLE = [=[
export default { fetch(req) {
  if (req.url.endsWith("/flood")) {
    for (let i = 0; i < 150; i++) console.log("flood-line", i);
    return new Response("flooded");
  }
  if (req.url.endsWith("/later")) {
    setTimeout(() => console.log("later-line"), 20); // left behind: no call waits for it
    return new Response("later");
  }
  console.log("log-line", 1);
  console.info("info-line");
  console.warn("warn-line");
  console.error("error-line", { a: 1 });
  return new Response("logged");
} }
]=]

local THROWS = [=[
function deep() { throw new Error("kaput: secret-internal-detail"); }
export default { fetch(req) {
  if (req.url.endsWith("/async")) return Promise.reject(new TypeError("async secret-internal-detail"));
  if (req.url.endsWith("/long")) throw new Error("START" + "é".repeat(3000) + "END");
  deep();
} }
]=]

local HANGS = [=[
export default { async fetch(req) {
  if (req.url.endsWith("/quick")) return new Response("quick");
  await new Promise((r) => setTimeout(r, 5000));
  return new Response("too late");
} }
]=]

local RUNAWAY = [=[
export default { fetch(req) {
  if (req.url.endsWith("/spin")) { while (true) {} }
  return new Response("still here");
} }
]=]

local function sum(s)
  local v = 0
  for i = 1, #s do v = (v * 31 + s:byte(i)) % 4294967296 end
  return v
end

local function json_field(body, name)
  return body:match('"' .. name .. '":(%d+)') or body:match('"' .. name .. '":"(.-)"')
end

describe("resty.ski in nginx", function()
  local srv

  setup(function()
    srv = nginx.start {
      files = {
        ["echo.js"] = ECHO, ["untyped.js"] = UNTYPED, ["slow.js"] = SLOW, ["console.js"] = CONSOLE, ["throws.js"] = THROWS,
        ["bad.js"] = "export default { fetch( { oops",
        ["hangs.js"] = HANGS, ["runaway.js"] = RUNAWAY,
        ["api.js"] = "export default { fetch() { return new Response('api project') } }",
        ["env.js"] = "export default { fetch(req, env) { return new Response(env.GREETING + ' ' + env.LEVEL.max) } }",
      },
      init = [[
        require("resty.ski").init {
          projects = {
            echo = { bundle = "%PREFIX%/echo.js", limits = { cpu_ms = 10000 } }, -- (1 MiB bodies, ASan)
            slow = { bundle = "%PREFIX%/slow.js" },
            untyped = { bundle = "%PREFIX%/untyped.js" },
            console = { bundle = "%PREFIX%/console.js" },
            throws = { bundle = "%PREFIX%/throws.js" },
            bad = { bundle = "%PREFIX%/bad.js" },
            missing = { bundle = "%PREFIX%/no-such-file.js" },
            hangs = { bundle = "%PREFIX%/hangs.js", limits = { wall_ms = 300 } },
            runaway = { bundle = "%PREFIX%/runaway.js", limits = { cpu_ms = 100 } },
            ["api.test"] = { bundle = "%PREFIX%/api.js" },
            env = { bundle = "%PREFIX%/env.js", env = { GREETING = "hello from env", LEVEL = { max = 3 } } },
          },
          console_lines = 100,
        }
      ]],
      http = "client_body_buffer_size 16k; client_max_body_size 8m;",
      server = [[
        location /echo { content_by_lua_block { require("resty.ski").serve("echo") } }
        location /untyped { content_by_lua_block { require("resty.ski").serve("untyped") } }
        location /slow { content_by_lua_block { require("resty.ski").serve("slow") } }
        location /console { content_by_lua_block { require("resty.ski").serve("console") } }
        location /throws { content_by_lua_block { require("resty.ski").serve("throws") } }
        location /bad { content_by_lua_block { require("resty.ski").serve("bad") } }
        location /missing { content_by_lua_block { require("resty.ski").serve("missing") } }
        location /hangs { content_by_lua_block { require("resty.ski").serve("hangs") } }
        location /runaway { content_by_lua_block { require("resty.ski").serve("runaway") } }
        location /env { content_by_lua_block { require("resty.ski").serve("env") } }
        location = /swap-env { content_by_lua_block {
          local ski = require("resty.ski")
          local bad = { ski.swap("env", { source = "export default {", env = { GREETING = "never", LEVEL = {} } }) }
          ngx.say(tostring(bad[1]), " ", tostring(ski.swap("env", { bundle = "%PREFIX%/env.js",
            env = { GREETING = "swapped", LEVEL = { max = 4 } } })))
        } }
        location / { content_by_lua_block { require("resty.ski").serve() } }
        location /strip/ { rewrite ^/strip(/.*)$ $1 break; content_by_lua_block { require("resty.ski").serve("echo") } }
        location = /goto { rewrite ^ /echo/redirected?via=goto last; }
        location = /args { rewrite_by_lua_block { ngx.req.set_uri_args({ added = "1" }) }
          content_by_lua_block { require("resty.ski").serve("echo") } }
        location = /sub { content_by_lua_block {
          local r = ngx.location.capture("/echo/inner", { args = "x=1" })
          ngx.status = r.status
          ngx.print(r.body)
        } }
        location = /swap-nameless {
          content_by_lua_block { ngx.say(select(2, require("resty.ski").swap(nil, "%PREFIX%/api.js"))) }
        }
      ]],
    }
  end)

  teardown(function()
    if srv then srv:stop() end
  end)

  it("hands a GET to the worker: method, full URL, headers as sent", function()
    local res = assert(srv:request("/echo/path?q=1&r=%20x", { headers = { "X-Custom: Value 1", "X-Custom: Value 2" } }))
    assert.equal(201, res.status)
    assert.equal("GET", json_field(res.body, "method"))
    assert.equal(srv:url("/echo/path?q=1&r=%20x"), json_field(res.body, "url"))
    assert.matches('"x%-custom=Value 1, Value 2"', res.body)
    assert.matches('"host=127.0.0.1:' .. srv.port .. '"', res.body)
    assert.equal("0", json_field(res.body, "length"))
  end)

  it("hands over the URI nginx settled on: rewritten, redirected internally, or a subrequest's", function()
    local function url_of(path)
      local res = assert(srv:request(path))
      assert.equal(201, res.status, path .. ": " .. res.body)
      return json_field(res.body, "url")
    end
    assert.equal(srv:url("/echo/a%2Fb/caf%C3%A9?q=%20x"), url_of("/echo/a%2Fb/caf%C3%A9?q=%20x")) -- as sent
    assert.equal(srv:url("/x/y?k=v"), url_of("/strip/x/y?k=v"))
    assert.equal(srv:url("/caf%C3%A9"), url_of("/strip/caf%C3%A9"))
    assert.equal(srv:url("/echo/redirected?via=goto"), url_of("/goto"))
    assert.equal(srv:url("/args?added=1"), url_of("/args?orig=1"))
    assert.equal(srv:url("/echo/inner?x=1"), url_of("/sub"))
  end)

  it("writes back status, headers, and repeated headers (two Set-Cookie) as separate lines", function()
    local res = assert(srv:request("/echo"))
    assert.equal(201, res.status)
    assert.same({ "a=1; Path=/", "b=2" }, nginx.header_values(res, "set-cookie"))
    assert.same({ "one, two" }, nginx.header_values(res, "x-multi"))
    assert.same({ "application/json" }, nginx.header_values(res, "content-type"))
    -- nginx frames the body: the worker's hop-by-hop headers are not passed on
    assert.same({ tostring(#res.body) }, nginx.header_values(res, "content-length"))
    assert.same({ "keep-alive" }, nginx.header_values(res, "connection"))
    assert.same({}, nginx.header_values(res, "transfer-encoding"))
  end)

  it("adds no Content-Type (nginx's default_type) to a response that has none", function()
    local res = assert(srv:request("/untyped/redirect"))
    assert.equal(301, res.status)
    assert.same({ "https://example.com/next" }, nginx.header_values(res, "location"))
    assert.same({}, nginx.header_values(res, "content-type"))
    res = assert(srv:request("/untyped/bytes"))
    assert.equal(200, res.status)
    assert.equal("\1\2\3", res.body)
    assert.same({}, nginx.header_values(res, "content-type"))
    res = assert(srv:request("/untyped/none"))
    assert.equal(204, res.status)
    assert.same({}, nginx.header_values(res, "content-type"))
  end)

  it("builds the URL from the server's address when an HTTP/1.0 request has no Host", function()
    local res = assert(srv:request("/echo/old?x=1", { curl = { "--http1.0", "-H", "Host:", "-H", "Connection: keep-alive" } }))
    assert.equal(201, res.status)
    assert.equal("http://127.0.0.1:" .. srv.port .. "/echo/old?x=1", json_field(res.body, "url"))
  end)

  it("passes POST bodies byte for byte: binary, and larger than client_body_buffer_size", function()
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    local binary = table.concat(bytes):rep(4)
    local res = assert(srv:request("/echo", { method = "POST", body = binary,
      headers = { "Content-Type: application/octet-stream" } }))
    assert.equal(201, res.status)
    assert.equal("POST", json_field(res.body, "method"))
    assert.equal(tostring(#binary), json_field(res.body, "length"))
    assert.equal(tostring(sum(binary)), json_field(res.body, "sum"))

    local big = ("0123456789abcdef"):rep(65536) .. "end" -- 1 MiB + 3: spooled to a temp file
    res = assert(srv:request("/echo", { method = "PUT", body = big }))
    assert.equal(201, res.status)
    assert.equal(tostring(#big), json_field(res.body, "length"))
    assert.equal(tostring(sum(big)), json_field(res.body, "sum"))
  end)

  it("keeps each request's URL while others arrive during its body read", function()
    -- the body read yields to other requests, which build their URLs meanwhile
    local t = require "helper.support"
    local body = t.tmpfile(("x"):rep(256 * 1024))
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local args = {}
    for i = 1, 12 do
      args[#args + 1] = string.format("-o %s/%d --data-binary @%s %s", dir, i, body, srv:url("/echo/post-" .. i))
    end
    t.sh("curl -s --max-time 20 -Z --parallel-immediate --limit-rate 2M " .. table.concat(args, " "))
    for i = 1, 12 do
      assert.equal(srv:url("/echo/post-" .. i), json_field(t.read(dir .. "/" .. i), "url"))
    end
    os.execute("rm -rf " .. dir .. " " .. body)
  end)

  it("serves 20 concurrent timer-awaiting requests from ONE worker in parallel", function()
    local list, took = srv:parallel("/slow?ms=200", 20)
    assert.equal(20, #list)
    for _, r in ipairs(list) do assert.equal(200, r.status) end
    -- serially that would be 4 s
    assert.is_true(took < 1.5, "20 x 200 ms took " .. took .. " s")
  end)

  it("sends console.* to the error log at the matching level", function()
    local res = assert(srv:request("/console"))
    assert.equal("logged", res.body)
    local log = srv:log()
    assert.matches("%[notice%][^\n]*ski %[console%] log%-line 1", log)
    assert.matches("%[notice%][^\n]*ski %[console%] info%-line", log)
    assert.matches("%[warn%][^\n]*ski %[console%] warn%-line", log)
    assert.matches("%[error%][^\n]*ski %[console%] error%-line", log)
  end)

  it("runs a timer a handler left behind, without waiting for another request", function()
    assert.equal("later", assert(srv:request("/console/later")).body)
    local deadline = nginx.now() + 3
    while not srv:log():find("later-line", 1, true) and nginx.now() < deadline do t.sh("sleep 0.05") end
    assert.matches("%[notice%][^\n]*ski %[console%] later%-line", srv:log())
  end)

  it("says how many console lines it dropped when a handler logs more than console_lines", function()
    assert.equal("flooded", assert(srv:request("/console/flood")).body)
    local log = srv:log()
    assert.matches("%[warn%][^\n]*ski %[console%] %(50 console lines dropped%)", log)
    assert.matches("ski %[console%] flood%-line 149", log)
    assert.is_nil(log:find("flood-line 49,", 1, true))
  end)

  it("refuses a swap without a project name with an error, not a Lua exception", function()
    local res = assert(srv:request("/swap-nameless"))
    assert.equal(200, res.status)
    assert.equal("swap needs a project name\n", res.body)
  end)

  it("answers a throwing worker with a bare 500 and logs the full error", function()
    local res = assert(srv:request("/throws"))
    assert.equal(500, res.status)
    assert.equal("Internal Server Error\n", res.body)
    res = assert(srv:request("/throws/async"))
    assert.equal(500, res.status)
    assert.is_nil(res.body:find("secret", 1, true))
    local log = srv:log()
    assert.matches("%[error%][^\n]*ski project 'throws': GET /throws: SKI_ETHROWN: Error: kaput: secret%-internal%-detail", log)
    assert.matches("at deep %(", log)
    assert.matches("SKI_EREJECTED: TypeError: async secret%-internal%-detail", log)
  end)

  it("logs an error longer than nginx's 2 KB entries in numbered parts, losing nothing", function()
    local res = assert(srv:request("/throws/long"))
    assert.equal(500, res.status)
    local log = srv:log()
    local parts, text, of = 0, {}, nil
    for part, total, piece in log:gmatch("ski project 'throws': %(part (%d+)/(%d+)%) (.-), client: ") do
      parts = parts + 1
      assert.equal(parts, tonumber(part))
      of = of or tonumber(total)
      assert.equal(of, tonumber(total))
      text[#text + 1] = piece
    end
    assert.is_true(parts >= 4) -- over 6 KB of message
    assert.equal(of, parts)
    local whole = table.concat(text)
    assert.matches("SKI_ETHROWN: Error: START", whole)
    assert.matches("END\n    at ", whole) -- the stack, after the whole message
    assert.is_truthy(whole:find(string.rep("é", 3000), 1, true)) -- no character cut in two
  end)

  it("answers 503 for a bundle that did not load, logs why, and keeps serving the others", function()
    local res = assert(srv:request("/bad"))
    assert.equal(503, res.status)
    assert.equal("Service Unavailable\n", res.body)
    res = assert(srv:request("/missing"))
    assert.equal(503, res.status)
    local log = srv:log()
    assert.matches("ski project 'bad': bundle failed to load: SKI_ESYNTAX", log)
    assert.matches("ski project 'bad': not serving:", log)
    assert.matches("ski project 'missing': cannot load bundle", log)
    assert.equal(201, assert(srv:request("/echo")).status)
  end)

  it("gives a project's handlers the env its configuration names", function()
    local res = assert(srv:request("/env"))
    assert.equal(200, res.status)
    assert.equal("hello from env 3", res.body)
    -- a swap may bring its own env (a swap that fails is refused, as any other)
    assert.equal("nil true\n", assert(srv:request("/swap-env")).body)
    assert.equal("swapped 4", assert(srv:request("/env")).body)
  end)

  it("chooses the project by location or by host name", function()
    assert.equal("api project", assert(srv:request("/anything", { host = "api.test" })).body)
    assert.equal("slept 1", assert(srv:request("/slow?ms=1", { host = "api.test" })).body)
    local res = assert(srv:request("/anything", { host = "unknown.test" }))
    assert.equal(503, res.status)
    assert.matches("no project named 'unknown.test'", srv:log())
  end)

  it("answers 504 past the wall-time limit, and the project keeps serving", function()
    local t0 = nginx.now()
    local res = assert(srv:request("/hangs"))
    local took = nginx.now() - t0
    assert.equal(504, res.status)
    assert.equal("Gateway Timeout\n", res.body)
    assert.is_true(took < 2.5, "took " .. took)
    assert.matches("ski project 'hangs': [^\n]*SKI_ETIMEOUT", srv:log())
    assert.equal("quick", assert(srv:request("/hangs/quick")).body)
  end)

  it("stops a runaway worker (while(true){}) while the others keep serving", function()
    local ski = require "ski"
    if not (ski.watchdog and pcall(function() return ski.C.ski_watchdog_new end)) then
      pending("needs the watchdog")
      return
    end
    local t0 = nginx.now()
    local res = assert(srv:request("/runaway/spin"))
    assert.equal(503, res.status)
    assert.equal("Service Unavailable\n", res.body)
    assert.is_true(nginx.now() - t0 < 2)
    assert.matches("ski project 'runaway': [^\n]*SKI_ECPULIMIT", srv:log())
    assert.equal("still here", assert(srv:request("/runaway")).body)
    assert.equal(201, assert(srv:request("/echo")).status)
  end)
end)

describe("resty.ski in a misconfigured nginx", function()
  it("answers 503 and says why when lua_code_cache is off (each request a fresh Lua VM)", function()
    local srv = nginx.start {
      files = { ["hello.js"] = "export default { fetch() { return new Response('hi') } }" },
      http = "lua_code_cache off;",
      init = [[ require("resty.ski").init { projects = { default = { bundle = "%PREFIX%/hello.js" } } } ]],
      server = [[ location / { content_by_lua_block { require("resty.ski").serve() } } ]],
    }
    local ok, err = pcall(function()
      local res = assert(srv:request("/"))
      assert.equal(503, res.status)
      assert.equal("Service Unavailable\n", res.body)
      assert.matches("resty.ski.init%(%) has not run in this Lua VM: call it from init_worker_by_lua%*, " ..
        "and keep lua_code_cache on", srv:log())
    end)
    srv:stop()
    assert(ok, err)
  end)
end)
