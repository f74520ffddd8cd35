#!/usr/bin/env bash
# Re-runs the snapshot tests and accepts their current output as approved. Review the diff before committing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MCPS_ACCEPT_SNAPSHOTS=1 dotnet test --solution "$root/McpServices.sln" "$@"
git -C "$root" status --short -- '*.approved.*'
