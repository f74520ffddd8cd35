#!/usr/bin/env bash
# Runs every test: sets the machine up (eng/setup.sh), builds the solution in Release with warnings as errors,
# runs all test projects and prints a final line "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$root/artifacts/test-results"

summary() {
  local passed=0 failed=0 p f
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    p=$(grep -o '<Counters [^>]*' "$trx" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    f=$(grep -o '<Counters [^>]*' "$trx" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  done
  echo "$passed passed, $failed failed"
}

if ! "$root/eng/setup.sh"; then
  echo "setup failed"; echo "0 passed, 1 failed"; exit 1
fi

echo; echo "== dotnet build (Release, warnings as errors)"
if ! dotnet build "$root/McpServices.sln" -c Release --no-restore -warnaserror -nologo -clp:ErrorsOnly; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

rm -rf "$results"
echo; echo "== dotnet test"
dotnet test --solution "$root/McpServices.sln" -c Release --no-build --report-trx --results-directory "$results" "$@"
status=$?
echo
summary
exit $status
