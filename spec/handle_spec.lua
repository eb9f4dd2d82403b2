-- Handles: every ABI function validates what it is given, and never crashes.
local ffi = require "ffi"
local t = require "helper.support"
local C, ski = t.C, t.ski

local hello = "export default { fetch() { return new Response('hi') } }"
local req = ffi.new("ski_request")
req.size = ffi.sizeof(req)
req.url, req.url_len = "http://localhost/", 17
local res = ffi.new("ski_response")
res.size = ffi.sizeof(res)
local out = ffi.new("uint64_t[1]")
local int_out = ffi.new("int[1]")
local loop_stats = ffi.new("ski_loop_stats", { size = ffi.sizeof("ski_loop_stats") })
local inst_stats = ffi.new("ski_instance_stats", { size = ffi.sizeof("ski_instance_stats") })
local console_line = ffi.new("ski_console_line", { size = ffi.sizeof("ski_console_line") })

local function new_loop()
  assert.equal(0, C.ski_loop_new(out))
  return out[0]
end

local function new_instance(loop)
  assert.equal(0, C.ski_instance_new(loop, nil, out))
  local inst = out[0]
  assert.equal(0, C.ski_instance_load(inst, "w.js", hello, #hello))
  return inst
end

local function new_call(inst)
  assert.equal(0, C.ski_call_start(inst, req, out))
  return out[0]
end

local function works(inst)
  local call = new_call(inst)
  res.size = ffi.sizeof(res)
  assert.equal(0, C.ski_call_response(call, res))
  assert.equal(200, res.status)
  assert.equal("hi", ffi.string(res.body, res.body_len))
  assert.equal(0, C.ski_call_free(call))
end

describe("a handle", function()
  it("is a number below 2^53 that Lua holds exactly", function()
    local loop = new_loop()
    assert.is_true(loop < 2 ^ 53)
    assert.equal(loop, ffi.cast("uint64_t", tonumber(loop)))
    assert.equal(0, C.ski_loop_free(tonumber(loop)))
  end)

  it("is refused once freed, and a second free is an error, not a crash", function()
    local loop = new_loop()
    local inst = new_instance(loop)
    local call = new_call(inst)
    assert.equal(0, C.ski_call_free(call))
    assert.equal(C.SKI_EBADHANDLE, C.ski_call_free(call))
    assert.matches("already freed", ski.last_error())
    assert.equal(C.SKI_EBADHANDLE, C.ski_call_response(call, res))
    assert.equal(0, C.ski_instance_free(inst))
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_free(inst))
    assert.equal(C.SKI_EBADHANDLE, C.ski_call_start(inst, req, out))
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_load(inst, "w.js", hello, #hello))
    assert.equal(0, C.ski_loop_free(loop))
    assert.equal(C.SKI_EBADHANDLE, C.ski_loop_free(loop))
    assert.equal(C.SKI_EBADHANDLE, C.ski_loop_run(loop, 0))
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_new(loop, nil, out))
    assert.equal(C.SKI_EBADHANDLE, C.ski_loop_next_deadline(loop, int_out))
    assert.equal(C.SKI_EBADHANDLE, C.ski_loop_prewarm(loop, 1))
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_retire(inst))
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_pending(inst, nil, nil))
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_set_env(inst, "{}", 2))
    assert.equal(C.SKI_EBADHANDLE, C.ski_call_wait(call, 0))
  end)

  it("is refused when it is of the wrong kind", function()
    local loop = new_loop()
    local inst = new_instance(loop)
    assert.equal(C.SKI_EBADHANDLE, C.ski_instance_free(loop))
    assert.matches("is a loop, expected an instance", ski.last_error(), 1, true)
    assert.equal(C.SKI_EBADHANDLE, C.ski_loop_free(inst))
    assert.equal(C.SKI_EBADHANDLE, C.ski_call_free(inst))
    assert.equal(C.SKI_EBADHANDLE, C.ski_call_start(loop, req, out))
    works(inst)
    assert.equal(0, C.ski_instance_free(inst))
    assert.equal(0, C.ski_loop_free(loop))
  end)

  it("is refused when forged", function()
    for _, forged in ipairs({ 0, 1, 12345, 2 ^ 52 + 7, 0xFFFFFFFFF, ffi.cast("uint64_t", -1) }) do
      assert.equal(C.SKI_EBADHANDLE, C.ski_loop_free(forged))
      assert.equal(C.SKI_EBADHANDLE, C.ski_instance_free(forged))
      assert.equal(C.SKI_EBADHANDLE, C.ski_call_response(forged, res))
      assert.equal(C.SKI_EBADHANDLE, C.ski_call_free(forged))
    end
    assert.matches("not a handle ski issued", ski.last_error())
  end)

  it("is not reused: a freed slot's next owner gets a different handle", function()
    local loop = new_loop()
    assert.equal(0, C.ski_loop_free(loop))
    local again = new_loop()
    assert.not_equal(loop, again)
    assert.equal(C.SKI_EBADHANDLE, C.ski_loop_free(loop))
    assert.equal(0, C.ski_loop_free(again))
  end)

  it("answers SKI_EWRONGTHREAD to every function called from another thread, and still works on its own", function()
    local loop = new_loop()
    local inst = new_instance(loop)
    local call = new_call(inst)
    local src = "export default { fetch() { return new Response('x') } }"
    local fresh = ffi.new("uint64_t[1]")
    local attempts = {
      { C.ski_loop_free, loop },
      { C.ski_loop_run, loop, 0 },
      { C.ski_instance_new, loop, 0, ffi.cast("uint64_t", ffi.cast("uintptr_t", fresh)) },
      { C.ski_instance_load, inst, ffi.cast("uintptr_t", ffi.cast("const char *", "w.js")),
        ffi.cast("uintptr_t", ffi.cast("const char *", src)), #src },
      { C.ski_instance_free, inst },
      { C.ski_call_start, inst, ffi.cast("uintptr_t", ffi.cast("void *", req)), ffi.cast("uintptr_t", fresh) },
      { C.ski_call_response, call, ffi.cast("uintptr_t", ffi.cast("void *", res)) },
      { C.ski_call_wait, call, 0 },
      { C.ski_call_free, call },
      { C.ski_loop_next_deadline, loop, ffi.cast("uintptr_t", ffi.cast("void *", int_out)) },
      { C.ski_loop_fd, loop, ffi.cast("uintptr_t", ffi.cast("void *", int_out)) },
      { C.ski_loop_get_stats, loop, ffi.cast("uintptr_t", ffi.cast("void *", loop_stats)) },
      { C.ski_loop_set_console, loop, 0, 0 },
      { C.ski_loop_buffer_console, loop, 4 },
      { C.ski_loop_next_console, loop, ffi.cast("uintptr_t", ffi.cast("void *", console_line)) },
      { C.ski_loop_prewarm, loop, 1 },
      { C.ski_instance_pending, inst, 0, 0 },
      { C.ski_instance_get_stats, inst, ffi.cast("uintptr_t", ffi.cast("void *", inst_stats)) },
      { C.ski_instance_set_env, inst, ffi.cast("uintptr_t", ffi.cast("const char *", '{"a":1}')), 7 },
      { C.ski_instance_retire, inst },
    }
    for i, a in ipairs(attempts) do
      fresh[0] = 0
      assert.equal(C.SKI_EWRONGTHREAD, t.on_thread(unpack(a)), "attempt " .. i)
      assert.equal(0, fresh[0])
    end
    -- nothing was touched: everything still works on the owning thread
    assert.equal(0, C.ski_loop_get_stats(loop, loop_stats))
    assert.equal(0, tonumber(loop_stats.spares)) -- the foreign prewarm made nothing
    assert.equal(1, tonumber(loop_stats.instances)) -- the foreign retire released nothing
    res.size = ffi.sizeof(res)
    assert.equal(0, C.ski_call_response(call, res))
    assert.equal(0, C.ski_call_free(call))
    works(inst)
    assert.equal(0, C.ski_instance_free(inst))
    assert.equal(0, C.ski_loop_free(loop))
  end)
end)

