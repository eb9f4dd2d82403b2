-- Limits and the watchdog: each hostile worker is stopped with its own code, its
-- instance is dead from then on, and a fresh instance on the same loop answers.
local t = require "helper.support"
local ski = t.ski

local limits = { cpu_ms = 50, wall_ms = 400, heap_mb = 32, arraybuffer_mb = 16 }

local function hostile(overrides)
  local loop = assert(ski.loop())
  local wd = assert(ski.watchdog())
  local opts = { watchdog = wd }
  for k, v in pairs(limits) do opts[k] = v end
  for k, v in pairs(overrides or {}) do opts[k] = v end
  local inst = assert(loop:instance(opts))
  return loop, wd, inst, opts
end

-- After a limit: the instance says it is dead, and a new one on the same loop works.
local function still_serving(loop, inst, opts, code)
  local res, err, name = inst:fetch("http://x/")
  assert.is_nil(res)
  assert.equal("SKI_EDEAD", name)
  assert.matches("is dead", err)
  local st = assert(inst:stats())
  assert.equal(code, st.dead)
  assert.equal(1, st.terminations)
  inst:close()
  local fresh = t.worker("export default { fetch() { return new Response('fresh') } }", loop)
  assert.equal("fresh", assert(fresh:fetch("http://x/")).body)
  fresh:close()
  local with_limits = assert(loop:instance(opts))
  assert(with_limits:load("export default { fetch() { return new Response('limited but fine') } }"))
  assert.equal("limited but fine", assert(with_limits:fetch("http://x/")).body)
  with_limits:close()
  assert.is_true(loop:close())
end

local function call_fails(source, code, pattern, overrides)
  local loop, wd, inst, opts = hostile(overrides)
  assert(inst:load(source))
  local res, err, name = inst:fetch("http://x/")
  assert.is_nil(res)
  assert.equal(code, name)
  if pattern then assert.matches(pattern, err) end
  still_serving(loop, inst, opts, code)
  return wd
end

