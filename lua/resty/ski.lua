-- resty.ski: ski inside nginx + lua-nginx-module (OpenResty conventions).
--
--   init_worker_by_lua_block {
--     require("resty.ski").init {
--       projects = {
--         default = { bundle = "/srv/hello/worker.js" },
--         api     = { bundle = "/srv/api/worker.js", limits = { wall_ms = 5000 } },
--       },
--       watch = 1,          -- re-load a bundle within 1 s of its file changing (optional)
--     }
--   }
--   location /     { content_by_lua_block { require("resty.ski").serve("default") } }
--   location /api/ { content_by_lua_block { require("resty.ski").serve("api") } }
--
-- Model (docs/openresty.md has the long version):
-- * One ski loop per nginx worker, made in init_worker (never in the master: V8 must
--   start in the process that runs JS). Each project is one instance on that loop.
-- * A request starts a call on its project's instance. Most handlers finish inside
--   ski_call_start: the answer is written at once (the fast path; no driver, no
--   allocation beyond the strings nginx needs).
-- * A call that awaits (timers, I/O) parks its request on an ngx.semaphore. ONE driver
--   per worker (an ngx.timer light thread) runs the loop without blocking
--   (ski_loop_run(loop, 0)), wakes the requests whose calls are done, copies console
--   lines to the error log, and sleeps until the loop's next timer or a new parked call.
--   The nginx worker never blocks inside ski while JS awaits.
-- * Failures a client sees are bare 5xx pages; the operator gets the full message in
--   the error log.
local ngx = ngx
local ffi = require "ffi"
local semaphore = require "ngx.semaphore"

local ffi_string, ffi_new, ffi_cast = ffi.string, ffi.new, ffi.cast
local tonumber, type, pairs, ipairs, tostring = tonumber, type, pairs, ipairs, tostring
local ngx_log, ngx_now = ngx.log, ngx.now
local ERR, WARN, NOTICE, INFO, DEBUG = ngx.ERR, ngx.WARN, ngx.NOTICE, ngx.INFO, ngx.DEBUG
local ngx_var, ngx_req, ngx_header = ngx.var, ngx.req, ngx.header
local str_lower, str_byte, str_find = string.lower, string.byte, string.find
local escape_uri, unescape_uri = ngx.escape_uri, ngx.unescape_uri

local _M = { _VERSION = "0.1.0" }

local raw_log
do
  local ok, errlog = pcall(require, "ngx.errlog")
  if ok and errlog.raw_log then
    raw_log = errlog.raw_log
  else
    raw_log = function(level, msg) ngx_log(level, msg) end
  end
end

-- The request path works on nginx's memory through resty.core's FFI (request headers,
-- variables, response headers): no Lua strings but the body. lua-nginx-module has required
-- resty.core since 0.10.16; `ffi_missing` says what is absent from an older one, and init()
-- refuses to start with it.
local get_request, ngx_C, elt_buf, elt_cap, var_get, set_resp_header, errmsg_ptr
local ffi_missing
do
  local ok, base = pcall(require, "resty.core.base")
  ok = ok and base.get_request and base.get_errmsg_ptr and pcall(require, "resty.core.request")
    and pcall(require, "resty.core.var") and pcall(require, "resty.core.response")
    and pcall(ffi.typeof, "ngx_http_lua_ffi_table_elt_t")
  if not ok then
    ffi_missing = "resty.core (lua-resty-core) is not loaded"
  elseif not pcall(function()
    return ffi.C.ngx_http_lua_ffi_req_get_headers, ffi.C.ngx_http_lua_ffi_var_get, ffi.C.ngx_http_lua_ffi_set_resp_header
  end) then
    ffi_missing = "this lua-nginx-module lacks the FFI functions resty.core declares"
  else
    get_request, ngx_C, errmsg_ptr = base.get_request, ffi.C, base.get_errmsg_ptr()
    var_get, set_resp_header = ngx_C.ngx_http_lua_ffi_var_get, ngx_C.ngx_http_lua_ffi_set_resp_header
    elt_cap = 64
    elt_buf = ffi_new("ngx_http_lua_ffi_table_elt_t[?]", elt_cap)
    pcall(ffi.cdef, "int memcmp(const void *a, const void *b, size_t n);")
    pcall(ffi.cdef, "void *memchr(const void *s, int c, size_t n);")
  end
