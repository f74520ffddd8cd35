#!/usr/bin/env bash
# Benchmarks, one command: ./bench/run.sh [--micro] [run.py options, e.g. --duration 30 --rounds 5 --breakdown --pairs
#                                          --only off,auth-only --profile bare,off,governed]
#
# 1. Load test (always): the SDK's bare template server vs. the same tool as an McpServices service with governance on and off,
#    side by side in one run with wrk on loopback. Results: bench/results/results.{md,json}.
#    --profile NAMES also samples those servers with perf under load and splits their CPU per call by part of the stack.
# 2. Micro-benchmarks (--micro): BenchmarkDotNet, one benchmark per pipeline stage. Results: bench/results/micro/.
#
# Not part of the test run (./eng/test.sh). Installs wrk and nginx (Debian) when missing; nginx stands in for an OpenTelemetry
# collector (it accepts OTLP/HTTP exports and discards them), so exporting traces and metrics is part of the governed cost.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

micro=0
profile=0
args=()
for a in "$@"; do
  if [[ "$a" == "--micro" ]]; then micro=1; else args+=("$a"); fi
  [[ "$a" == --profile* ]] && profile=1
done

missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3)
(( profile )) && ! command -v perf >/dev/null && missing+=(linux-perf)
if (( ${#missing[@]} )); then
  echo "Installing ${missing[*]} (apt)…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "Building the benchmark servers (Release)…"
dotnet build bench/BareSdk/BareSdk.csproj -c Release -v q -nologo
dotnet build bench/Governed/Governed.csproj -c Release -v q -nologo

# nginx as a black-hole OTLP/HTTP collector on a free loopback port.
otlp_dir=$(mktemp -d)
otlp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$otlp_dir/nginx.conf" <<CONF
worker_processes 1;
pid $otlp_dir/nginx.pid;
error_log $otlp_dir/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $otlp_dir;
  proxy_temp_path $otlp_dir; fastcgi_temp_path $otlp_dir; uwsgi_temp_path $otlp_dir; scgi_temp_path $otlp_dir;
  server {
    listen 127.0.0.1:$otlp_port;
    client_max_body_size 16m;
    location / { client_body_in_single_buffer on; return 200; }
  }
}
CONF
/usr/sbin/nginx -c "$otlp_dir/nginx.conf"
stop_nginx() { [[ -f "$otlp_dir/nginx.pid" ]] && kill "$(cat "$otlp_dir/nginx.pid")" 2>/dev/null || true; rm -rf "$otlp_dir"; }
trap stop_nginx EXIT

status=0
python3 bench/loadtest/run.py --otlp "http://127.0.0.1:$otlp_port" --output "$repo/bench/results" "${args[@]}" || status=$?

if (( micro )); then
  echo "Micro-benchmarks (BenchmarkDotNet)…"
  dotnet run -c Release --project bench/Micro/McpServices.Benchmarks.csproj -- --filter '*' --artifacts "$repo/bench/results/micro"
fi
exit $status
