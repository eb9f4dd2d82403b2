-- ski: LuaJIT binding of libski (ffi/ski.h), in lua-resty-core's conventions.
--
--   local ski = require "ski"
--   local loop = assert(ski.loop())
--   local inst = assert(loop:instance())
--   assert(inst:load(source, "worker.js"))
--   local res, err, code = inst:fetch { url = "http://localhost/", method = "GET" }
--
-- Failures return nil, message, name ("SKI_ETHROWN", ...); misuse of the binding itself
-- (a wrong argument type) raises. Every object is released by close() or, failing that,
-- by the garbage collector; finalizers never raise. Objects belong to the OS thread that
-- created them, like the C handles they wrap.
local ffi = require "ffi"
local bit = require "bit"

local C_cdef = require "ski.cdef"
ffi.cdef(C_cdef)

local ffi_new, ffi_string, ffi_gc = ffi.new, ffi.string, ffi.gc
local type, error, tostring, setmetatable = type, error, tostring, setmetatable
local tonumber, pairs, ipairs = tonumber, pairs, ipairs

local _M = { _VERSION = "0.1.0" }

local function library_path()
  local explicit = os.getenv("SKI_LIBRARY")
  if explicit and explicit ~= "" then return explicit end
  -- In a checkout, lua/ski.lua sits two levels above build/release/lib/libski.so.
  local source = debug.getinfo(1, "S").source
  local root = source:match("^@(.*)/lua/ski%.lua$") or (source:match("^@lua/ski%.lua$") and ".")
  if root then
    local candidate = root .. "/build/release/lib/libski.so"
    local f = io.open(candidate, "rb")
    if f then
      f:close()
      return candidate
    end
  end
  return "ski"
end

local C = ffi.load(library_path())
_M.C = C

-- Scratch out-parameters, made once (no allocation per call on hot paths).
local handle_out = ffi_new("uint64_t[1]")
local response_out = ffi_new("ski_response")
local request = ffi_new("ski_request")
local header_cap = 16
local header_buf = ffi_new("ski_header[?]", header_cap)

local SKI_EAGAIN = C.SKI_EAGAIN

local function failure(rc)
  return nil, ffi_string(C.ski_last_error()), ffi_string(C.ski_error_name(rc))
end
_M.failure_name = function(rc) return ffi_string(C.ski_error_name(rc)) end

function _M.version() return ffi_string(C.ski_version()) end
function _M.abi_version() return C.ski_abi_version() end
function _M.strerror(code) return ffi_string(C.ski_strerror(code)) end
function _M.last_error() return ffi_string(C.ski_last_error()) end

-- Starts V8 (once per process; ski.loop() does it too). opts.v8_flags: string.
function _M.init(opts)
  local o
  if opts and opts.v8_flags then
    o = ffi_new("ski_init_options", { size = ffi.sizeof("ski_init_options"), v8_flags = opts.v8_flags })
  end
  local rc = C.ski_init(o)
  if rc ~= 0 then return failure(rc) end
  return true
end

-- A handle box: a cdata the GC can finalize, holding the handle as a Lua number for
-- calls (an exact number below 2^53; see ffi/ski.h).
local function boxed(h, free)
  local box = ffi_gc(ffi_new("uint64_t[1]", h), free)
  return box
end

-- close() of an object whose handle sits in self.handle/self.box, released by `free`.
local function close_boxed(self, free)
  local h = self.handle
  if not h then return true end
  self.handle = nil
  self.box[0] = 0
  ffi_gc(self.box, nil)
  local rc = free(h)
  if rc ~= 0 then return failure(rc) end
  return true
end

--------------------------------------------------------------------------------------
-- call

local Call = {}
Call.__index = Call

-- A finalizer for a handle box released by `free`; it never raises.
local function finalizer(free)
  return function(box)
    if box[0] ~= 0 then
      free(box[0])
      box[0] = 0
    end
  end
end

local call_free = finalizer(C.ski_call_free)

local function header_list(res)
  local list = {}
  local h = res.headers
  for i = 0, tonumber(res.header_count) - 1 do
    list[i + 1] = { ffi_string(h[i].name, h[i].name_len), ffi_string(h[i].value, h[i].value_len) }
  end
  return list
