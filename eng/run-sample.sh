#!/usr/bin/env bash
# Builds and runs the Inventory sample service on http://localhost:5080/mcp with its embedded defaults (no external server).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec dotnet run --project "$root/samples/Inventory" "$@"
