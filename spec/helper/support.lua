-- Shared by the specs: the binding, the raw C namespace, the thread helper, and small
-- builders for workers.
local ffi = require "ffi"
local ski = require "ski"

local M = { ski = ski, C = ski.C }

M.root = os.getenv("PWD")
M.build_dir = os.getenv("SKI_BUILD_DIR") or (M.root .. "/build/release")

ffi.cdef [[ int skitest_call_on_thread(void *fn, int nargs, const uint64_t *args); ]]
local helper = ffi.load(M.build_dir .. "/lib/libskitest.so")

-- Runs C function `fn` (a cdata function from M.C) on a new OS thread with integer
-- arguments; returns its status.
function M.on_thread(fn, ...)
  local n = select("#", ...)
  local args = ffi.new("uint64_t[4]")
  for i = 1, n do
    local v = select(i, ...)
    args[i - 1] = type(v) == "cdata" and ffi.cast("uint64_t", v) or v
  end
  return helper.skitest_call_on_thread(ffi.cast("void *", fn), n, args)
end

-- A loaded instance of `source` on a fresh loop (or the given one).
function M.worker(source, loop, name)
  loop = loop or assert(ski.loop())
  local inst = assert(loop:instance())
  assert(inst:load(source, name or "worker.js"))
  return inst, loop
end

-- The response of `source`'s handler for one request (a URL string or request table).
function M.fetch(source, req)
  local inst = M.worker(source)
  local res, err, code = inst:fetch(req or "http://localhost/")
  inst:close()
  return res, err, code
end

-- A header's value from a response's list of {name, value} pairs.
function M.header(res, name)
  for _, h in ipairs(res.headers) do
    if h[1] == name then return h[2] end
  end
end

-- Writes `data` to a new temporary file (named with `suffix`) and returns its path.
function M.tmpfile(data, suffix)
  local path = os.tmpname() .. (suffix or "")
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  return path
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

-- Runs a shell command; returns its exit status and its stdout. Under the sanitizer
-- build (scripts/test --asan) the runtime is preloaded only into commands that load
-- libski (`ski = true`), not into cc, nm or sed.
function M.sh(cmd, opts)
  local preload = opts and opts.ski and os.getenv("SKI_PRELOAD") or ""
  local p = io.popen("export LD_PRELOAD='" .. preload .. "'; " .. cmd .. "; echo \"::rc=$?\"")
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("::rc=(%d+)%s*$"))
  return rc, (out:gsub("::rc=%d+%s*$", ""))
end

-- Runs Lua `code` in a fresh LuaJIT process (V8 starts once per process), with lua/ on
-- its path; `stderr` is where that process's stderr goes ("&1": into the output).
-- Returns its exit status and output.
function M.luajit(code, stderr)
  local script = M.tmpfile('package.path = "lua/?.lua;" .. package.path\n' .. code, ".lua")
  local rc, out = M.sh("luajit " .. script .. " 2>" .. stderr, { ski = true })
  os.remove(script)
  return rc, out
end

return M
