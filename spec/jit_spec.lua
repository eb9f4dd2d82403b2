-- The binding's request path stays compilable by LuaJIT: an OpenResty worker runs it per
-- request, and an operation LuaJIT cannot compile (NYI) sends every request through the
-- interpreter.
local t = require "helper.support"

describe("the LuaJIT binding's hot path", function()
  it("starts, reads and closes calls with no trace aborted by something LuaJIT cannot compile", function()
    local jutil = require "jit.util"
    local vmdef = require "jit.vmdef"
    local inst = t.worker "export default { fetch() { return new Response('ok', { headers: { a: '1' } }) } }"
    local req = { method = "POST", url = "http://localhost/p", headers = { { "x-a", "1" }, { "x-b", "2" } }, body = "b" }
    local nyi = {}
    jit.attach(function(what, _, func, pc, code, extra)
      if what ~= "abort" then return end
      local info = jutil.funcinfo(func, pc)
      local why = vmdef.traceerr[code] or tostring(code)
      if (info.source or ""):match("lua/ski%.lua$") and why:match("^NYI") then
        nyi[#nyi + 1] = ("%s:%s %s"):format(info.source, tostring(info.currentline), why:format(extra))
      end
    end, "trace")
    for _ = 1, 3000 do
      local call = inst:start(req)
      assert(call:response())
      call:close()
    end
    jit.attach(function() end)
    inst:close()
    assert.same({}, nyi)
  end)
end)
