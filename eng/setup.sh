#!/usr/bin/env bash
# Installs everything the build, the sample and the tests need on a fresh Debian 12 machine with the .NET 10 SDK,
# Node.js and npm. Safe to run again: each step is skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '\n== %s\n' "$*"; }

# Debian packages used by the tests (only installed when missing).
apt_packages=()
need_apt() { dpkg -s "$1" >/dev/null 2>&1 || apt_packages+=("$1"); }
need_apt prometheus
if [ "${#apt_packages[@]}" -gt 0 ]; then
  log "apt: installing ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

# Independent MCP clients (TypeScript SDK, Inspector CLI, conformance suite) and the Node 22 they run on, pinned by package-lock.json.
interop="$root/tests/interop"
stamp="$interop/node_modules/.mcpservices-lock.sha256"
want="$(sha256sum "$interop/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci (tests/interop)"
  (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi

log "dotnet restore"
dotnet restore "$root/McpServices.sln" --verbosity quiet
