-- Shared by the spec/webapi_*_spec.lua files: run JS inside a worker's fetch handler.
local t = require "helper.support"

local M = {}

-- Runs `code` (the body of an async function) in a fetch handler; returns what it
-- returns, JSON-encoded, or raises with the worker's error.
function M.js(code, req)
  local source = "export default { async fetch(request) {\n" ..
    "  const result = await (async () => {\n" .. code .. "\n  })();\n" ..
    "  return new Response(JSON.stringify(result === undefined ? null : result));\n} }"
  local worker = t.worker(source)
  local res, err, code_name = worker:fetch(req or "http://localhost/", 10000)
  worker:close()
  if not res then error(tostring(code_name) .. ": " .. tostring(err), 2) end
  return res.body
end

-- "Name: message" of what `code` throws (or "no error"), JSON-encoded.
function M.throws(code)
  return M.js("try { " .. code .. "; return 'no error' } catch (e) { return e.name + ': ' + e.message }")
end

-- Same for a promise that rejects.
function M.rejects(code)
  return M.js("try { await (" .. code .. "); return 'no error' } catch (e) { return e.name + ': ' + e.message }")
end

return M
