-- Stateless tools/call requests, each with the next of many callers' tokens (SOAK_TOKENS: one token per line).
local tokens = {}
for line in io.lines(os.getenv("SOAK_TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"sku":"HAM-0001","quantity":3}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"

function setup(thread)
  thread:set("offset", math.random(#tokens))
end

function request()
  i = i + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[(offset + i) % #tokens + 1]
  return wrk.format()
end