describe("a hostile worker", function()
  it("spinning in its handler is stopped at its CPU limit", function()
    local wd = call_fails("export default { fetch() { while (true) {} } }", "SKI_ECPULIMIT", "CPU time limit %(50 ms")
    assert.is_true(wd:stats().terminations >= 1)
    wd:close()
  end)

  it("spinning at top level is stopped during load", function()
    local loop, wd, inst, opts = hostile()
    local ok, err, name = inst:load("while (true) {}\nexport default { fetch() {} }", "spin.js")
    assert.is_nil(ok)
    assert.equal("SKI_ECPULIMIT", name)
    assert.matches("^spin%.js: .*CPU time limit", err)
    still_serving(loop, inst, opts, "SKI_ECPULIMIT")
    wd:close()
  end)

  it("running a catastrophic regular expression is stopped", function()
    call_fails([[export default { fetch() {
      return new Response(String(/(a+)+b/.test("a".repeat(40) + "c")));
    } }]], "SKI_ECPULIMIT"):close()
  end)

  it("chaining microtasks forever is stopped", function()
    call_fails("export default { async fetch() { for (;;) await 0; } }", "SKI_ECPULIMIT"):close()
  end)

  it("chaining timers forever is stopped at its wall time limit", function()
    call_fails([[export default { fetch() {
      return new Promise(() => { const tick = () => setTimeout(tick, 1); tick(); });
    } }]], "SKI_ETIMEOUT", "wall time limit %(400 ms"):close()
  end)

  it("allocating objects without end is stopped at its heap limit", function()
    call_fails([[export default { fetch() {
      const hoard = [];
      for (;;) hoard.push({ x: new Array(100).fill(1) });
    } }]], "SKI_EHEAPLIMIT", "heap reached its limit %(32 MB", { cpu_ms = 5000 }):close()
  end)

  it("allocating ArrayBuffers without end is stopped at its ArrayBuffer limit", function()
    call_fails([[export default { fetch() {
      const hoard = [];
      for (;;) hoard.push(new ArrayBuffer(1 << 20));
    } }]], "SKI_EMEMLIMIT", "ArrayBuffers reached their limit %(16 MB", { cpu_ms = 5000 }):close()
  end)

  it("growing a huge structure inside one builtin is stopped when the builtin returns, not by ending the process", function()
    -- 2^25 + 1 elements make a dictionary that Array.prototype.fill grows in C++, where
    -- termination cannot land: ~1 GB in ever larger single blocks, far past 16 MB
    call_fails("export default { fetch() { new Array(33554433).fill(0); return new Response('no') } }",
      "SKI_EHEAPLIMIT", "heap reached its limit %(16 MB", { heap_mb = 16, cpu_ms = 60000 })
  end)

  it("splitting a giant string into characters gets a RangeError, not a V8 abort", function()
    local res = assert(t.fetch([[export default { fetch() {
      const s = "ab".repeat(2 ** 26);
      let caught = "none";
      try { s.split(""); } catch (e) { caught = e.name + ": " + e.message; }
      return new Response([caught, "a,b".split(",").length, "abc".split("", 2).join("|"),
        String.prototype.split.name, String.prototype.split.length].join(" / "));
    } }]]))
    assert.equal("RangeError: Invalid array length / 2 / a|b / split / 2", res.body)
  end)

  it("recursing without end gets a RangeError it could catch, and its instance lives on", function()
    local loop, wd, inst = hostile()
    assert(inst:load([[export default { fetch(req) {
      if (req.url.endsWith("/ok")) return new Response("alive");
      const f = (n) => f(n + 1) + 1;
      return f(0);
    } }]]))
    local res, err, name = inst:fetch("http://x/")
    assert.is_nil(res)
    assert.equal("SKI_ETHROWN", name)
    assert.matches("RangeError: Maximum call stack size exceeded", err)
    assert.equal("alive", assert(inst:fetch("http://x/ok")).body)
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)

  it("never resolving is contained: stalled when nothing is pending, timed out when something is", function()
    local loop, wd, inst = hostile()
    assert(inst:load([[export default { fetch(req) {
      if (req.url.endsWith("/busy")) setInterval(() => {}, 10);
      return new Promise(() => {});
    } }]]))
    local res, _, name = inst:fetch("http://x/")
    assert.is_nil(res)
    assert.equal("SKI_ESTALLED", name)
    res, _, name = inst:fetch({ url = "http://x/busy", wall_ms = 60 })
    assert.is_nil(res)
    assert.equal("SKI_ETIMEOUT", name)
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)

  it("takes every call in flight on its instance down with it, and nothing else", function()
    local loop, wd, inst = hostile()
    assert(inst:load([[export default { async fetch(req) {
      if (req.url.endsWith("/spin")) while (true) {}
      await new Promise(r => setTimeout(r, 20));
      return new Response("slow");
    } }]]))
    local bystander = t.worker("export default { async fetch() { await new Promise(r => setTimeout(r, 30)); return new Response('other') } }", loop)
    local waiting = assert(inst:start("http://x/"))
    local other = assert(bystander:start("http://x/"))
    local spinning = assert(inst:start("http://x/spin"))
    for _, c in ipairs({ waiting, spinning }) do
      local res, _, name = c:response()
      assert.is_nil(res)
      assert.equal("SKI_ECPULIMIT", name)
    end
    -- each is told whose limit it was
    assert.equal("the worker ran past its CPU time limit (50 ms per call) and was stopped",
      select(2, spinning:response()))
    assert.equal("another call on this instance ran past its CPU time limit (50 ms per call); " ..
      "the worker was stopped with this call in flight", select(2, waiting:response()))
    assert.is_true(other:wait())
    assert.equal("other", assert(other:response()).body)
    waiting:close(); spinning:close(); other:close()
    inst:close(); bystander:close()
    wd:close()
    assert.is_true(loop:close())
  end)
end)

