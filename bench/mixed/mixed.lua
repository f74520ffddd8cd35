-- Every request is a tools/call, and they take turns at every way a call can end: each must leave exactly one audit record.
-- MIXED_GOOD: a token with the tool's scope; MIXED_NOSCOPE: a valid token without it.
local good, noscope = os.getenv("MIXED_GOOD"), os.getenv("MIXED_NOSCOPE")
local function call(id, arguments, name)
  return string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":%s}}', id, name or "get_quote", arguments)
end
local ok = '{"sku":"HAM-0001","quantity":3}'
local kinds = {
  { "succeeded or rate_limited", call(1, ok), good },
  { "invalid: out of range", call(2, '{"sku":"HAM-0001","quantity":-5}'), good },
  { "invalid: undeclared argument", call(3, '{"sku":"HAM-0001","quantity":3,"quantiy":4}'), good },
  { "invalid: unknown tool", call(4, ok, "get_quotes"), good },
  { "invalid: body breaks off", call(5, ok):sub(1, 90), good },
  { "invalid: sent as a notification", (call(6, ok):gsub('"id":6,', '')), good },
  { "denied: no scope (403)", call(7, ok), noscope },
  { "denied: no token (401)", call(8, ok), nil },
  { "denied: malformed token (401)", call(9, ok), "not.a.token" },
  { "denied: foreign Origin (403)", call(10, ok), good, { Origin = "https://evil.example" } },
}
local threads = {}
function setup(thread) table.insert(threads, thread) end
local i = 0
statuses = {}
function request()
  i = i + 1
  local kind = kinds[i % #kinds + 1]
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream", ["MCP-Protocol-Version"] = "2025-11-25" }
  if kind[3] ~= nil then headers["Authorization"] = "Bearer " .. kind[3] end
  for k, v in pairs(kind[4] or {}) do headers[k] = v end
  return wrk.format("POST", nil, headers, kind[2])
end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done()
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local line = "HTTP statuses:"
  for status, n in pairs(total) do line = line .. string.format(" %d×%d", n, status) end
  print(line)
end
