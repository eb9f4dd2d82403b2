-- The event loop: timers, many calls in flight across instances, the two ways of
-- driving a loop, drop order, hot swap and background work.
local ffi = require "ffi"
local t = require "helper.support"
local ski = t.ski

ffi.cdef [[ int usleep(unsigned int usec); ]]

local function now_ms()
  local ts = ffi.new("struct { long s; long ns; }")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.s) * 1e3 + tonumber(ts.ns) / 1e6
end
pcall(ffi.cdef, "int clock_gettime(int clk, void *ts);")

-- Runs `code` as the body of an async handler and returns its JSON-encoded result.
local function js(code)
  local res, err, name = t.fetch("export default { async fetch(request) {\n" .. code ..
    "\n} }")
  if not res then error(tostring(name) .. ": " .. tostring(err), 2) end
  return res.body
end

local function ret(expr) return "return new Response(JSON.stringify(" .. expr .. "))" end

describe("timers", function()
  it("fire after their delay, in order of due time, then order of creation", function()
    assert.equal('["a0","b0","c0","d5","e10"]', js([[
      const order = [];
      await new Promise((done) => {
        setTimeout(() => order.push("e10"), 10);
        setTimeout(() => order.push("a0"));
        setTimeout(() => order.push("d5"), 5);
        setTimeout(() => order.push("b0"), 0);
        setTimeout(() => order.push("c0"), -7);
        setTimeout(done, 20);
      });
    ]] .. ret "order"))
  end)

  it("wait at least their delay", function()
    local t0 = now_ms()
    assert.equal('"late enough"', js([[
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 50));
      const waited = Date.now() - start;
    ]] .. ret 'waited >= 49 ? "late enough" : "early: " + waited'))
    assert.is_true(now_ms() - t0 >= 49)
  end)

  it("pass extra arguments, call with this = globalThis, and return positive integer ids", function()
    assert.equal('[3,true,true,true]', js([[
      const out = await new Promise((r) => {
        const id = setTimeout(function (a, b) { r([a + b, this === globalThis, Number.isInteger(id) && id > 0]) }, 1, 1, 2);
      });
      out.push(setTimeout(() => {}) !== setTimeout(() => {}));
    ]] .. ret "out"))
  end)

  it("can be cleared, by either clear function, and clearing unknown ids is harmless", function()
    assert.equal('["kept"]', js([[
      const seen = [];
      const a = setTimeout(() => seen.push("cleared"), 5);
      const b = setInterval(() => seen.push("interval cleared"), 5);
      clearTimeout(a);
      clearTimeout(b);
      clearInterval(12345); clearTimeout(undefined); clearTimeout("x");
      setTimeout(() => seen.push("kept"), 10);
      await new Promise((r) => setTimeout(r, 30));
    ]] .. ret "seen"))
  end)

  it("repeat with setInterval until cleared", function()
    assert.equal('4', js([[
      let n = 0;
      await new Promise((r) => { const id = setInterval(() => { if (++n === 4) { clearInterval(id); r() } }, 2) });
      await new Promise((r) => setTimeout(r, 20));
    ]] .. ret "n"))
  end)

  it("clamp nesting deeper than 5 levels to at least 4 ms", function()
    assert.equal('true', js([[
      const stamps = [];
      await new Promise((r) => {
        const step = () => { stamps.push(Date.now()); if (stamps.length < 12) setTimeout(step, 0); else r(); };
        setTimeout(step, 0);
      });
      // levels 6.. are clamped: the last 6 steps take at least ~4 ms each
      const late = stamps[11] - stamps[5];
    ]] .. ret "late >= 6 * 4 - 1"))
  end)

  it("run microtasks between two timers due at once", function()
    assert.equal('["t1","micro","t2"]', js([[
      const order = [];
      await new Promise((r) => {
        setTimeout(() => { order.push("t1"); queueMicrotask(() => order.push("micro")) }, 1);
        setTimeout(() => { order.push("t2"); r() }, 1);
      });
    ]] .. ret "order"))
  end)

  it("report a timer's exception and keep running", function()
    assert.equal('"still running"', js([[
      setTimeout(() => { throw new Error("timer boom") }, 1);  // (its report goes to stderr)
      await new Promise((r) => setTimeout(r, 10));
    ]] .. ret '"still running"'))
  end)

  it("validate their arguments", function()
    assert.matches("TypeError", js([[
      try { setTimeout() } catch (e) { return new Response(e.name) }
    ]] .. ret '"no error"'))
  end)
