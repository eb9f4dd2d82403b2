-- The ABI's four descriptions agree: ffi/ski.h, the version script, the symbols
-- libski.so exports, and the LuaJIT cdef.
local t = require "helper.support"

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local function header_functions()
  local _, out = t.sh("cc -E -P -DSKI_CDEF ffi/ski.h")
  local names = {}
  for name in out:gmatch("[%w_%s%*]-%f[%w_](ski_[%w_]+)%s*%(") do names[#names + 1] = name end
  return names
end

describe("the ABI", function()
  it("exports exactly the functions ski.h declares, and the version script lists them", function()
    local declared = header_functions()
    assert.is_true(#declared >= 15)
    local _, nm = t.sh("nm -D --defined-only " .. t.build_dir .. "/lib/libski.so")
    local exported = {}
    for name in nm:gmatch(" [TtDdBbRr] ([%w_]+)") do exported[#exported + 1] = name end
    local mapped = {}
    for name in t.read("ffi/ski.map"):gmatch("\n%s*(ski_[%w_]+);") do mapped[#mapped + 1] = name end
    table.sort(declared)
    table.sort(exported)
    table.sort(mapped)
    assert.same(declared, exported)
    assert.same(declared, mapped)
  end)

  it("has a LuaJIT cdef that is ffi/gen-cdef's output for the current header", function()
    local tmp = os.tmpname()
    local rc = t.sh("ffi/gen-cdef " .. tmp)
    assert.equal(0, rc)
    local fresh = t.read(tmp)
    os.remove(tmp)
    assert.equal(fresh, t.read("lua/ski/cdef.lua"))
  end)

  it("reports its ABI and V8 versions", function()
    assert.equal(2, t.ski.abi_version())
    assert.matches("^ski %d+%.%d+%.%d+ %(abi 2; V8 10%.2%.", t.ski.version())
  end)

  it("names and explains every status code", function()
    local C = t.C
    local codes = { "EINVAL", "EBADHANDLE", "EWRONGTHREAD", "EBUSY", "ENOMEM", "EFORKED", "EVERSION",
      "ESTATE", "EAGAIN", "EENGINE", "ESYNTAX", "EIMPORT", "ENOHANDLER", "ETHROWN", "EREJECTED",
      "ENOTRESPONSE", "ESTALLED", "ECANCELED" }
    local seen = {}
    for _, name in ipairs(codes) do
      local code = C["SKI_" .. name]
      assert.is_true(code < 0, name)
      assert.is_nil(seen[code], "duplicate code for " .. name)
      seen[code] = true
      assert.equal("SKI_" .. name, t.ski.failure_name(code))
      assert.not_equal("unknown error", t.ski.strerror(code))
    end
    assert.equal("SKI_EUNKNOWN", t.ski.failure_name(-999))
    assert.equal("unknown error", t.ski.strerror(-999))
    assert.equal("SKI_OK", t.ski.failure_name(0))
  end)

  it("rejects option structs that are too small", function()
    local ffi = require "ffi"
    local opts = ffi.new("ski_init_options", { size = 4 })
    assert.equal(t.C.SKI_EINVAL, t.C.ski_init(opts))
    assert.matches("size is 4", t.ski.last_error())
  end)
end)
