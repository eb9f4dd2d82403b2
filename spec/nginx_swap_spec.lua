-- Replacing what nginx serves without failing a request: hot swap of a bundle under
-- load (by resty.ski.swap and by the file watch), and nginx's own reload (HUP).
local nginx = require "helper.nginx"
local t = require "helper.support"

local function version(v)
  return ([[
export default { async fetch(req) {
  await new Promise((r) => setTimeout(r, 5));
  return new Response("v%d", { headers: { "x-version": "%d" } });
} }
]]):format(v, v)
end

local function counts(list)
  local by_status, by_version = {}, {}
  for _, r in ipairs(list) do
    by_status[r.status] = (by_status[r.status] or 0) + 1
    by_version[r.version] = (by_version[r.version] or 0) + 1
  end
  return by_status, by_version
end

-- Starts `n` requests in the background (8 at a time); returns a function that waits
-- for them and gives their results.
local function background_load(srv, path, n)
  local out = os.tmpname()
  local urls = {}
  for i = 1, n do urls[i] = "-o /dev/null " .. nginx.quote(srv:url(path) .. "?i=" .. i) end
  t.sh("(curl -s --max-time 20 -Z --parallel-max 8 -w '%{http_code} 0 %header{x-version}\\n' " ..
    table.concat(urls, " ") .. " > " .. out .. " 2>&1; echo done >> " .. out .. ") > /dev/null 2>&1 & true")
  return function()
    local deadline = nginx.now() + 30
    local data = ""
    while nginx.now() < deadline do
      data = t.read(out)
      if data:find("done\n$") then break end
      t.sh("sleep 0.05")
    end
    os.remove(out)
    local list = {}
    for code, v in data:gmatch("(%d+) 0 ?([^\n]*)\n") do list[#list + 1] = { status = tonumber(code), version = v } end
    return list
  end
end

describe("hot swap in nginx", function()
  local srv

  setup(function()
    srv = nginx.start {
      files = { ["app.js"] = version(1), ["v2.js"] = version(2), ["v3.js"] = version(3),
        ["broken.js"] = "export default {" },
      init = [[
        require("resty.ski").init {
          projects = { app = { bundle = "%PREFIX%/app.js" } },
          watch = 0.2,
        }
      ]],
      server = [[
        location = /swap {
          allow 127.0.0.1; deny all;
          content_by_lua_block {
            local ok, err = require("resty.ski").swap("app", "%PREFIX%/" .. ngx.var.arg_file)
            if not ok then ngx.status = 500; ngx.say("not swapped: ", err); return end
            ngx.say("swapped")
          }
        }
        location / { content_by_lua_block { require("resty.ski").serve("app") } }
      ]],
    }
  end)

  teardown(function()
    if srv then srv:stop() end
  end)

  it("swaps bundles under load without failing a request", function()
    local wait = background_load(srv, "/", 600)
    local swaps = { "v2.js", "v3.js", "v2.js", "v3.js" }
    for _, file in ipairs(swaps) do
      t.sh("sleep 0.1")
      local res = assert(srv:request("/swap?file=" .. file))
      assert.equal("swapped\n", res.body)
    end
    local list = wait()
    assert.equal(600, #list)
    local by_status, by_version = counts(list)
    assert.same({ [200] = 600 }, by_status)
    local seen = 0
    for _ in pairs(by_version) do seen = seen + 1 end
    assert.is_true(seen >= 2, "only one version served")
    assert.equal("v3", assert(srv:request("/")).body)
  end)

  it("keeps the old bundle serving when the new one does not load", function()
    local res = assert(srv:request("/swap?file=broken.js"))
    assert.equal(500, res.status)
    assert.matches("SKI_ESYNTAX", res.body)
    assert.equal("v3", assert(srv:request("/")).body)
  end)

  it("picks up a changed bundle file by itself (watch)", function()
    -- (the last swap above loaded v3.js: that is the file watched now)
    nginx.write(srv.prefix .. "/v3.js.new", version(7))
    assert(os.rename(srv.prefix .. "/v3.js.new", srv.prefix .. "/v3.js"))
    local deadline, body = nginx.now() + 5, nil
    repeat
      t.sh("sleep 0.1")
      body = assert(srv:request("/")).body
    until body == "v7" or nginx.now() > deadline
    assert.equal("v7", body)
    assert.matches("v3%.js changed; now at version", srv:log())
  end)
end)

describe("nginx reload (HUP)", function()
  it("keeps serving while new workers replace the old ones, which exit", function()
    local srv = nginx.start {
      files = { ["app.js"] = version(1) },
      workers = 2,
      init = [[ require("resty.ski").init { projects = { app = { bundle = "%PREFIX%/app.js" } } } ]],
      server = [[ location / { content_by_lua_block { require("resty.ski").serve("app") } } ]],
    }
    local ok, err = pcall(function()
      local old = nginx.children(srv.pid)
      assert.equal(2, #old)
      local wait = background_load(srv, "/", 300)
      t.sh("sleep 0.1")
      assert.equal(0, (srv:reload()))
      local list = wait()
      local by_status = counts(list)
      if by_status[200] ~= 300 then print(srv:log()) end
      assert.same({ [200] = 300 }, by_status)
      -- the old workers finish and exit (bounded)
      local deadline = nginx.now() + 5
      local gone
      repeat
        gone = true
        for _, pid in ipairs(old) do if nginx.alive(pid) then gone = false end end
        if not gone then t.sh("sleep 0.05") end
      until gone or nginx.now() > deadline
      assert.is_true(gone, "old workers still running")
      local new = nginx.children(srv.pid)
      assert.equal(2, #new)
      assert.not_same(old, new)
      assert.equal("v1", assert(srv:request("/")).body)
      assert.is_nil(srv:log():find("%[alert%]"))
    end)
    srv:stop()
    assert(ok, err)
  end)
end)
