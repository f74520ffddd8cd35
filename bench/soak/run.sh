#!/usr/bin/env bash
# Soak test: the governed benchmark server (JWT, per-tool scope, validation, audit to a rotating file) under load from many
# distinct callers, each with its own token — more than the validated-token cache holds — for a few minutes. Prints resident
# memory and thread count every 10 s (they must level off), the load, and counts and verifies the audit trail after a SIGTERM.
#   ./bench/soak/run.sh [callers=30000] [seconds=150]
#   SOAK_RATE_LIMIT=N ./bench/soak/run.sh   also limits every tool to N calls per second per caller (a token bucket per caller)
# Not part of the test run. Installs wrk and python3-cryptography (Debian) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
callers=${1:-30000}
seconds=${2:-150}

command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >/dev/null
python3 -c 'import cryptography' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-cryptography >/dev/null
dotnet build bench/Governed/Governed.csproj -c Release -v q -nologo >/dev/null

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/mcp"
openssl genrsa -out "$work/issuer.key" 2048 2>/dev/null
openssl rsa -in "$work/issuer.key" -pubout -out "$work/issuer.pub" 2>/dev/null
echo "Minting $callers tokens, one per caller…"
python3 bench/soak/mint_tokens.py "$work/issuer.key" "$url" "$callers" "$work/tokens.txt"

server=$(pwd)/artifacts/bin/Governed/release/Governed.dll
# From the server's folder: its appsettings.json (content root) sends the audit trail to a file.
cd "$(dirname "$server")"
env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  Bench__IssuerKeyFile="$work/issuer.pub" Bench__Issuer=https://issuer.bench.local McpService__Authentication__Resource="$url" \
  McpService__Audit__FilePath="$work/audit.jsonl" McpService__Audit__FileMaxFiles=1000 ${SOAK_RATE_LIMIT:+McpService__RateLimits__Default__PermitsPerPeriod=$SOAK_RATE_LIMIT McpService__RateLimits__Default__Period=00:00:01} \
  dotnet "$server" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 1; done

SOAK_TOKENS="$work/tokens.txt" wrk -t2 -c32 -d"${seconds}s" -s "$OLDPWD/bench/soak/soak.lua" "$url" >"$work/wrk.out" 2>&1 &
load=$!
for t in $(seq 10 10 "$seconds"); do
  sleep 10
  echo "${t}s: RSS $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$pid/status"), $(ls "/proc/$pid/task" | wc -l) threads"
done
wait "$load"
sed -n '/Latency/,$p' "$work/wrk.out"

kill -TERM "$pid"; wait "$pid" || true
trap - EXIT
records=$(cat "$work"/audit.jsonl* | wc -l)
echo "Audit: $records records in $(ls "$work"/audit.jsonl* | wc -l) file(s); server log lines: $(grep -c . "$work/server.log" || true)"
# Oldest first: audit.jsonl.N … audit.jsonl.1, then audit.jsonl.
mapfile -t files < <(ls "$work"/audit.jsonl.* 2>/dev/null | sort -t. -k3 -nr; echo "$work/audit.jsonl")
dotnet "$server" --verify-audit "${files[@]}" | tail -1
rm -rf "$work"
