-- ski_init's v8_flags: what V8 does not take is the host's error, and nothing in them
-- may end the host's process.
local t = require "helper.support"

-- Runs ski.init{v8_flags = flags} in a fresh process (V8 starts once per process).
local function init_with(flags)
  return t.luajit(([[
    local ski = require "ski"
    local ok, err, name = ski.init { v8_flags = %q }
    io.write(tostring(ok), "|", tostring(name), "|", tostring(err), "|still running\n")
  ]]):format(flags), "/dev/null")
end

describe("ski_init's v8_flags", function()
  it("are accepted when V8 takes them all, with or without = before a value", function()
    local rc, out = init_with("--stack-size=900  --no-opt --max-old-space-size 512")
    assert.equal(0, rc)
    assert.equal("true|nil|nil|still running\n", out)
  end)

  it("are refused with SKI_EINVAL naming what V8 did not take", function()
    local rc, out = init_with("--no-opt --bogus-flag")
    assert.equal(0, rc)
    assert.equal("nil|SKI_EINVAL|v8_flags: V8 does not accept --bogus-flag|still running\n", out)
    rc, out = init_with("--max-old-space-size=abc")
    assert.equal(0, rc)
    assert.equal("nil|SKI_EINVAL|v8_flags: V8 does not accept --max-old-space-size=abc|still running\n", out)
  end)

  it("never print V8's help and exit the host's process", function()
    for _, help in ipairs({ "--help", "-help", "--help=1" }) do
      local rc, out = init_with("--no-opt " .. help)
      assert.equal(0, rc)
      assert.equal("nil|SKI_EINVAL|v8_flags: " .. help ..
        " is refused (V8 would print its help and exit the process)|still running\n", out)
    end
  end)
end)
