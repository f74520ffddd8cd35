#!/usr/bin/env bash
# Runs the Inventory sample on http://localhost:5080/mcp in Development with its embedded defaults (no external server),
# after minting a development token with `dotnet user-jwts` (it keeps the signing key in this user's secrets).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/samples/Inventory"

token="$(dotnet user-jwts create --project "$project" --audience http://localhost:5080/mcp \
  --scope inventory:read --scope inventory:write --claim warehouse=ams-1 --output token)"

cat <<MSG

Inventory MCP service: http://localhost:5080/mcp
Development token (scopes inventory:read inventory:write, warehouse ams-1):

$token

Call a tool:
  curl -s http://localhost:5080/mcp -H "Authorization: Bearer $token" \\
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_stock","arguments":{"sku":"HAM-0001"}}}'

MSG
export ASPNETCORE_ENVIRONMENT=Development
exec dotnet run --project "$project" "$@"
