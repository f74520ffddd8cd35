# Shared by bench/soak/run.sh and bench/mixed/run.sh: build and start the governed benchmark server (JWT with a local RS256
# issuer, per-tool scope, validation, audit to a rotating file in $work) on a free loopback port, and after the load stop it
# with SIGTERM and count and verify its audit trail. Source it from the repository root.
#   bench_start_governed [NAME=VALUE…]   sets work, url, server, pid (extra settings as environment variables)
#   bench_stop_and_verify                sets records; prints the count and the verifier's verdict, returns 1 when it fails
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >/dev/null
python3 -c 'import cryptography' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-cryptography >/dev/null

bench_start_governed() {
  dotnet build bench/Governed/Governed.csproj -c Release -v q -nologo >/dev/null
  work=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  url="http://127.0.0.1:$port/mcp"
  openssl genrsa -out "$work/issuer.key" 2048 2>/dev/null
  openssl rsa -in "$work/issuer.key" -pubout -out "$work/issuer.pub" 2>/dev/null
  server=$(pwd)/artifacts/bin/Governed/release/Governed.dll
  # From the server's folder: its appsettings.json (content root) sends the audit trail to a file.
  (cd "$(dirname "$server")" && exec env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production \
    Logging__LogLevel__Default=Warning Bench__IssuerKeyFile="$work/issuer.pub" Bench__Issuer=https://issuer.bench.local \
    McpService__Authentication__Resource="$url" McpService__Audit__FilePath="$work/audit.jsonl" McpService__Audit__FileMaxFiles=1000 \
    "$@" dotnet "$server" >"$work/server.log" 2>&1) &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$port/readyz" && return 0; sleep 1; done
  echo "the governed server did not start; see $work/server.log" >&2
  return 1
}

bench_stop_and_verify() {
  kill -TERM "$pid" 2>/dev/null || true  # it may have been stopped already (bench/mixed: stop-after)
  wait "$pid" || true
  trap - EXIT
  records=$(cat "$work"/audit.jsonl* | wc -l)
  echo "Audit: $records records in $(ls "$work"/audit.jsonl* | wc -l) file(s); server log lines: $(grep -c . "$work/server.log" || true)"
  # Oldest first: audit.jsonl.N … audit.jsonl.1, then audit.jsonl.
  local files
  mapfile -t files < <({ ls "$work"/audit.jsonl.* 2>/dev/null || true; } | sort -t. -k3 -nr; echo "$work/audit.jsonl")
  dotnet "$server" --verify-audit "${files[@]}" | tail -1
}