end

local truncated_out = ffi_new("int[1]")
local var_value, var_len, lowcase_buf = ffi_new("char *[1]"), ffi_new("size_t[1]"), ffi_new("char[32]")
local url_buf, url_cap = nil, 0

pcall(ffi.cdef, [[
struct resty_ski_statx_ts { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };
struct resty_ski_statx {
  uint32_t mask, blksize; uint64_t attributes; uint32_t nlink, uid, gid;
  uint16_t mode, spare0; uint64_t ino, size, blocks, attributes_mask;
  struct resty_ski_statx_ts atime, btime, ctime, mtime;
  uint32_t rdev_major, rdev_minor, dev_major, dev_minor; uint64_t spare2[14];
};
int statx(int dirfd, const char *path, int flags, unsigned int mask, struct resty_ski_statx *out);
]])

--------------------------------------------------------------------------------------
-- per-worker state (set by init)

local ski, C                  -- lua/ski.lua and its C namespace
local set_request             -- ski.set_request
local loop, loop_h            -- this worker's loop and its handle
local watchdog                -- this worker's watchdog (CPU limits, runaway JS), if libski has one
local has_limits = false      -- libski enforces limits itself (ABI with ski_instance_options limits)
local config                  -- the table given to init
local projects = {}           -- name -> project
local by_instance = {}        -- instance handle -> project (console lines)
local waiting, nwaiting = {}, 0   -- parked requests: { call =, sema =, done =, gone = }
local draining = {}           -- old instances finishing their calls: { inst =, project =, deadline = }
local wake                    -- the driver waits on it; requests post it
local driver_sleeping, driver_until, wake_posted = false, 0, false
local sema_pool, nsema = {}, 0
local next_watch = 0

local SKI_EAGAIN
local request, handle_out, resp_out, console_out, int_out
local header_cap, header_buf

-- worker failures → what the client gets
local ERROR_BODY = {
  [500] = "Internal Server Error\n", [503] = "Service Unavailable\n",
  [504] = "Gateway Timeout\n",
}

-- response headers nginx owns (it frames the body itself)
local HOP = {
  ["content-length"] = true, ["transfer-encoding"] = true, ["connection"] = true,
  ["keep-alive"] = true, ["upgrade"] = true, ["proxy-connection"] = true, ["te"] = true,
  ["trailer"] = true,
}