end

-- The outcome of the call: a response table, or nil, message, name.
-- While the call is pending: nil, message, "SKI_EAGAIN".
function Call:response()
  local h = self.handle
  if not h then return nil, "call is closed", "SKI_EBADHANDLE" end
  response_out.size = ffi.sizeof(response_out)
  local rc = C.ski_call_response(h, response_out)
  if rc ~= 0 then return failure(rc) end
  local res = response_out
  return {
    status = res.status,
    status_text = ffi_string(res.status_text, res.status_text_len),
    headers = header_list(res),
    body = res.body_len > 0 and ffi_string(res.body, res.body_len) or "",
  }
end

function Call:done()
  local h = self.handle
  if not h then return true end
  response_out.size = ffi.sizeof(response_out)
  return C.ski_call_response(h, response_out) ~= SKI_EAGAIN
end

-- Drives the call's loop (other calls progress too) until this call is done, or
-- timeout_ms passes (-1 or nil: no limit). true, or nil, message, "SKI_EAGAIN".
function Call:wait(timeout_ms)
  local h = self.handle
  if not h then return nil, "call is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_call_wait(h, timeout_ms or -1)
  if rc ~= 0 then return failure(rc) end
  return true
end

function Call:close() return close_boxed(self, C.ski_call_free) end

--------------------------------------------------------------------------------------
-- instance

local Instance = {}
Instance.__index = Instance

