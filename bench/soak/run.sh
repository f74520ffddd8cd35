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

source bench/common.sh
bench_start_governed ${SOAK_RATE_LIMIT:+McpService__RateLimits__Default__PermitsPerPeriod=$SOAK_RATE_LIMIT McpService__RateLimits__Default__Period=00:00:01}
echo "Minting $callers tokens, one per caller…"
python3 bench/soak/mint_tokens.py "$work/issuer.key" "$url" "$callers" "$work/tokens.txt"

SOAK_TOKENS="$work/tokens.txt" wrk -t2 -c32 -d"${seconds}s" -s bench/soak/soak.lua "$url" >"$work/wrk.out" 2>&1 &
load=$!
for t in $(seq 10 10 "$seconds"); do
  sleep 10
  echo "${t}s: RSS $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$pid/status"), $(ls "/proc/$pid/task" | wc -l) threads"
done
wait "$load"
sed -n '/Latency/,$p' "$work/wrk.out"

bench_stop_and_verify
rm -rf "$work"
