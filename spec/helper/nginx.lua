-- A private nginx (Debian's nginx + lua module) on 127.0.0.1 for the nginx specs: a
-- generated config in a temp prefix, started, checked, and always stopped by its PID.
--
--   local nginx = require "helper.nginx"
--   local srv = nginx.start { init = [[ require("resty.ski").init { ... } ]],
--                             server = [[ location / { content_by_lua_block { ... } } ]] }
--   local res = srv:request("/path")        -- { status =, headers =, body = }
--   srv:stop()                              -- also in a finally/teardown
local t = require "helper.support"

local M = {}

M.NGINX = os.getenv("SKI_NGINX") or "/usr/sbin/nginx"
M.MODULES = "/usr/lib/nginx/modules"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = q

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end
M.write = write

local function sh(cmd) return t.sh(cmd) end

local ffi = require "ffi"
pcall(ffi.cdef, "int clock_gettime(int clk, void *ts);")
local timespec = ffi.new("struct { long s; long ns; }")
local function now()
  ffi.C.clock_gettime(1, timespec)
  return tonumber(timespec.s) + tonumber(timespec.ns) / 1e9
end
M.now = now

local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if not f then return false end
  local stat = f:read("*l") or ""
  f:close()
  local state = stat:match("^%d+ %b() (%a)")
  return state ~= nil and state ~= "Z" and state ~= "X"
end
M.alive = alive

-- PIDs of the master's children (its workers)
function M.children(pid)
  local _, out = sh("cat /proc/" .. pid .. "/task/*/children 2>/dev/null")
  local list = {}
  for p in out:gmatch("%d+") do list[#list + 1] = tonumber(p) end
  return list
end

local function config(o)
  local user = (os.getenv("USER") == "root" or select(2, sh("id -u")):match("^0")) and "user root;" or ""
  return ([[
%s
worker_processes %d;
daemon on;
master_process on;
pid %s/nginx.pid;
error_log %s/error.log %s;
load_module %s/ndk_http_module.so;
load_module %s/ngx_http_lua_module.so;
%s
env SKI_LIBRARY;
env ASAN_OPTIONS;
env LSAN_OPTIONS;
env UBSAN_OPTIONS;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %s/tmp/body;
  proxy_temp_path %s/tmp/proxy;
  fastcgi_temp_path %s/tmp/fastcgi;
  uwsgi_temp_path %s/tmp/uwsgi;
  scgi_temp_path %s/tmp/scgi;
  lua_package_path "%s/lua/?.lua;%s/lua/?/init.lua;;";
  %s
  init_worker_by_lua_block {
%s
  }
  server {
    listen 127.0.0.1:%d;
%s
  }
%s
}
]]):format(user, o.workers or 1, o.prefix, o.prefix, o.log_level or "info", M.MODULES, M.MODULES,
    o.main or "", o.prefix, o.prefix, o.prefix, o.prefix, o.prefix, t.root, t.root,
    o.http or "", o.init or "", o.port, o.server or "", o.servers or "")
end

local Server = {}
Server.__index = Server

-- Starts nginx; raises (after cleaning up) if it does not answer within 10 s.
--   o.init    Lua code for init_worker_by_lua_block
--   o.server  directives inside the default server { } (listen is added)
--   o.http    extra http-level directives; o.servers extra server blocks (use %PORT%)
--   o.files   name -> content, written into the prefix first (reference as %PREFIX%/name)
function M.start(o)
  o = o or {}
  local _, dir = sh("mktemp -d /tmp/ski-nginx.XXXXXX")
  local prefix = dir:match("^%s*(.-)%s*$")
  sh("mkdir -p " .. q(prefix .. "/tmp"))
  for name, content in pairs(o.files or {}) do write(prefix .. "/" .. name, content) end
  local srv = setmetatable({ prefix = prefix }, Server)
  local last
  for _ = 1, 8 do
    local port = math.random(20000, 59999)
    local opts = {}
    for k, v in pairs(o) do opts[k] = v end
    opts.prefix, opts.port = prefix, port
    local function subst(s)
      return s and (s:gsub("%%PREFIX%%", prefix):gsub("%%PORT%%", tostring(port)):gsub("%%ROOT%%", t.root))
    end
    opts.init, opts.server, opts.http, opts.servers, opts.main =
      subst(o.init), subst(o.server), subst(o.http), subst(o.servers), subst(o.main)
    write(prefix .. "/nginx.conf", config(opts))
    os.remove(prefix .. "/error.log")
    local preload = os.getenv("SKI_PRELOAD") or ""
    -- an uninstrumented nginx leaks by design at exit: no leak check in its processes
    local rc, out = t.sh("ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" LD_PRELOAD=" .. q(preload) ..
      " " .. M.NGINX .. " -p " .. q(prefix) .. " -c " .. q(prefix .. "/nginx.conf") ..
      " -e " .. q(prefix .. "/error.log") .. " 2>&1")
    if rc == 0 then
      srv.port = port
      srv.base = "http://127.0.0.1:" .. port
      break
    end
    last = out .. "\n" .. srv:log()
    if not last:find("Address already in use", 1, true) then break end
  end
  if not srv.port then
    sh("rm -rf " .. q(prefix))
    error("nginx did not start:\n" .. tostring(last), 2)
  end
  -- wait (bounded) for the pid file and an answer
  local deadline = now() + 10
  while now() < deadline do
    local f = io.open(prefix .. "/nginx.pid")
    if f then
      srv.pid = tonumber(f:read("*l"))
      f:close()
      if srv.pid then
        local rc = sh("curl -s -o /dev/null --max-time 1 " .. q(srv.base .. "/__ski_probe"))
        if rc == 0 then return srv end
      end
    end
    sh("sleep 0.05")
  end
  local log = srv:log()
  srv:stop()
  error("nginx did not answer within 10 s:\n" .. log, 2)
end

function Server:url(path) return self.base .. (path or "/") end

function Server:log()
  local f = io.open(self.prefix .. "/error.log", "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

-- Graceful stop (QUIT), then KILL after `grace` seconds (default 5); removes the prefix.
function Server:stop(grace)
  if self.stopped then return end
  self.stopped = true
  local pid = self.pid
  if pid and alive(pid) then
    local workers = M.children(pid)
    sh("kill -QUIT " .. pid .. " 2>/dev/null")
    local deadline = now() + (grace or 5)
    while alive(pid) and now() < deadline do sh("sleep 0.05") end
    if alive(pid) then
      sh("kill -KILL " .. pid .. " 2>/dev/null")
    end
    for _, w in ipairs(workers) do
      if alive(w) then sh("kill -KILL " .. w .. " 2>/dev/null") end
    end
  end
  if not os.getenv("SKI_KEEP_NGINX") then sh("rm -rf " .. q(self.prefix)) end
end

-- Sends HUP (reload) to the master.
function Server:reload()
  return sh("kill -HUP " .. self.pid)
end

-- One request with curl. o: method, body (string), headers ({ "Name: value", ... }),
-- host, curl (more arguments for curl). Returns { status =, headers = { {name, value}, ... }, body = }.
function Server:request(path, o)
  o = o or {}
  local args = { "curl -s -S --max-time " .. (o.timeout or 10), "-D", "-", "-o", "%BODY%" }
  if o.method then args[#args + 1] = "-X " .. q(o.method) end
  for _, h in ipairs(o.headers or {}) do args[#args + 1] = "-H " .. q(h) end
  if o.host then args[#args + 1] = "-H " .. q("Host: " .. o.host) end
  for _, a in ipairs(o.curl or {}) do args[#args + 1] = q(a) end
  local bodyfile
  if o.body then
    bodyfile = os.tmpname()
    write(bodyfile, o.body)
    args[#args + 1] = "--data-binary @" .. q(bodyfile)
  end
  local out_body = os.tmpname()
  args[#args + 1] = q(self:url(path))
  local cmd = table.concat(args, " "):gsub("%%BODY%%", q(out_body))
  local rc, out = sh(cmd .. " 2>&1")
  if bodyfile then os.remove(bodyfile) end
  local f = io.open(out_body, "rb")
  local body = f and f:read("*a") or ""
  if f then f:close() end
  os.remove(out_body)
  if rc ~= 0 then return nil, "curl failed (" .. rc .. "): " .. out end
  -- the last header block (after any 100 Continue)
  local blocks = {}
  for block in (out .. "\r\n"):gmatch("(HTTP/.-\r\n)\r\n") do blocks[#blocks + 1] = block end
  local head = blocks[#blocks] or ""
  local res = { status = tonumber(head:match("^HTTP/%S+ (%d+)")), headers = {}, body = body }
  for name, value in head:gmatch("\r\n([^:\r\n]+):%s*([^\r\n]*)") do
    res.headers[#res.headers + 1] = { name:lower(), value }
  end
  return res
end

-- All values of a response header (lower-case name).
function M.header_values(res, name)
  local list = {}
  for _, h in ipairs(res.headers) do
    if h[1] == name then list[#list + 1] = h[2] end
  end
  return list
end

-- `n` requests to `path` at once (curl --parallel); returns a list of
-- { status =, time = seconds, version = x-version header } and the wall time taken.
function Server:parallel(path, n, o)
  o = o or {}
  local out_fmt = "%{http_code} %{time_total} %header{x-version}\\n"
  local urls = {}
  for i = 1, n do urls[i] = "-o /dev/null " .. q(self:url(path) .. (path:find("?", 1, true) and "&" or "?") .. "i=" .. i) end
  local t0 = now()
  local rc, out = sh("curl -s --max-time " .. (o.timeout or 20) .. " -Z --parallel-immediate --parallel-max " ..
    (o.max or n) .. " -w " .. q(out_fmt) .. " " .. table.concat(urls, " ") .. " 2>&1")
  local took = now() - t0
  local list = {}
  for code, time, version in out:gmatch("(%d+) ([%d%.]+) ?([^\n]*)\n") do
    list[#list + 1] = { status = tonumber(code), time = tonumber(time), version = version }
  end
  return list, took, rc, out
end

return M