describe("a loop", function()
  it("refuses to be freed while instances live on it", function()
    local loop = new_loop()
    local inst = new_instance(loop)
    assert.equal(C.SKI_EBUSY, C.ski_loop_free(loop))
    assert.matches("1 instance", ski.last_error())
    works(inst)
    assert.equal(0, C.ski_instance_free(inst))
    assert.equal(0, C.ski_loop_free(loop))
  end)

  it("hosts 100 instances at once, destroyed in random order", function()
    local loop = new_loop()
    local instances = {}
    for i = 1, 100 do
      local src = ("export default { fetch() { return new Response('n%d') } }"):format(i)
      assert.equal(0, C.ski_instance_new(loop, nil, out))
      instances[i] = { handle = out[0], n = i }
      assert.equal(0, C.ski_instance_load(out[0], "w.js", src, #src))
    end
    math.randomseed(42)
    for i = #instances, 2, -1 do
      local j = math.random(i)
      instances[i], instances[j] = instances[j], instances[i]
    end
    for k, it in ipairs(instances) do
      -- every survivor still answers with its own body before each destruction
      if k % 10 == 1 then
        for m = k, #instances do
          local call = new_call(instances[m].handle)
          res.size = ffi.sizeof(res)
          assert.equal(0, C.ski_call_response(call, res))
          assert.equal("n" .. instances[m].n, ffi.string(res.body, res.body_len))
          assert.equal(0, C.ski_call_free(call))
        end
      end
      assert.equal(0, C.ski_instance_free(it.handle))
    end
    assert.equal(0, C.ski_loop_free(loop))
  end)

  it("validates its arguments", function()
    assert.equal(C.SKI_EINVAL, C.ski_loop_new(nil))
    local loop = new_loop()
    assert.equal(C.SKI_EINVAL, C.ski_loop_run(loop, -5))
    assert.equal(C.SKI_EINVAL, C.ski_instance_new(loop, nil, nil))
    local small = ffi.new("ski_instance_options", { size = 1 })
    assert.equal(C.SKI_EINVAL, C.ski_instance_new(loop, small, out))
    assert.equal(0, C.ski_loop_run(loop, 0)) -- nothing pending
    assert.equal(0, C.ski_loop_free(loop))
  end)
end)
