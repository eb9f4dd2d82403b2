-- The startup snapshot: every instance starts from the JS layer baked in at build time,
-- and a snapshot that is not ski's, or not whole, is refused before V8 reads it.
local t = require "helper.support"

-- Runs ski_init with a snapshot file in a fresh process (V8 starts once per process).
local function init_with(path)
  return t.luajit(([[
    local ffi = require "ffi"
    local ski = require "ski"
    local opts = ffi.new("ski_init_options", { size = ffi.sizeof("ski_init_options"), snapshot_path = %q })
    local rc = ski.C.ski_init(opts)
    io.write(ski.failure_name(rc), "|", ski.last_error())
  ]]):format(path), "&1")
end

describe("the startup snapshot", function()
  local good = t.build_dir .. "/gen/ski.snapshot"

  it("is accepted when whole", function()
    local rc, out = init_with(good)
    assert.equal(0, rc)
    assert.equal("SKI_OK|", out:sub(1, 7))
  end)

  it("is refused, without crashing, when truncated, corrupt, empty or foreign", function()
    local data = t.read(good)
    local cases = {
      { data:sub(1, #data - 1000), "truncated" },
      { data:sub(1, 40), "truncated" },
      { data:sub(1, 200) .. string.char((data:byte(201) + 1) % 256) .. data:sub(202), "corrupt" },
      { "", "truncated" },
      { ("x"):rep(#data), "not a ski startup snapshot" },
    }
    for _, case in ipairs(cases) do
      local bad = t.tmpfile(case[1])
      local rc, out = init_with(bad)
      os.remove(bad)
      assert.equal(0, rc, out) -- the process survived and reported
      assert.matches("^SKI_EENGINE|", out)
      assert.matches(case[2], out, 1, true)
    end
    local rc, out = init_with("/nonexistent/ski.snapshot")
    assert.equal(0, rc)
    assert.matches("^SKI_EINVAL|.*cannot open", out)
  end)

  it("gives every instance its own random state", function()
    local loop = assert(t.ski.loop())
    local src = "export default { fetch() { return new Response(String(Math.random())) } }"
    local a = t.worker(src, loop)
    local b = t.worker(src, loop)
    assert.not_equal(assert(a:fetch("http://x/")).body, assert(b:fetch("http://x/")).body)
    a:close()
    b:close()
    assert.is_true(loop:close())
  end)

  it("leaves no warm-up state behind", function()
    local res = assert(t.fetch [[
      export default { fetch() {
        const own = Object.getOwnPropertyNames(globalThis).filter((k) => /warm|request|response|headers/.test(k));
        return new Response(JSON.stringify(own));
      } }
    ]])
    assert.equal("[]", res.body)
  end)
end)