end)

describe("calls in flight", function()
  it("interleave: while A awaits a timer, B on the same loop answers at once", function()
    local loop = assert(ski.loop())
    local a = t.worker("export default { async fetch() { await new Promise(r => setTimeout(r, 50)); return new Response('A') } }", loop)
    local b = t.worker("export default { fetch() { return new Response('B') } }", loop)
    local t0 = now_ms()
    local ca = assert(a:start("http://a/"))
    assert.is_false(ca:done())
    local cb = assert(b:start("http://b/"))
    assert.is_true(cb:done())
    assert.equal("B", assert(cb:response()).body)
    assert.is_true(now_ms() - t0 < 50)
    assert.is_true(ca:wait())
    assert.equal("A", assert(ca:response()).body)
    assert.is_true(now_ms() - t0 >= 49)
    ca:close(); cb:close(); a:close(); b:close()
    assert.is_true(loop:close())
  end)

  it("complete out of order on one instance", function()
    local inst = t.worker [[
      let finished = 0;
      export default { async fetch(req) {
        const ms = Number(req.url.split("ms=")[1]);
        await new Promise(r => setTimeout(r, ms));
        return new Response(String(++finished));
      } }
    ]]
    local calls = {}
    for i, ms in ipairs({ 40, 30, 20, 10, 0 }) do calls[i] = assert(inst:start("http://x/?ms=" .. ms)) end
    assert.is_true(inst.loop:run())
    local order = {}
    for i, c in ipairs(calls) do order[i] = assert(c:response()).body end
    assert.same({ "5", "4", "3", "2", "1" }, order)
    inst:close()
  end)

  it("1,000 at once over 10 instances all complete, each with its own answer", function()
    local loop = assert(ski.loop())
    local instances = {}
    for i = 1, 10 do
      instances[i] = t.worker(([[
        export default { async fetch(req) {
          const n = req.url.split("n=")[1];
          await new Promise(r => setTimeout(r, Number(n) %% 17));
          await null;
          return new Response("i%d:" + n);
        } }
      ]]):format(i), loop)
    end
    local calls = {}
    for n = 1, 1000 do
      local i = (n % 10) + 1
      calls[n] = { i = i, call = assert(instances[i]:start("http://x/?n=" .. n)) }
    end
    assert.equal(1000, loop:stats().calls)
    assert.is_true(loop:run(10000))
    for n, c in ipairs(calls) do
      local res = assert(c.call:response())
      assert.equal(("i%d:%d"):format(c.i, n), res.body)
      c.call:close()
    end
    assert.equal(0, loop:stats().calls)
    for _, inst in ipairs(instances) do inst:close() end
    assert.is_true(loop:close())
  end)

  it("stall when nothing can settle them, but not while a timer could", function()
    local inst, loop = t.worker [[
      export default { fetch(req) {
        if (req.url.endsWith("/ticking")) setInterval(() => {}, 5);
        return new Promise(() => {});
      } }
    ]]
    local call = assert(inst:start("http://x/ticking"))
    local ok, _, name = loop:run(40)
    assert.is_nil(ok)
    assert.equal("SKI_EAGAIN", name)
    ok, _, name = call:wait(20)
    assert.is_nil(ok)
    assert.equal("SKI_EAGAIN", name)
    call:close()
    inst:close()
    inst = t.worker("export default { fetch() { return new Promise(() => {}) } }", loop)
    call = assert(inst:start("http://x/"))
    assert.is_true(call:wait())
    local res, err
    res, err, name = call:response()
    assert.is_nil(res)
    assert.equal("SKI_ESTALLED", name)
    assert.matches("no timer or I/O", err)
    inst:close()
    assert.is_true(loop:close())
  end)
end)

