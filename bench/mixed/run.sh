#!/usr/bin/env bash
# Bad input at full load: the governed benchmark server (JWT, per-tool scope, a per-caller rate limit, validation, audit to a
# rotating file) under wrk, every request a tools/call that ends a different way in turn — succeeded, rate-limited, invalid
# arguments, an undeclared argument, an unknown tool, a body that breaks off, a notification, no scope, no token, a malformed
# token, a foreign Origin. After a SIGTERM the audit trail must hold one record per answered call (plus at most one per
# connection for calls in flight when wrk stopped) and verify. Prints the HTTP statuses and the records by outcome.
#   ./bench/mixed/run.sh [seconds=30] [stop-after]
#   with stop-after: SIGTERM the server that many seconds into the load — calls then meet the shutdown drain (503, audited as
#   unavailable) and a closed port; wrk's socket errors after that are expected, a missing record is not.
# Not part of the test run. Installs wrk and python3-cryptography (Debian) when missing. Exits 1 when a record is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
stop_after=${2:-}
connections=32

source bench/common.sh
bench_start_governed McpService__RateLimits__Tools__get_quote__PermitsPerPeriod=300 McpService__RateLimits__Tools__get_quote__Period=00:00:01
python3 bench/soak/mint_tokens.py "$work/issuer.key" "$url" 1 "$work/good.txt"
python3 bench/soak/mint_tokens.py "$work/issuer.key" "$url" 1 "$work/noscope.txt" "other:scope"

MIXED_GOOD=$(cat "$work/good.txt") MIXED_NOSCOPE=$(cat "$work/noscope.txt") \
  wrk -t2 -c$connections -d"${seconds}s" -s bench/mixed/mixed.lua "$url" >"$work/wrk.out" 2>&1 &
load=$!
if [[ -n "$stop_after" ]]; then
  sleep "$stop_after"
  echo "SIGTERM to the server after ${stop_after} s of load"
  kill -TERM "$pid"
fi
wait "$load"
sed -n '/Latency/,$p' "$work/wrk.out"
answered=$(awk '/requests in/ {print $1}' "$work/wrk.out")

bench_stop_and_verify
echo "Records by outcome and error code:"
cat "$work"/audit.jsonl* | python3 -c '
import collections, json, sys
counts = collections.Counter()
for line in sys.stdin:
    record = json.loads(line)
    counts[(record["outcome"], (record.get("error") or {}).get("code") or "")] += 1
for (outcome, code), n in sorted(counts.items(), key=lambda item: -item[1]):
    print(f"  {n:>9,}  {outcome} {code}")'
if (( records < answered || records > answered + connections )); then
  echo "FAILED: $answered calls answered, $records records (expected $answered to $((answered + connections)))"
  exit 1
fi
echo "OK: $answered calls answered, $records records (the $((records - answered)) more: calls in flight when wrk stopped)"
rm -rf "$work"
