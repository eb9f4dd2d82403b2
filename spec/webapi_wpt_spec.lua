-- Runs tools/wpt/run over the WPT files in ../shared/wpt-data (a checkout's
-- resources/ plus the areas below), when that directory exists; pending otherwise. The
-- counts are printed; the spec fails only if the runner cannot run at all.
local t = require "helper.support"

local data = t.root .. "/../shared/wpt-data"
local AREAS = { "url", "encoding", "dom/events", "dom/abort", "xhr/formdata", "FileAPI/blob",
  "html/webappapis/atob", "html/webappapis/structured-clone", "hr-time" }

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

describe("WPT conformance", function()
  if not exists(data .. "/resources/testharness.js") then
    pending("no WPT data in ../shared/wpt-data (see tools/wpt/run)")
    return
  end
  it("runs the areas that are present", function()
    local present = {}
    for _, area in ipairs(AREAS) do
      if t.sh("test -d '" .. data .. "/" .. area .. "'") == 0 then present[#present + 1] = area end
    end
    local rc, out = t.sh("luajit tools/wpt/run --timeout 20000 '" .. data .. "' " .. table.concat(present, " ") .. " 2>&1", { ski = true })
    print(out)
    assert.equal(0, rc)
    assert.matches("wpt: %d+ passed, %d+ failed", out)
  end)
end)