describe("a host with its own event loop", function()
  it("never blocks in run(0) and learns when to come back from next_deadline", function()
    local inst, loop = t.worker "export default { async fetch() { await new Promise(r => setTimeout(r, 60)); return new Response('done') } }"
    assert.equal(-1, loop:next_deadline())
    local call = assert(inst:start("http://x/"))
    local spins = 0
    while not call:done() do
      local t0 = now_ms()
      local ok, _, name = loop:run(0)
      assert.is_true(now_ms() - t0 < 30, "run(0) blocked")
      if not ok then assert.equal("SKI_EAGAIN", name) end
      if not call:done() then
        local wait = loop:next_deadline()
        assert.is_true(wait >= 0 and wait <= 60, "deadline " .. tostring(wait))
        ffi.C.usleep(wait * 1000) -- the host sleeps with its own primitive
      end
      spins = spins + 1
      assert.is_true(spins < 50)
    end
    assert.equal("done", assert(call:response()).body)
    assert.is_true(loop:fd() >= 0)
    call:close()
    inst:close()
    assert.is_true(loop:close())
  end)
end)

describe("a host-driven loop", function()
  it("runs a timer a finished call left behind when the host comes back at next_deadline", function()
    local inst, loop = t.worker [[
      export default { fetch() {
        setTimeout(() => console.log("left behind"), 10);
        return new Response("answered");
      } }
    ]]
    assert.is_true(loop:buffer_console(10))
    local call = assert(inst:start("http://x/"))
    assert.equal("answered", assert(call:response()).body) -- done inside start
    call:close()
    local spins = 0
    local line
    repeat
      assert.is_true(loop:run(0))
      line = loop:next_console()
      local wait = loop:next_deadline()
      if not line then
        assert.is_true(wait >= 0 and wait <= 10, "deadline " .. tostring(wait))
        ffi.C.usleep(wait * 1000 + 1000)
      end
      spins = spins + 1
    until line or spins > 20
    assert.is_truthy(line, "the timer never ran")
    assert.equal("left behind", line.text)
    assert.equal(-1, loop:next_deadline()) -- nothing left: the host may sleep as long as it likes
    inst:close()
    assert.is_true(loop:close())
  end)
end)

describe("destroying an instance with calls in flight", function()
  it("cancels its calls and leaves the loop's other instances working", function()
    local loop = assert(ski.loop())
    local slow = "export default { async fetch() { await new Promise(r => setTimeout(r, 30)); return new Response('ok') } }"
    local doomed = t.worker(slow, loop)
    local other = t.worker(slow, loop)
    local c1, c2 = assert(doomed:start("http://x/")), assert(doomed:start("http://x/"))
    local c3 = assert(other:start("http://x/"))
    assert.equal(3, loop:stats().calls)
    assert.is_true(doomed:close())
    for _, c in ipairs({ c1, c2 }) do
      local res, err, name = c:response()
      assert.is_nil(res)
      assert.equal("SKI_ECANCELED", name)
      assert.matches("destroyed", err)
    end
    assert.is_true(c3:wait())
    assert.equal("ok", assert(c3:response()).body)
    c1:close(); c2:close(); c3:close()
    other:close()
    assert.is_true(loop:close())
  end)
end)

