-- One stateless Streamable HTTP tools/call per request (protocol 2025-11-25: no session, no initialize needed).
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"sku":"HAM-0001","quantity":3}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"

local token = os.getenv("BENCH_TOKEN")
if token ~= nil and #token > 0 then
  wrk.headers["Authorization"] = "Bearer " .. token
end