-- Fills a ski_request struct. The struct points into the strings: the caller keeps them
-- alive until the C call (which copies them). For hosts that build their own headers
-- array (resty.ski points it into nginx's request memory). `url` may be a char buffer
-- with its length in `url_len`.
function _M.set_request(r, method, url, headers, header_count, body, cpu_ms, wall_ms, url_len)
  r.size = ffi.sizeof(r)
  r.cpu_ms, r.wall_ms = cpu_ms or 0, wall_ms or 0
  r.method, r.method_len = method, #method
  r.url, r.url_len = url, url_len or #url
  r.headers, r.header_count = headers, header_count
  if body then
    r.body, r.body_len = body, #body
  else
    r.body, r.body_len = nil, 0
  end
end

local function grow_headers(n)
  if n > header_cap then
    while header_cap < n do header_cap = header_cap * 2 end
    header_buf = ffi_new("ski_header[?]", header_cap)
  end
end

-- Strings made from numbers for the header block: header_buf holds only pointers, so
-- they stay referenced here until the next request replaces them (the C call copies).
local made_strings = {}

local function header_text(i, what, v)
  if type(v) == "string" then return v end
  if type(v) == "number" then
    v = tostring(v)
    made_strings[#made_strings + 1] = v
    return v
  end
  error(("request header %d: %s must be a string or a number, not %s"):format(i + 1, what, type(v)), 4)
end

local function put_header(i, name, value)
  if type(name) ~= "string" then
    error(("request header %d: name must be a string, not %s"):format(i + 1, type(name)), 3)
  end
  value = header_text(i, "value", value)
  local h = header_buf[i]
  h.name, h.name_len, h.value, h.value_len = name, #name, value, #value
end

local function fill_request(req)
  if type(req) == "string" then req = { url = req } end
  if type(req) ~= "table" then error("request must be a table or a URL string", 3) end
  local url = req.url
  if type(url) ~= "string" then error("request.url must be a string", 3) end
  local method = req.method or "GET"
  if type(method) ~= "string" then error("request.method must be a string", 3) end
  local cpu_ms, wall_ms = req.cpu_ms, req.wall_ms
  if cpu_ms ~= nil and not (type(cpu_ms) == "number" and cpu_ms >= 0 and cpu_ms <= 0xffffffff) then
    error("request.cpu_ms must be a number of milliseconds (0 for the instance's limit)", 3)
  end
  if wall_ms ~= nil and not (type(wall_ms) == "number" and wall_ms >= 0 and wall_ms <= 0xffffffff) then
    error("request.wall_ms must be a number of milliseconds (0 for the instance's limit)", 3)
  end
  local body = req.body
  if body ~= nil and type(body) ~= "string" then error("request.body must be a string", 3) end
  local headers = req.headers
  local n = 0
  for i = #made_strings, 1, -1 do made_strings[i] = nil end
  if headers ~= nil and type(headers) ~= "table" then
    error("request.headers must be a table (a list of {name, value} pairs, or a map)", 3)
  end
  if headers then
    if headers[1] then
      -- a list of {name, value} pairs: the hot path, free of what LuaJIT cannot compile
      n = #headers
      grow_headers(n)
      for i = 1, n do
        local pair = headers[i]
        if type(pair) ~= "table" then
          error(("request header %d: a list of headers holds {name, value} pairs, not %s"):format(i, type(pair)), 3)
        end
        put_header(i - 1, pair[1], pair[2])
      end
    else
      -- a map name -> value | {values}: convenient, though `pairs` stops LuaJIT's traces
      for _, v in pairs(headers) do n = n + (type(v) == "table" and #v or 1) end
      grow_headers(n)
      local i = 0
      for k, v in pairs(headers) do
        if type(v) == "table" then
          for j = 1, #v do
            put_header(i, k, v[j])
            i = i + 1
          end
        else
          put_header(i, k, v)
          i = i + 1
        end
      end
    end
  end
  _M.set_request(request, method, url, header_buf, n, body, cpu_ms, wall_ms)
end

-- Sends one request; returns a Call at once (it may still be pending).
function Instance:start(req)
  local h = self.handle
  if not h then return nil, "instance is closed", "SKI_EBADHANDLE" end
  -- The request struct points into Lua strings; nothing allocates between filling it
  -- and the C call (which copies them), so no GC step can free them in between.
  fill_request(req)
  local rc = C.ski_call_start(h, request, handle_out)
  if rc ~= 0 then return failure(rc) end
  local ch = tonumber(handle_out[0])
  return setmetatable({ handle = ch, box = boxed(ch, call_free) }, Call)
end

-- Sends one request and drives the loop until it completes (or timeout_ms passes).
-- Returns the response table, or nil, message, name.
function Instance:fetch(req, timeout_ms)
  local call, err, name = self:start(req)
  if not call then return nil, err, name end
  local res, ok
  ok, err, name = call:wait(timeout_ms)
  if ok then res, err, name = call:response() end
  call:close()
  return res, err, name
end

-- Loads the worker bundle (once). name is the file name errors mention.
function Instance:load(source, name)
  if type(source) ~= "string" then error("source must be a string", 2) end
  local h = self.handle
  if not h then return nil, "instance is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_instance_load(h, name or "worker.js", source, #source)
  if rc ~= 0 then return failure(rc) end
  return true
end

-- JSON for an env table: strings, finite numbers, booleans, and tables (a sequence is an
-- array, anything else an object with string keys). Raises on what JSON cannot hold.
local json_escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return json_escapes[c] or ("\\u%04x"):format(c:byte()) end) .. '"'
end

local function encode_json(v, path, depth)
  local kind = type(v)
  if kind == "string" then return json_string(v) end
  if kind == "boolean" then return tostring(v) end
  if kind == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error(path .. " is not a finite number", 0) end
    return ("%.17g"):format(v)
  end
  if kind ~= "table" then error(path .. " is " .. kind .. ", which JSON cannot hold", 0) end
  if depth > 32 then error(path .. " is nested too deeply", 0) end
  local out = {}
  local n = #v
  if n > 0 or next(v) == nil and path ~= "env" then
    for i = 1, n do out[i] = encode_json(v[i], path .. "[" .. i .. "]", depth + 1) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do
    if type(k) ~= "string" then error(path .. " has a key that is not a string (" .. tostring(k) .. ")", 0) end
    keys[#keys + 1] = k
  end
  table.sort(keys) -- the same table gives the same JSON, whatever order pairs() visits
  for i = 1, #keys do
    out[i] = json_string(keys[i]) .. ":" .. encode_json(v[keys[i]], path .. "." .. keys[i], depth + 1)
  end
  return "{" .. table.concat(out, ",") .. "}"
end

-- Sets the `env` a module worker's fetch(request, env, ctx) receives: a table (encoded
-- as JSON) or a JSON text. Calls started afterwards see it.
function Instance:set_env(env)
  local json = env
  if type(env) == "table" then
    local ok, text = pcall(encode_json, env, "env", 0)
    if not ok then error(text, 2) end
    json = text
  elseif type(env) ~= "string" then
    error("env must be a table or a JSON string", 2)
  end
  local h = self.handle
  if not h then return nil, "instance is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_instance_set_env(h, json, #json)
  if rc ~= 0 then return failure(rc) end
  return true
end

-- Gives the handle up through `how` (free or retire); the object is closed either way.
local function release_instance(self, how)
  if not self.handle then return true end
  self.handle = nil
  local rc = self.release(self.box, how)
  ffi_gc(self.box, nil)
  if rc ~= 0 then return failure(rc) end
  return true
end

function Instance:close() return release_instance(self, C.ski_instance_free) end

-- Hands the instance to its loop, which frees it once its calls in flight and
-- waitUntil() work are done (hot swap). The object is closed at once.
function Instance:retire() return release_instance(self, C.ski_instance_retire) end

local instance_stats = ffi_new("ski_instance_stats")

-- { calls, cpu_ms, terminations, heap_used, heap_limit, arraybuffer_bytes, dead = name|nil }
function Instance:stats()
  local h = self.handle
  if not h then return nil, "instance is closed", "SKI_EBADHANDLE" end
  instance_stats.size = ffi.sizeof(instance_stats)
  local rc = C.ski_instance_get_stats(h, instance_stats)
  if rc ~= 0 then return failure(rc) end
  local st = instance_stats
  return {
    calls = tonumber(st.calls), cpu_ms = tonumber(st.cpu_ns) / 1e6, terminations = tonumber(st.terminations),
    heap_used = tonumber(st.heap_used), heap_limit = tonumber(st.heap_limit),
    arraybuffer_bytes = tonumber(st.arraybuffer_bytes),
    dead = st.dead ~= 0 and ffi_string(C.ski_error_name(st.dead)) or nil,
  }
end

-- calls in flight, pending waitUntil() promises
local pending_calls, pending_tasks = ffi_new("size_t[1]"), ffi_new("size_t[1]")
function Instance:pending()
  local h = self.handle
  if not h then return nil, "instance is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_instance_pending(h, pending_calls, pending_tasks)
  if rc ~= 0 then return failure(rc) end
  return tonumber(pending_calls[0]), tonumber(pending_tasks[0])
end

--------------------------------------------------------------------------------------
-- loop

local Loop = {}
Loop.__index = Loop

-- The loop's C free refuses while instances live; when the GC finds a loop and its
-- instances unreachable together it may finalize them in any order, so the last one
-- out frees the loop. `state` is shared by the loop's and its instances' finalizers.
local function loop_try_free(state)
  if state.handle ~= 0 and state.closing and state.live == 0 then
    local h = state.handle
    state.handle = 0
    return C.ski_loop_free(h)
  end
  return 0
end

local instance_opts = ffi_new("ski_instance_options")
local LIMIT_OPTIONS = { "cpu_ms", "wall_ms", "heap_mb", "arraybuffer_mb", "stack_kb" }

-- Creates an instance on this loop. opts (all optional): watchdog (from ski.watchdog()),
-- cpu_ms, wall_ms (per call), heap_mb, arraybuffer_mb, stack_kb; 0 or nil: the default.
function Loop:instance(opts)
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  local o
  if opts ~= nil and type(opts) ~= "table" then error("instance options must be a table", 2) end
  if opts then
    for _, k in ipairs(LIMIT_OPTIONS) do
      local v = opts[k]
      if v ~= nil and not (type(v) == "number" and v >= 0 and v <= 0xffffffff) then
        error(("instance option %s must be a number (0 for the default), not %s"):format(k, tostring(v)), 2)
      end
    end
    o = instance_opts
    o.size = ffi.sizeof(o)
    o.watchdog = opts.watchdog and opts.watchdog.handle or 0
    o.cpu_ms, o.wall_ms = opts.cpu_ms or 0, opts.wall_ms or 0
    o.heap_mb, o.arraybuffer_mb, o.stack_kb = opts.heap_mb or 0, opts.arraybuffer_mb or 0, opts.stack_kb or 0
  end
  local rc = C.ski_instance_new(state.handle, o, handle_out)
  if rc ~= 0 then return failure(rc) end
  local ih = tonumber(handle_out[0])
  state.live = state.live + 1
  local released = false
  local function release(box, how)
    if released then return 0 end
    released = true
    box[0] = 0
    local frc = (how or C.ski_instance_free)(ih)
    state.live = state.live - 1
    local lrc = loop_try_free(state)
    return frc ~= 0 and frc or lrc
  end
  -- (holding the watchdog keeps the GC from stopping it while this instance runs)
  local inst = setmetatable({ handle = ih, loop = self, release = release, watchdog = opts and opts.watchdog },
    Instance)
  inst.box = boxed(ih, release)
  return inst
end

-- A new instance with `source` loaded (opts as for instance()), or nil, message, name;
-- an instance whose load fails is closed.
function Loop:load(source, name, opts)
  local inst, err, code = self:instance(opts)
  if not inst then return nil, err, code end
  local ok
  ok, err, code = inst:load(source, name)
  if not ok then
    inst:close()
    return nil, err, code
  end
  return inst
end

-- Drives the loop until no call is pending, or timeout_ms (-1: no limit, 0: never block).
-- Returns true, or nil, message, "SKI_EAGAIN" when calls are still pending.
function Loop:run(timeout_ms)
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_loop_run(state.handle, timeout_ms or -1)
  if rc ~= 0 then return failure(rc) end
  return true
end

local int_out = ffi_new("int[1]")

-- For hosts with their own event loop: milliseconds until run(0) has work to do (the
-- next timer), 0 if it has now, -1 if nothing is scheduled.
function Loop:next_deadline()
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_loop_next_deadline(state.handle, int_out)
  if rc ~= 0 then return failure(rc) end
  return int_out[0]
end

-- A descriptor that is readable when the loop has I/O to process (pair it with
-- next_deadline for timers).
function Loop:fd()
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_loop_fd(state.handle, int_out)
  if rc ~= 0 then return failure(rc) end
  return int_out[0]
end

local stats_out = ffi_new("ski_loop_stats")

-- Keeps `count` isolates ready for new instances with default limits (blocks while it
-- makes them, a few ms each): pay for instance creation when idle. 0 frees them.
function Loop:prewarm(count)
  if type(count) ~= "number" or count < 0 or count ~= math.floor(count) then
    error("prewarm needs a count of isolates (a whole number, 0 or more)", 2)
  end
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_loop_prewarm(state.handle, count)
  if rc ~= 0 then return failure(rc) end
  return true
end

-- { instances, retiring, calls, tasks, spares }: what the loop carries now.
function Loop:stats()
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  stats_out.size = ffi.sizeof(stats_out)
  local rc = C.ski_loop_get_stats(state.handle, stats_out)
  if rc ~= 0 then return failure(rc) end
  return {
    instances = tonumber(stats_out.instances), retiring = tonumber(stats_out.retiring),
    calls = tonumber(stats_out.calls), tasks = tonumber(stats_out.tasks), spares = tonumber(stats_out.spares),
  }
end

-- Console output of the loop's instances: by default stderr. buffer_console(n) keeps
-- up to n lines (0: back to stderr) for next_console() to take, oldest first.
function Loop:buffer_console(max_lines)
  if type(max_lines) ~= "number" or max_lines < 0 or max_lines ~= math.floor(max_lines) then
    error("buffer_console needs a number of lines (a whole number, 0 or more)", 2)
  end
  local state = self.state
  if state.closing then return nil, "loop is closed", "SKI_EBADHANDLE" end
  local rc = C.ski_loop_buffer_console(state.handle, max_lines)
  if rc ~= 0 then return failure(rc) end
  return true
end

local console_out = ffi_new("ski_console_line")
_M.LOG_DEBUG, _M.LOG_INFO, _M.LOG_WARN, _M.LOG_ERROR = 0, 1, 2, 3

-- The oldest buffered console line as { level = 0..3, text =, instance =, dropped = },
-- or nil when there is none.
function Loop:next_console()
  local state = self.state
  if state.closing then return nil end
  console_out.size = ffi.sizeof(console_out)
  if C.ski_loop_next_console(state.handle, console_out) ~= 0 then return nil end
  return {
    level = console_out.level, text = ffi_string(console_out.text, console_out.text_len),
    instance = tonumber(console_out.instance), dropped = tonumber(console_out.dropped),
  }
end

-- Frees the loop. Fails with SKI_EBUSY while instances created on it are open.
function Loop:close()
  local state = self.state
  if state.closing then return true end
  if state.live > 0 then
    return nil, "loop still has " .. state.live .. " open instance(s); close them first", "SKI_EBUSY"
  end
  state.closing = true
  ffi_gc(self.box, nil)
  local rc = loop_try_free(state)
  if rc ~= 0 then return failure(rc) end
  return true
end

-- A new loop owned by the calling thread.
function _M.loop()
  local rc = C.ski_loop_new(handle_out)
  if rc ~= 0 then return failure(rc) end
  local h = tonumber(handle_out[0])
  local state = { handle = h, live = 0, closing = false }
  local box = boxed(h, function()
    state.closing = true
    loop_try_free(state)
  end)
  return setmetatable({ state = state, box = box, handle = h }, Loop)
end

--------------------------------------------------------------------------------------
-- watchdog: a thread that stops runaway JS (any thread may use it)

local Watchdog = {}
Watchdog.__index = Watchdog

local watchdog_free = finalizer(C.ski_watchdog_free)

function _M.watchdog()
  local rc = C.ski_watchdog_new(handle_out)
  if rc ~= 0 then return failure(rc) end
  local h = tonumber(handle_out[0])
  return setmetatable({ handle = h, box = boxed(h, watchdog_free) }, Watchdog)
end

local watchdog_stats = ffi_new("ski_watchdog_stats")

-- { instances, terminations, wakeups }
function Watchdog:stats()
  if not self.handle then return nil, "watchdog is closed", "SKI_EBADHANDLE" end
  watchdog_stats.size = ffi.sizeof(watchdog_stats)
  local rc = C.ski_watchdog_get_stats(self.handle, watchdog_stats)
  if rc ~= 0 then return failure(rc) end
  return { instances = tonumber(watchdog_stats.instances), terminations = tonumber(watchdog_stats.terminations),
    wakeups = tonumber(watchdog_stats.wakeups) }
end

function Watchdog:close() return close_boxed(self, C.ski_watchdog_free) end

--------------------------------------------------------------------------------------
-- project: one worker bundle served by one current instance, replaceable while serving

local Project = {}
Project.__index = Project

-- Loads `source` into a new instance on `loop`; opts as for loop:instance() (limits,
-- watchdog), used for every version.
function _M.project(loop, source, name, opts)
  local p = setmetatable({ loop = loop, version = 0, opts = opts }, Project)
  local ok, err, code = p:swap(source, name)
  if not ok then return nil, err, code end
  return p
end

-- Hot swap: loads the new bundle into a new instance; from then on new calls go to it,
-- while calls in flight finish on the old one, which is then freed. If the new bundle
-- does not load, the old one keeps serving and the error is returned.
function Project:swap(source, name)
  local inst, err, code = self.loop:load(source, name, self.opts)
  if not inst then return nil, err, code end
  local old = self.current
  self.current = inst
  self.version = self.version + 1
  if old then old:retire() end
  return true
end

function Project:start(req) return self.current:start(req) end
function Project:fetch(req, timeout_ms) return self.current:fetch(req, timeout_ms) end

function Project:close()
  local inst = self.current
  self.current = nil
  if inst then return inst:close() end
  return true
end

-- Convenience for scripts: a loop and an instance with `source` loaded.
function _M.load(source, name)
  local loop, err, code = _M.loop()
  if not loop then return nil, err, code end
  return loop:load(source, name)
end

return _M