describe("hot swap", function()
  local function bundle(version, ms)
    return ([[export default { async fetch() {
      await new Promise(r => setTimeout(r, %d));
      return new Response("%s");
    } }]]):format(ms, version)
  end

  it("sends new calls to the new version while calls in flight finish on the old one", function()
    local loop = assert(ski.loop())
    local project = assert(ski.project(loop, bundle("v1", 40)))
    local before = {}
    for i = 1, 5 do before[i] = assert(project:start("http://x/")) end
    assert.is_true(project:swap(bundle("v2", 5)))
    local after = {}
    for i = 1, 5 do after[i] = assert(project:start("http://x/")) end
    local stats = loop:stats()
    assert.equal(1, stats.instances)
    assert.equal(1, stats.retiring)
    assert.is_true(loop:run(5000))
    for _, c in ipairs(before) do assert.equal("v1", assert(c:response()).body); c:close() end
    for _, c in ipairs(after) do assert.equal("v2", assert(c:response()).body); c:close() end
    stats = loop:stats()
    assert.equal(0, stats.retiring) -- the old instance was released
    assert.equal(1, stats.instances)
    project:close()
    assert.is_true(loop:close())
  end)

  it("drops no request and mixes no versions under continuous load", function()
    local loop = assert(ski.loop())
    local project = assert(ski.project(loop, bundle("v1", 3)))
    local sent = {}
    for round = 1, 20 do
      for _ = 1, 10 do sent[#sent + 1] = { version = "v" .. project.version, call = assert(project:start("http://x/")) } end
      if round % 4 == 0 then assert.is_true(project:swap(bundle("v" .. (project.version + 1), round % 7))) end
      assert(loop:run(0) or true)
    end
    assert.is_true(loop:run(5000))
    for _, s in ipairs(sent) do
      assert.equal(s.version, assert(s.call:response()).body)
      s.call:close()
    end
    assert.equal(0, loop:stats().retiring)
    project:close()
    assert.is_true(loop:close())
  end)

  it("keeps the old version serving when the new one does not load", function()
    local loop = assert(ski.loop())
    local project = assert(ski.project(loop, bundle("v1", 0)))
    local ok, err, name = project:swap("export default {")
    assert.is_nil(ok)
    assert.equal("SKI_ESYNTAX", name)
    assert.is_truthy(err)
    assert.equal("v1", assert(project:fetch("http://x/")).body)
    project:close()
    assert.is_true(loop:close())
  end)
end)

describe("background work (ctx.waitUntil)", function()
  it("outlives the response, is visible to the host, and is waited for by run()", function()
    local inst, loop = t.worker [[
      let log = [];
      export default { async fetch(req, env, ctx) {
        if (req.url.endsWith("/log")) return new Response(log.join(","));
        ctx.waitUntil(new Promise(r => setTimeout(() => { log.push("flushed"); r() }, 30)));
        return new Response("responded");
      } }
    ]]
    local call = assert(inst:start("http://x/"))
    assert.is_true(call:done())
    assert.equal("responded", assert(call:response()).body)
    local calls, tasks = inst:pending()
    assert.equal(0, calls)
    assert.equal(1, tasks)
    assert.equal("", assert(inst:fetch("http://x/log")).body)
    assert.is_true(loop:run())
    calls, tasks = inst:pending()
    assert.equal(0, tasks)
    assert.equal("flushed", assert(inst:fetch("http://x/log")).body)
    call:close()
    inst:close()
    assert.is_true(loop:close())
  end)

  it("keeps a retired instance alive until it is done", function()
    local loop = assert(ski.loop())
    local project = assert(ski.project(loop, [[
      export default { fetch(req, env, ctx) {
        ctx.waitUntil(new Promise(r => setTimeout(r, 20)));
        return new Response("v1");
      } }
    ]]))
    assert.equal("v1", assert(project:fetch("http://x/")).body)
    assert.is_true(project:swap("export default { fetch() { return new Response('v2') } }"))
    assert.equal(1, loop:stats().retiring)
    assert.equal(1, loop:stats().tasks)
    assert.is_true(loop:run())
    assert.equal(0, loop:stats().retiring)
    project:close()
    assert.is_true(loop:close())
  end)
end)

describe("V8's own tasks", function()
  -- heap churn in a small heap makes major GCs; V8 then posts FinalizationRegistry
  -- cleanup as a foreground task, which only runs if the loop runs V8's tasks
  local CHURN = [[
    let cleaned = 0;
    const fr = new FinalizationRegistry((held) => { cleaned++; if (held === "throw") throw new Error("cleanup boom"); });
    export default { async fetch(req) {
      const n = req.url.endsWith("/throw") ? 1 : 1000, start = cleaned;
      for (let i = 0; i < n; i++) fr.register({ i }, n === 1 ? "throw" : i);
      for (let round = 0; round < 200 && cleaned - start < n; round++) {
        let keep = [];
        for (let i = 0; i < 2000; i++) keep.push(new Array(100).fill(round));
        keep = null;
        await new Promise((r) => setTimeout(r, 2));
      }
      return new Response(String(cleaned - start));
    } };
  ]]

  it("run: FinalizationRegistry callbacks fire after the GC", function()
    local loop = assert(ski.loop())
    local inst = assert(loop:instance({ heap_mb = 16 }))
    assert(inst:load(CHURN))
    assert.equal("1000", assert(inst:fetch("http://x/")).body)
    inst:close()
    assert.is_true(loop:close())
  end)

  it("report a callback's exception at error level, and the instance keeps serving", function()
    local loop = assert(ski.loop())
    assert.is_true(loop:buffer_console(10))
    local inst = assert(loop:instance({ heap_mb = 16 }))
    assert(inst:load(CHURN))
    assert.equal("1", assert(inst:fetch("http://x/throw")).body)
    local line = loop:next_console()
    assert(line, "no console line")
    assert.equal(ski.LOG_ERROR, line.level)
    assert.matches("Uncaught Error: cleanup boom", line.text)
    assert.equal("1000", assert(inst:fetch("http://x/")).body)
    inst:close()
    assert.is_true(loop:close())
  end)

  it("never outlive their isolate: instances with cleanup still queued are freed", function()
    local loop = assert(ski.loop())
    for _ = 1, 5 do
      local inst = assert(loop:instance({ heap_mb = 16 }))
      assert(inst:load([[
        const fr = new FinalizationRegistry(() => {});
        export default { fetch() {
          for (let i = 0; i < 5000; i++) fr.register({ i }, i);
          for (let i = 0; i < 3000; i++) new Array(100).fill(i);
          return new Response("queued");
        } };
      ]]))
      assert.equal("queued", assert(inst:fetch("http://x/")).body)
      inst:close() -- without running the loop: any queued task is dropped with the isolate
    end
    assert.is_true(loop:close())
  end)
end)

describe("console output", function()
  it("can be buffered for a polling host, with levels and the instance it came from", function()
    local loop = assert(ski.loop())
    assert.is_true(loop:buffer_console(3))
    local inst = t.worker([[
      console.log("loaded");
      export default { fetch() {
        console.debug("d"); console.info("i %d", 42); console.warn("w"); console.error("e", { a: 1 });
        return new Response("ok");
      } }
    ]], loop)
    assert.equal("ok", assert(inst:fetch("http://x/")).body)
    local lines = {}
    for line in function() return loop:next_console() end do lines[#lines + 1] = line end
    assert.equal(3, #lines) -- five lines, three kept
    assert.same({ ski.LOG_INFO, "i 42", 2 }, { lines[1].level, lines[1].text, lines[1].dropped })
    assert.same({ ski.LOG_WARN, "w", 0 }, { lines[2].level, lines[2].text, lines[2].dropped })
    assert.same({ ski.LOG_ERROR, "e { a: 1 }" }, { lines[3].level, lines[3].text })
    assert.equal(inst.handle, lines[3].instance)
    assert.is_nil(loop:next_console())
    inst:close()
    assert.is_true(loop:close())
  end)

  it("has counters, timers, groups and tables, printed as Node prints them", function()
    local loop = assert(ski.loop())
    assert.is_true(loop:buffer_console(50))
    local inst = t.worker([[
      export default { async fetch() {
        console.count(); console.count(); console.count("x"); console.countReset(); console.count();
        console.countReset("nope");
        console.group("outer"); console.log("in\ntwo"); console.group(); console.warn("deeper");
        console.groupEnd(); console.groupEnd(); console.log("out");
        console.time("t"); await new Promise(r => setTimeout(r, 5));
        console.timeLog("t", "mid"); console.timeEnd("t"); console.timeEnd("t"); console.time(); console.time();
        console.table([{ a: 1, b: "x" }, { a: 2 }, 7]);
        console.table({ r: { x: 1, y: 2 } }, ["y"]);
        console.table("plain");
        return new Response("ok");
      } }
    ]], loop)
    assert.equal("ok", assert(inst:fetch("http://x/")).body)
    local lines = {}
    for line in function() return loop:next_console() end do lines[#lines + 1] = { line.level, line.text } end
    local I, W = ski.LOG_INFO, ski.LOG_WARN
    assert.same({ I, "default: 1" }, lines[1])
    assert.same({ I, "default: 2" }, lines[2])
    assert.same({ I, "x: 1" }, lines[3])
    assert.same({ I, "default: 1" }, lines[4])
    assert.same({ W, "Count for 'nope' does not exist" }, lines[5])
    assert.same({ I, "outer" }, lines[6])
    assert.same({ I, "  in\n  two" }, lines[7])
    assert.same({ W, "    deeper" }, lines[8])
    assert.same({ I, "out" }, lines[9])
    assert.matches("^t: %d+%.?%d*ms mid$", lines[10][2])
    assert.matches("^t: %d+%.?%d*ms$", lines[11][2])
    assert.is_true(tonumber(lines[11][2]:match("([%d.]+)ms")) >= 4)
    assert.same({ W, "Timer 't' does not exist" }, lines[12])
    assert.same({ W, "Timer 'default' already exists" }, lines[13])
    assert.same({ I, table.concat({
      "┌─────────┬───┬─────┬────────┐",
      "│ (index) │ a │ b   │ Values │",
      "├─────────┼───┼─────┼────────┤",
      "│ 0       │ 1 │ 'x' │        │",
      "│ 1       │ 2 │     │        │",
      "│ 2       │   │     │ 7      │",
      "└─────────┴───┴─────┴────────┘" }, "\n") }, lines[14])
    assert.same({ I, table.concat({
      "┌─────────┬───┐",
      "│ (index) │ y │",
      "├─────────┼───┤",
      "│ r       │ 2 │",
      "└─────────┴───┘" }, "\n") }, lines[15])
    assert.same({ I, "plain" }, lines[16])
    assert.equal(16, #lines)
    -- a new instance starts with no counts or timers
    local other = t.worker("export default { fetch() { console.count(); console.timeEnd(); return new Response('ok') } }", loop)
    assert.equal("ok", assert(other:fetch("http://x/")).body)
    assert.equal("default: 1", loop:next_console().text)
    assert.equal("Timer 'default' does not exist", loop:next_console().text)
    other:close()
    inst:close()
    assert.is_true(loop:close())
  end)

  it("reports uncaught exceptions of timers at error level", function()
    local loop = assert(ski.loop())
    assert.is_true(loop:buffer_console(10))
    local inst = t.worker([[
      export default { async fetch() {
        setTimeout(() => { throw new TypeError("in a timer") }, 1);
        await new Promise(r => setTimeout(r, 10));
        return new Response("ok");
      } }
    ]], loop)
    assert.equal("ok", assert(inst:fetch("http://x/")).body)
    local line = assert(loop:next_console())
    assert.equal(ski.LOG_ERROR, line.level)
    assert.matches("^Uncaught TypeError: in a timer", line.text)
    inst:close()
    assert.is_true(loop:close())
  end)
end)

describe("promise rejections nothing handles", function()
  it("are reported at error level as Uncaught (in promise), unlike those handled in time", function()
    local loop = assert(ski.loop())
    assert.is_true(loop:buffer_console(300))
    local inst = t.worker([[
      Promise.reject(new RangeError("at load"));
      export default { async fetch(req) {
        if (req.url.endsWith("/many")) {
          for (let i = 0; i < 250; i++) Promise.reject(i);
          return new Response("many");
        }
        Promise.reject(new Error("floating"));
        (async () => { throw new TypeError("async function") })();
        const later = Promise.reject(new Error("handled later, in the same task"));
        await null;
        later.catch(() => {});
        setTimeout(() => { Promise.reject("in a timer") }, 1);
        await new Promise(r => setTimeout(r, 10));
        try { await Promise.reject(new Error("awaited")) } catch {}
        return new Response("ok");
      } }
    ]], loop)
    assert.equal("ok", assert(inst:fetch("http://x/")).body)
    local lines = {}
    for line in function() return loop:next_console() end do
      assert.equal(ski.LOG_ERROR, line.level)
      lines[#lines + 1] = line.text
    end
    assert.equal(4, #lines, table.concat(lines, "\n"))
    assert.matches("^Uncaught %(in promise%) RangeError: at load", lines[1])
    assert.matches("^Uncaught %(in promise%) Error: floating\n    at ", lines[2])
    assert.matches("^Uncaught %(in promise%) TypeError: async function", lines[3])
    assert.equal("Uncaught (in promise) in a timer", lines[4])
    -- a flood is reported in part, then counted
    assert.equal("many", assert(inst:fetch("http://x/many")).body)
    lines = {}
    for line in function() return loop:next_console() end do lines[#lines + 1] = line.text end
    assert.equal(101, #lines)
    assert.equal("Uncaught (in promise) 0", lines[1])
    assert.equal("Uncaught (in promise) 99", lines[100])
    assert.equal("(150 more promise rejections were not handled)", lines[101])
    -- a load that fails reports its error once, as the load's failure, not also as a rejection
    for _, src in ipairs({ "await Promise.reject(new Error('no db')); export default {}",
                           "throw new Error('at top'); export default {}" }) do
      local failed = assert(loop:instance())
      assert.is_nil(failed:load(src))
      failed:close()
    end
    assert.is_nil(loop:next_console())
    inst:close()
    assert.is_true(loop:close())
  end)
end)

describe("prewarmed isolates", function()
  it("are taken by new instances with default limits, and start their clocks when taken", function()
    local loop = assert(ski.loop())
    assert.is_true(loop:prewarm(2))
    assert.equal(2, loop:stats().spares)
    ffi.C.usleep(150 * 1000) -- made well before they are used
    local inst = t.worker([[
      const loadedAt = performance.now();
      export default { fetch() { return new Response(JSON.stringify([loadedAt < 100, Date.now() - performance.timeOrigin < 1000])) } }
    ]], loop)
    assert.equal(1, loop:stats().spares)
    assert.equal("[true,true]", assert(inst:fetch("http://x/")).body)
    local limited = assert(loop:instance({ heap_mb = 16 })) -- other limits: made afresh
    assert.equal(1, loop:stats().spares)
    limited:close()
    local second = t.worker("export default { fetch() { return new Response('second') } }", loop)
    assert.equal(0, loop:stats().spares)
    assert.equal("second", assert(second:fetch("http://x/")).body)
    assert.is_true(loop:prewarm(3))
    assert.equal(3, loop:stats().spares)
    assert.is_true(loop:prewarm(1))
    assert.equal(1, loop:stats().spares)
    local ok, _, name = loop:prewarm(17)
    assert.is_nil(ok)
    assert.equal("SKI_EINVAL", name)
    local raised, err = pcall(loop.prewarm, loop, -1)
    assert.is_false(raised)
    assert.matches("prewarm needs a count of isolates", err)
    raised, err = pcall(loop.buffer_console, loop, "lots")
    assert.is_false(raised)
    assert.matches("buffer_console needs a number of lines", err)
    inst:close()
    second:close()
    assert.is_true(loop:close()) -- frees the spare too
  end)
end)