describe("a call past its own wall time", function()
  it("is told its own limit, and the calls beside it are told it was another's", function()
    local loop, wd, inst = hostile()
    assert(inst:load([[export default { async fetch(req) {
      await new Promise(r => setTimeout(r, 300));
      return new Response("late");
    } }]]))
    local patient = assert(inst:start("http://x/"))
    local hurried = assert(inst:start { url = "http://x/", wall_ms = 60 })
    assert.is_true(hurried:wait()) -- done (failed)
    local _, err, name = hurried:response()
    assert.equal("SKI_ETIMEOUT", name)
    assert.equal("the call ran past its wall time limit (60 ms) and the worker was stopped", err)
    _, err, name = patient:response()
    assert.equal("SKI_ETIMEOUT", name)
    assert.equal("another call on this instance ran past its wall time limit (60 ms); " ..
      "the worker was stopped with this call in flight", err)
    patient:close(); hurried:close()
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)
end)

describe("limits", function()
  it("count CPU time, not wall time, across a call's await slices", function()
    local loop, wd, inst = hostile()
    assert(inst:load([[export default { async fetch() {
      for (let i = 0; i < 10; i++) await new Promise(r => setTimeout(r, 20)); // 200 ms of waiting
      return new Response("patient");
    } }]]))
    assert.equal("patient", assert(inst:fetch("http://x/")).body)
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)

  it("can be tightened per call", function()
    local loop, wd, inst = hostile()
    -- spins for a wall time; a loaded VM may give it less CPU than that, so the call that
    -- must be stopped spins far longer than its CPU limit
    assert(inst:load([[export default { async fetch(req) {
      const end = Date.now() + Number(new URL(req.url).searchParams.get("ms")); while (Date.now() < end) {}
      return new Response("spun");
    } }]]))
    assert.equal("spun", assert(inst:fetch("http://x/?ms=20")).body)
    local res, err, name = inst:fetch({ url = "http://x/?ms=500", cpu_ms = 5 })
    assert.is_nil(res)
    assert.equal("SKI_ECPULIMIT", name)
    assert.matches("CPU time limit %(5 ms per call%)", err)
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)

  it("never let a late signal hit a later run", function()
    local loop, wd, inst = hostile()
    assert(inst:load("export default { fetch() { return new Response('quick') } }"))
    for _ = 1, 100 do assert(inst:fetch("http://x/")) end -- compiled and warm
    -- each call uses microseconds of a 10 ms budget; a signal meant for one run that
    -- landed in a later one would fail that call
    for i = 1, 3000 do
      local res, err = inst:fetch({ url = "http://x/", cpu_ms = 10 })
      assert(res, "call " .. i .. ": " .. tostring(err))
    end
    assert.is_nil(inst:stats().dead)
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)

  it("are observable: CPU used, heap, terminations", function()
    local loop, wd, inst = hostile()
    assert(inst:load("export default { fetch() { let s = 0; for (let i = 0; i < 1e6; i++) s += i; return new Response(String(s)) } }"))
    assert(inst:fetch("http://x/"))
    local st = inst:stats()
    assert.equal(1, st.calls)
    assert.is_true(st.cpu_ms > 0)
    assert.is_true(st.heap_used > 0 and st.heap_used < st.heap_limit)
    assert.is_true(st.heap_limit >= 32 * 2 ^ 20 and st.heap_limit < 64 * 2 ^ 20)
    assert.equal(0, st.terminations)
    assert.is_nil(st.dead)
    local ws = wd:stats()
    assert.equal(1, ws.instances)
    inst:close()
    assert.equal(0, wd:stats().instances)
    wd:close()
    assert.is_true(loop:close())
  end)

  it("reject out-of-range values", function()
    local loop = assert(ski.loop())
    local inst, err, name = loop:instance({ heap_mb = 1e6 })
    assert.is_nil(inst)
    assert.equal("SKI_EINVAL", name)
    -- below ~5 MB V8 would abort the process while deserialising the snapshot
    for _, mb in ipairs({ 1, 4, 7 }) do
      inst, err, name = loop:instance({ heap_mb = mb })
      assert.is_nil(inst)
      assert.equal("SKI_EINVAL", name)
      assert.matches("below the minimum of 8 MB", err)
    end
    inst = assert(loop:instance({ heap_mb = 8 }))
    assert(inst:load("export default { fetch() { return new Response('small') } }"))
    assert.equal("small", assert(inst:fetch("http://x/")).body)
    inst:close()
    inst, _, name = loop:instance({ watchdog = { handle = 12345 } })
    assert.is_nil(inst)
    assert.equal("SKI_EBADHANDLE", name)
    assert.is_true(loop:close())
  end)
end)

