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
# Containers without a Docker daemon: a loopback OCI registry, podman (with runc and catatonit for pods), jq for the base image.
for package in docker-registry podman runc catatonit jq curl; do need_apt "$package"; done
# The generated template README's commands (API key creation) use openssl.
need_apt openssl
# A test gives the sample a non-blocking standard output pipe (python3's fcntl); the load test's smoke run (bench/run.sh) uses
# python3, wrk, and nginx as the OpenTelemetry collector.
need_apt python3
need_apt wrk
need_apt nginx-light
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

# kubectl renders the kustomize overlays (offline); it is not a Debian package, so it must be on the machine.
command -v kubectl >/dev/null || { echo "kubectl (1.27 or later) is required to render the Kubernetes manifests: https://kubernetes.io/docs/tasks/tools/" >&2; exit 1; }

log "dotnet restore"
dotnet restore "$root/McpServices.sln" --verbosity quiet