local HOP_LEN = {}
for name in pairs(HOP) do HOP_LEN[#name] = true end

local CONSOLE_LEVEL = { [0] = DEBUG, [1] = NOTICE, [2] = WARN, [3] = ERR }

-- nginx cuts an error-log entry at 2 KB (NGX_MAX_ERROR_STR), its own prefix and the
-- request's context included: a longer text goes out in numbered parts, each cut where
-- no UTF-8 sequence is split.
local LOG_PART = 1500
local function log_in_parts(emit, level, head, text)
  local n = #text
  if n <= LOG_PART then return emit(level, head .. text) end
  local parts, pos = {}, 1
  while pos <= n do
    local stop = pos + LOG_PART - 1
    if stop >= n then
      stop = n
    else
      while stop > pos do
        local next_byte = str_byte(text, stop + 1)
        if next_byte < 0x80 or next_byte >= 0xC0 then break end
        stop = stop - 1
      end
    end
    parts[#parts + 1] = text:sub(pos, stop)
    pos = stop + 1
  end
  for i = 1, #parts do emit(level, head .. "(part " .. i .. "/" .. #parts .. ") " .. parts[i]) end
end

local function ngx_log_text(level, text) ngx_log(level, text) end

local function log_err(p, msg)
  log_in_parts(ngx_log_text, ERR, "ski project '" .. (p and p.name or "?") .. "': ", msg)
end

--------------------------------------------------------------------------------------
-- instances

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local data = f:read("*a")
  f:close()
  if not data then return nil, "cannot read " .. path end
  return data
end

local statx_buf = ffi_new("struct resty_ski_statx")
local function file_signature(path)
  if ffi.C.statx(-100, path, 0, 0x7ff, statx_buf) ~= 0 then return nil end
  local m = statx_buf.mtime
  return tostring(m.tv_sec) .. "." .. tostring(m.tv_nsec) .. ":" ..
         tostring(statx_buf.size) .. ":" .. tostring(statx_buf.ino)
end

-- Limits for a new instance: cpu_ms, wall_ms, heap_mb, arraybuffer_mb, stack_kb, enforced
-- by libski (CPU time by the worker's watchdog); 0 or absent: libski's defaults.
local function instance_options(p)
  local l = p.limits
  return {
    watchdog = watchdog, cpu_ms = l.cpu_ms, wall_ms = l.wall_ms, heap_mb = l.heap_mb,
    arraybuffer_mb = l.arraybuffer_mb, stack_kb = l.stack_kb,
  }
end

-- A new instance of `source`, or nil, message, name.
-- One prewarmed isolate is kept for the next new instance (a swap, a replacement after a
-- limit): made by the driver when the worker is idle, so that a swap on the request path
-- costs a load, not an isolate.
local need_spare = true

local function new_instance(p, source, name)
  need_spare = true
  local inst, err, code = loop:load(source, name, instance_options(p))
  if inst and p.env ~= nil then
    local set, ok
    set, ok, err, code = pcall(inst.set_env, inst, p.env)
    if not set or not ok then
      inst:close()
      return nil, "env: " .. tostring(set and err or ok), code or "SKI_EINVAL"
    end
  end
  return inst, err, code
end

-- Moves the project's current instance out: it finishes its calls in flight (and
-- waitUntil work), then is freed; past `grace` ms it is freed anyway (its remaining
-- calls fail with SKI_ECANCELED, which answers 503).
local function drain(p, inst)
  if not inst then return end
  by_instance[inst.handle] = nil
  draining[#draining + 1] = { inst = inst, project = p, deadline = ngx_now() + p.grace }
end

local function install(p, inst, source, name)
  local old = p.inst
  p.inst, p.h = inst, inst.handle
  p.source, p.source_name, p.error = source, name, nil
  p.version = p.version + 1
  by_instance[inst.handle] = p
  drain(p, old)
end

-- Swaps in a new instance of `source`; the old one keeps serving if it fails to load.
local function load_project(p, source, name)
  local inst, err, code = new_instance(p, source, name)
  if not inst then return nil, (code or "error") .. ": " .. tostring(err) end
  install(p, inst, source, name)
  return true
end

-- After a limit hit the instance is not reused: a fresh one takes over (once: the other
-- calls that fail with it find it already replaced).
local function replace_instance(p, why, inst_h)
  if not p.source or (inst_h and p.h ~= inst_h) then return end
  local inst, err, code = new_instance(p, p.source, p.source_name)
  if not inst then
    log_err(p, "could not replace the instance after " .. why .. ": " .. tostring(code) .. ": " .. tostring(err))
    return
  end
  install(p, inst, p.source, p.source_name)
end

local function new_project(name, spec)
  local limits = spec.limits or config.limits or {}
  local wall_ms = limits.wall_ms or config.wall_ms or 30000
  return {
    name = name, spec = spec, limits = limits, version = 0, wall_ms = wall_ms,
    -- seconds a parked request waits: the wall limit, plus a second when libski
    -- enforces it itself (then this is only a backstop)
    wall = wall_ms / 1000 + (has_limits and 1 or 0),
    grace = wall_ms / 1000 + 1,                  -- seconds an old instance may drain
    path = spec.bundle, signature = spec.bundle and file_signature(spec.bundle),
    env = spec.env,
  }
end

-- Loads the project's bundle (path or inline source). A failure is remembered: the
-- project answers 503 and logs why until a good bundle is swapped in.
local function start_project(p)
  local spec = p.spec
  local source, name, err = spec.source, spec.name, nil
  if not source then
    if not spec.bundle then
      p.error = "no bundle or source configured"
      log_err(p, p.error)
      return
    end
    source, err = read_file(spec.bundle)
    name = name or spec.bundle
  end
  if not source then
    p.error = "cannot load bundle: " .. tostring(err)
    log_err(p, p.error)
    return
  end
  local ok
  ok, err = load_project(p, source, name or (p.name .. ".js"))
  if not ok then
    p.error = "bundle failed to load: " .. err
    log_err(p, p.error)
  end
end

--------------------------------------------------------------------------------------
-- console and background work

-- logs the console line ski_loop_next_console put in console_out
local function log_console_line()
  local p = by_instance[tonumber(console_out.instance)]
  local who = p and p.name or "retired"
  if console_out.dropped > 0 then
    raw_log(WARN, "ski [" .. who .. "] (" .. tonumber(console_out.dropped) .. " console lines dropped)")
  end
  log_in_parts(raw_log, CONSOLE_LEVEL[console_out.level] or NOTICE, "ski [" .. who .. "] ",
    ffi_string(console_out.text, console_out.text_len))
end

local function drain_console()
  while C.ski_loop_next_console(loop_h, console_out) == 0 do log_console_line() end
end

local function check_draining(now)
  local j = 0
  for i = 1, #draining do
    local d = draining[i]
    local calls, tasks = d.inst:pending()
    if not calls or (calls == 0 and tasks == 0) or now >= d.deadline then
      if calls and calls > 0 then
        log_err(d.project, "old instance still had " .. calls .. " call(s) after " ..
          d.project.grace .. " s; cancelled")
      end
      d.inst:close()
    else
      j = j + 1
      draining[j] = d
    end
  end
  for i = j + 1, #draining do draining[i] = nil end
end

local function check_watch(now)
  if not config.watch or now < next_watch then return end
  next_watch = now + config.watch
  for _, p in pairs(projects) do
    if p.path then
      local sig = file_signature(p.path)
      if sig and sig ~= p.signature then
        p.signature = sig
        local ok, err = _M.swap(p.name, p.path)
        if ok then
          ngx_log(NOTICE, "ski project '", p.name, "': ", p.path, " changed; now at version ", p.version)
        else
          log_err(p, "changed bundle not swapped in (the old one keeps serving): " .. tostring(err))
        end
      end
    end
  end
end

-- the longest the driver sleeps with nothing to do (it also checks watch and exit)
local IDLE = 0.5

local function driver_step()
  C.ski_loop_run(loop_h, 0)
  -- wake the parked requests whose calls are done
  local j = 0
  for i = 1, nwaiting do
    local w = waiting[i]
    if not w.gone then
      resp_out.size = ffi.sizeof(resp_out)
      if C.ski_call_response(w.call, resp_out) ~= SKI_EAGAIN then
        w.done = true
        w.sema:post(1)
      else
        j = j + 1
        waiting[j] = w
      end
    end
  end
  for i = j + 1, nwaiting do waiting[i] = nil end
  nwaiting = j
  drain_console()
  local now = ngx_now()
  if #draining > 0 then check_draining(now) end
  check_watch(now)
end

local function driver(premature)
  if premature then return end
  while true do
    local ok, err = pcall(driver_step)
    if not ok then ngx_log(ERR, "ski driver: ", err) end
    if ngx.worker.exiting() and nwaiting == 0 then return end
    C.ski_loop_next_deadline(loop_h, int_out)
    local d = int_out[0]
    local sleep
    if d == 0 then
      -- work is due now: come back at once, but through the event loop (a 1 ms timer:
      -- Debian's nginx lacks the patch that makes ngx.sleep(0) cheap)
      sleep = 0.001
    elseif d < 0 then
      -- nothing scheduled: idle, or (calls parked) I/O in flight that ski's fd signals;
      -- nginx cannot watch that fd, so poll it briefly
      sleep = nwaiting > 0 and 0.002 or IDLE
      if nwaiting == 0 and need_spare and not ngx.worker.exiting() then
        need_spare = false
        loop:prewarm(1)
      end
    else
      sleep = d / 1000
      if sleep > IDLE then sleep = IDLE end
    end
    driver_sleeping, driver_until, wake_posted = true, ngx_now() + sleep, false
    wake:wait(sleep)
    driver_sleeping = false
  end
end

local function wake_driver()
  if driver_sleeping and not wake_posted then
    wake_posted = true
    wake:post(1)
  end
end

--------------------------------------------------------------------------------------
-- init

-- init_worker_by_lua*: creates this worker's loop and loads every project.
--   opts.projects   name -> { bundle = path | source = js, name = file name for errors,
--                             limits = { wall_ms =, cpu_ms =, heap_mb = },
--                             env = { NAME = value, ... } (the handlers' `env`) }
--   opts.limits     defaults for projects without their own
--   opts.watch      seconds between checks of bundle files for changes (off if nil)
--   opts.console_lines   console lines buffered between drains (default 10000)
function _M.init(opts)
  if loop then return true end
  local phase = ngx.get_phase()
  if phase ~= "init_worker" then
    error("resty.ski.init() belongs in init_worker_by_lua* (it was called in " .. phase ..
      "); V8 must never start in the nginx master", 2)
  end
  if ffi_missing then
    error("resty.ski needs lua-nginx-module 0.10.16 or newer with lua-resty-core: " .. ffi_missing, 2)
  end
  config = opts or {}
  ski = require "ski"
  C = ski.C
  set_request = ski.set_request
  SKI_EAGAIN = C.SKI_EAGAIN
  request = ffi_new("ski_request")
  handle_out = ffi_new("uint64_t[1]")
  resp_out = ffi_new("ski_response")
  console_out = ffi_new("ski_console_line")
  console_out.size = ffi.sizeof(console_out)
  int_out = ffi_new("int[1]")
  header_cap = 64
  header_buf = ffi_new("ski_header[?]", header_cap)

  local err, code
  loop, err, code = ski.loop()
  if not loop then
    ngx_log(ERR, "ski: cannot create a loop in this worker: ", code, ": ", err)
    return nil, err
  end
  loop_h = loop.handle
  loop:buffer_console(config.console_lines or 10000)
  -- one watchdog thread per worker: it stops runaway JS (CPU limits); it only signals
  has_limits = pcall(function() return C.ski_watchdog_new end) and type(ski.watchdog) == "function"
  if has_limits then
    local werr
    watchdog, werr = ski.watchdog()
    if not watchdog then ngx_log(ERR, "ski: watchdog did not start: ", werr) end
  else
    ngx_log(WARN, "ski: this libski has no watchdog: CPU and heap limits are not enforced")
  end

  for name, spec in pairs(config.projects or {}) do
    local p = new_project(name, spec)
    projects[name] = p
    start_project(p)
  end
  wake = semaphore.new(0)
  local ok
  ok, err = ngx.timer.at(0, driver)
  if not ok then
    ngx_log(ERR, "ski: cannot start the driver: ", err)
    return nil, err
  end
  return true
end

--------------------------------------------------------------------------------------
-- swap

-- Hot swap in this worker: `what` is a path, or { bundle = path } / { source = js,
-- name = }. Calls in flight finish on the old instance; new requests go to the new
-- one. If the new bundle does not load, the old one keeps serving and nil, err is
-- returned. A project not configured yet is created. (Every worker swaps its own: with
-- several workers use `watch`, which every worker does by itself.)
function _M.swap(name, what)
  if not loop then return nil, "resty.ski.init() has not run in this worker" end
  if type(name) ~= "string" or name == "" then return nil, "swap needs a project name" end
  local spec = type(what) == "table" and what or { bundle = what }
  local source, fname = spec.source, spec.name
  if not source then
    if type(spec.bundle) ~= "string" then return nil, "swap needs a path or { source = }" end
    local err
    source, err = read_file(spec.bundle)
    if not source then return nil, err end
    fname = fname or spec.bundle
  end
  local p = projects[name]
  if not p then
    p = new_project(name, spec)
    projects[name] = p
  end
  local sig = spec.bundle and file_signature(spec.bundle)
  local old_env = p.env
  if spec.env ~= nil then p.env = spec.env end -- the new version's env, if it brings one
  local ok, err = load_project(p, source, fname or (name .. ".js"))
  if not ok then
    p.env = old_env
    return nil, err
  end
  -- from now on the watch follows this file (an inline source: none)
  p.path, p.signature = spec.bundle, sig
  return true
end

-- What this worker carries: loop stats plus each project's version and state.
function _M.status()
  if not loop then return nil, "not initialised" end
  local s = loop:stats()
  s.parked = nwaiting
  s.draining = #draining
  s.projects = {}
  for name, p in pairs(projects) do
    s.projects[name] = { version = p.version, error = p.error, bundle = p.path }
  end
  return s
end

--------------------------------------------------------------------------------------
-- serve

local function fail(p, status, msg)
  if msg then log_err(p, msg) end
  ngx.status = status
  ngx_header["Content-Type"] = "text/plain"
  local body = ERROR_BODY[status] or "Error\n"
  ngx_header["Content-Length"] = #body
  ngx.print(body)
end

-- the class of a worker failure, by its name: the lead's limit codes land here too
local function failure_status(name)
  if name == "SKI_ECANCELED" then return 503, false end
  if name == "SKI_EDEAD" then return 503, true end
  if str_find(name, "WALL", 1, true) or str_find(name, "TIMEOUT", 1, true) then return 504, true end
  if str_find(name, "LIMIT", 1, true) or str_find(name, "TERMINAT", 1, true)
     or str_find(name, "CPU", 1, true) or str_find(name, "HEAP", 1, true)
     or str_find(name, "MEM", 1, true) then
    return 503, true
  end
  return 500, false
end

-- Response headers from ski's block (sorted; only set-cookie repeats, adjacent) to nginx,
-- which copies them; hop-by-hop headers are nginx's own. A response without Content-Type
-- keeps none: nginx would otherwise add its default_type.
local function write_headers(hs, n)
  local r = get_request()
  local prev, prev_len = nil, -1
  local typed = false
  for i = 0, n - 1 do
    local h = hs[i]
    local name, len = h.name, tonumber(h.name_len)
    if not (HOP_LEN[len] and HOP[ffi_string(name, len)]) then
      local again = len == prev_len and C.memcmp(name, prev, len) == 0
      local rc = set_resp_header(r, name, len, 0, h.value, h.value_len, nil, 0, again and 0 or 1, errmsg_ptr)
      if rc ~= 0 and rc ~= -5 then -- NGX_DECLINED: headers already sent
        ngx_log(ERR, "ski: cannot set response header ", ffi_string(name, len), ": ",
          rc == -1 and ffi_string(errmsg_ptr[0]) or rc)
      end
      prev, prev_len = name, len
      if len == 12 and not typed then typed = C.memcmp(name, "content-type", 12) == 0 end
    end
  end
  if not typed then set_resp_header(r, "Content-Type", 12, 1, nil, 0, nil, 0, 1, errmsg_ptr) end
end

local function set_content_length(n)
  local text = tostring(n)
  set_resp_header(get_request(), "Content-Length", 14, 0, text, #text, nil, 0, 1, errmsg_ptr)
end

-- writes the done call's response (or failure) and frees the call
local function respond(p, call, rc, inst_h)
  if rc ~= 0 then
    -- ask again: a console poll since may have replaced this thread's last error
    rc = C.ski_call_response(call, resp_out)
    local msg = ffi_string(C.ski_last_error())
    local name = ffi_string(C.ski_error_name(rc))
    C.ski_call_free(call)
    local status, limit = failure_status(name)
    if limit then replace_instance(p, name, inst_h) end
    return fail(p, status, ngx.var.request_method .. " " .. ngx.var.request_uri .. ": " .. name .. ": " .. msg)
  end
  local res = resp_out
  local status = res.status
  local body_len = tonumber(res.body_len)
  local body = body_len > 0 and ffi_string(res.body, body_len) or ""
  ngx.status = status
  local n = tonumber(res.header_count)
  write_headers(res.headers, n)
  C.ski_call_free(call)
  if status == 204 or status == 304 or status < 200 then return end
  set_content_length(body_len)
  ngx.print(body)
end

local function take_sema()
  if nsema > 0 then
    local s = sema_pool[nsema]
    sema_pool[nsema] = nil
    nsema = nsema - 1
    return s
  end
  return semaphore.new(0)
end

-- The call awaits: park until the driver wakes us, or the wall limit passes.
local function park(p, call, inst_h)
  local sema = take_sema()
  local w = { call = call, sema = sema, done = false, gone = false }
  nwaiting = nwaiting + 1
  waiting[nwaiting] = w
  wake_driver()
  local ok = sema:wait(p.wall)
  if not ok and not w.done then
    -- past the wall limit: 504, and the instance is replaced (its old one drains)
    w.gone = true
    C.ski_call_free(call)
    replace_instance(p, "the wall-time limit", inst_h)
    return fail(p, 504, ngx.var.request_method .. " " .. ngx.var.request_uri ..
      ": SKI_ETIMEOUT: no response within wall_ms=" .. p.wall_ms .. " ms; instance replaced")
  end
  if ok then
    nsema = nsema + 1
    sema_pool[nsema] = sema
  end
  resp_out.size = ffi.sizeof(resp_out)
  return respond(p, call, C.ski_call_response(call, resp_out), inst_h)
end

-- Header pointers from nginx's request memory into header_buf; returns the count and
-- whether the request has a body. Nothing yields between this and ski_call_start.
local function fill_headers_ffi(r)
  local n = ngx_C.ngx_http_lua_ffi_req_get_headers_count(r, 0, truncated_out)
  if n <= 0 then return 0, false end
  if n > elt_cap then
    while elt_cap < n do elt_cap = elt_cap * 2 end
    elt_buf = ffi_new("ngx_http_lua_ffi_table_elt_t[?]", elt_cap)
  end
  if n > header_cap then
    while header_cap < n do header_cap = header_cap * 2 end
    header_buf = ffi_new("ski_header[?]", header_cap)
  end
  if ngx_C.ngx_http_lua_ffi_req_get_headers(r, elt_buf, n, 1) ~= 0 then return 0, false end
  local has_body = false
  for i = 0, n - 1 do
    local e, h = elt_buf[i], header_buf[i]
    local k, v = e.key, e.value
    local klen = k.len
    h.name, h.name_len, h.value, h.value_len = k.data, klen, v.data, v.len
    if klen == 14 or klen == 17 then
      local key = str_lower(ffi_string(k.data, klen))
      if key == "content-length" or key == "transfer-encoding" then has_body = true end
    end
  end
  return n, has_body
end

local function read_body()
  ngx_req.read_body()
  local body = ngx_req.get_body_data()
  if body then return body end
  local file = ngx_req.get_body_file()
  if file then
    -- spooled to a temp file (larger than client_body_buffer_size): a local disk read
    local data, err = read_file(file)
    if not data then return nil, err end
    return data
  end
  return nil
end

-- Appends len bytes at ptr to url_buf at pos (growing it); returns the new end.
local function url_append(pos, ptr, len)
  if pos + len > url_cap then
    local cap = url_cap > 0 and url_cap or 256
    while cap < pos + len do cap = cap * 2 end
    local grown = ffi_new("char[?]", cap)
    if pos > 0 then ffi.copy(grown, url_buf, pos) end
    url_buf, url_cap = grown, cap
  end
  ffi.copy(url_buf + pos, ptr, len)
  return pos + len
end

-- Appends variable `name`; nil if it is unset or empty.
local function url_append_var(r, pos, name)
  if var_get(r, name, #name, lowcase_buf, 0, var_value, var_len, errmsg_ptr) ~= 0 then return nil end
  local len = tonumber(var_len[0])
  if len == 0 then return nil end
  return url_append(pos, var_value[0], len)
end

-- The current URI, escaped as nginx escapes a changed one for proxy_pass, and its args.
local function current_target()
  local args = ngx_var.args
  return escape_uri(ngx_var.uri, 0) .. (args and args ~= "" and "?" .. args or "")
end

-- Whether nginx's current URI ($uri, $args) is still the one the client sent, whose form
-- $request_uri keeps at url_buf[start, stop): nginx changes it in rewrites, internal
-- redirects and ngx.req.set_uri*, and a subrequest has its own. Byte equality is the
-- common case; otherwise an original that only percent-encodes $uri still counts.
local function uri_unchanged(r, start, stop)
  if var_get(r, "uri", 3, lowcase_buf, 0, var_value, var_len, errmsg_ptr) ~= 0 then return true end
  local uri, uri_len = var_value[0], tonumber(var_len[0])
  local mark = C.memchr(url_buf + start, 63, stop - start) -- '?'
  local q = mark ~= nil and tonumber(ffi_cast("char *", mark) - url_buf) or stop
  local path_same = q - start == uri_len and C.memcmp(url_buf + start, uri, uri_len) == 0
  if not path_same then
    local sent = ffi_string(url_buf + start, q - start)
    if not str_find(sent, "%", 1, true) or unescape_uri(sent) ~= ffi_string(uri, uri_len) then return false end
  end
  local args_len = 0
  if var_get(r, "args", 4, lowcase_buf, 0, var_value, var_len, errmsg_ptr) == 0 then args_len = tonumber(var_len[0]) end
  local sent_args = q < stop and stop - q - 1 or 0
  return sent_args == args_len and (args_len == 0 or C.memcmp(url_buf + q + 1, var_value[0], args_len) == 0)
end

-- $scheme://$http_host$request_uri in url_buf: its length, or nil without a Host header
-- (request_url() then uses the server's name and port). When nginx changed the URI (see
-- uri_unchanged), the path and query are the current ones instead, as proxy_pass sends.
local function request_url_buffer(r)
  local n = url_append_var(r, 0, "scheme")
  n = n and url_append(n, "://", 3)
  n = n and url_append_var(r, n, "http_host")
  local start = n
  n = n and url_append_var(r, n, "request_uri")
  if not n or uri_unchanged(r, start, n) then return n end
  local target = current_target()
  return url_append(start, target, #target)
end

local function request_url()
  local host = ngx_var.http_host
  if not host or host == "" then
    -- no Host header (HTTP/1.0): the server's name, else the address it was reached at
    host = ngx_var.host
    if not host or host == "" then
      host = ngx_var.server_addr or "localhost"
      if str_find(host, ":", 1, true) then host = "[" .. host .. "]" end
    end
    local port = ngx_var.server_port
    local scheme = ngx_var.scheme
    if (scheme == "http" and port ~= "80") or (scheme == "https" and port ~= "443") then
      host = host .. ":" .. port
    end
    return scheme .. "://" .. host .. current_target()
  end
  return ngx_var.scheme .. "://" .. host .. current_target()
end

-- content_by_lua*: answers the request with project `name` (default: the project named
-- after the Host, else "default").
function _M.serve(name)
  if not loop then
    -- (with lua_code_cache off every request has a Lua VM of its own, so the one that
    -- ran init is never the one serving)
    return fail(nil, 503, "resty.ski.init() has not run in this Lua VM: call it from init_worker_by_lua*, " ..
      "and keep lua_code_cache on (off, each request gets a fresh Lua VM without ski's state)")
  end
  local p = projects[name or ngx_var.host] or (not name and projects.default)
  if not p then
    return fail(nil, 503, "no project named '" .. tostring(name or ngx_var.host) .. "'")
  end
  if not p.h then
    return fail(p, 503, "not serving: " .. tostring(p.error))
  end

  local method = ngx_req.get_method()
  local r = get_request()
  local body
  local n, has_body = fill_headers_ffi(r)
  if has_body then
    local err
    body, err = read_body() -- may yield: the header buffer is refilled after it
    if err then return fail(p, 500, "cannot read the request body: " .. tostring(err)) end
    n = fill_headers_ffi(r)
  end
  -- shared like the header buffer: filled after the last yield, read by ski_call_start
  local url_len = request_url_buffer(r) -- may grow url_buf: read it after
  local url = url_len and url_buf or request_url()

  local req = request
  set_request(req, method, url, header_buf, n, body, nil, nil, url_len)
  local inst_h = p.h
  local rc = C.ski_call_start(inst_h, req, handle_out)
  if rc ~= 0 and ffi_string(C.ski_error_name(rc)) == "SKI_EDEAD" then
    -- a limit killed the instance: a fresh one takes over, and gets this request
    replace_instance(p, "SKI_EDEAD", inst_h)
    if p.h ~= inst_h then
      inst_h = p.h
      rc = C.ski_call_start(inst_h, req, handle_out)
    end
  end
  if rc ~= 0 then
    return fail(p, 503, "call not started: " .. ffi_string(C.ski_error_name(rc)) .. ": " ..
      ffi_string(C.ski_last_error()))
  end
  local call = tonumber(handle_out[0])
  if C.ski_loop_next_console(loop_h, console_out) == 0 then
    -- the handler logged: this line is in console_out already; then the rest
    log_console_line()
    drain_console()
  end
  resp_out.size = ffi.sizeof(resp_out)
  rc = C.ski_call_response(call, resp_out)
  if rc == SKI_EAGAIN then return park(p, call, inst_h) end

  -- fast path: done inside ski_call_start
  if driver_sleeping then
    -- the handler may have left timers (waitUntil work): wake the driver if they are due
    -- before it would wake anyway
    C.ski_loop_next_deadline(loop_h, int_out)
    local d = int_out[0]
    if d >= 0 and ngx_now() + d / 1000 < driver_until then wake_driver() end
  end
  return respond(p, call, rc, inst_h)
end

return _M