describe("a watchdog", function()
  it("is usable from any thread, and freeing it twice is an error", function()
    local C = t.C
    local wd = assert(ski.watchdog())
    local ffi = require "ffi"
    local st = ffi.new("ski_watchdog_stats")
    st.size = ffi.sizeof(st)
    assert.equal(0, t.on_thread(C.ski_watchdog_get_stats, wd.handle, ffi.cast("uintptr_t", ffi.cast("void *", st))))
    local h = wd.handle
    assert.equal(0, t.on_thread(C.ski_watchdog_free, h))
    assert.equal(C.SKI_EBADHANDLE, C.ski_watchdog_free(h))
    wd.box[0] = 0
  end)

  it("wakes tens of times a second on a busy loop, not once per run or per millisecond", function()
    local loop, wd, inst = hostile({ cpu_ms = 200 }) -- a tick of 20 ms
    assert(inst:load("export default { fetch() { return new Response('quick') } }"))
    local before = assert(wd:stats()).wakeups
    local calls, start = 0, os.clock()
    while os.clock() - start < 0.5 do
      assert(inst:fetch("http://x/"))
      calls = calls + 1
    end
    local wakeups = assert(wd:stats()).wakeups - before
    assert.is_true(calls > 1000, calls .. " calls")
    -- 0.5 s of CPU at one pass per 20 ms is ~25 (plus the linger); 1 ms ticks made 500
    assert.is_true(wakeups < 100, wakeups .. " wake-ups for " .. calls .. " calls")
    inst:close()
    -- and a run with a budget below the tick is still seen and stopped
    local spin = assert(loop:instance({ watchdog = wd, cpu_ms = 200 }))
    assert(spin:load("export default { fetch() { for (;;) {} } }"))
    local res, _, name = spin:fetch({ url = "http://x/", cpu_ms = 3 })
    assert.is_nil(res)
    assert.equal("SKI_ECPULIMIT", name)
    spin:close()
    wd:close()
    assert.is_true(loop:close())
  end)

  it("keeps instances running after it is freed (without CPU enforcement)", function()
    local loop, wd, inst = hostile()
    assert(inst:load("export default { fetch() { return new Response('ok') } }"))
    assert.is_true(wd:close())
    assert.equal("ok", assert(inst:fetch("http://x/")).body)
    inst:close()
    assert.is_true(loop:close())
  end)
end)

describe("CPU accounting under load", function()
  it("does not charge a waiting call for the work of the calls around it", function()
    local loop = assert(ski.loop())
    local wd = assert(ski.watchdog())
    local inst = assert(loop:instance({ watchdog = wd, cpu_ms = 30 }))
    assert(inst:load([[export default { async fetch(req) {
      if (req.url.endsWith("/wait")) { await new Promise(r => setTimeout(r, 150)); return new Response("waited"); }
      const end = Date.now() + 5; while (Date.now() < end) {}     // 5 ms of CPU each
      return new Response("busy");
    } }]]))
    local waiting = assert(inst:start("http://x/wait"))
    -- 20 busy calls (100 ms of CPU in all) run while the first one waits
    for _ = 1, 20 do assert.equal("busy", assert(inst:fetch("http://x/busy")).body) end
    assert.is_true(waiting:wait())
    assert.equal("waited", assert(waiting:response()).body)
    waiting:close()
    inst:close()
    wd:close()
    assert.is_true(loop:close())
  end)
end)
