#!/usr/bin/env bash
# The project's one test command (see README): style, build with warnings as errors, every test suite.
# Ends with a line "N passed, N failed" that counts every test case of every stage, and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
passed=0
failed=0

stage() { printf '\n==== %s\n' "$*"; }
fail_stage() { echo "FAILED: $*"; failed=$((failed + 1)); }

# Adds the counts of a line "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T" (one per test assembly).
count_dotnet_test() {
    local log=$1 p f
    p=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
    f=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "${p:-0}" = 0 ]; then fail_stage "no test ran"; fi
}

stage "tools: what the stages need"
bash tools/setup.sh || fail_stage "setup"

stage "style: dotnet format --verify-no-changes"
if dotnet format EdgeLstm.sln --verify-no-changes; then passed=$((passed + 1)); else fail_stage "dotnet format (run: dotnet format EdgeLstm.sln)"; fi

stage "build (Release, warnings are errors)"
if ! dotnet build EdgeLstm.sln -c Release -nologo -clp:ErrorsOnly; then
    fail_stage "build"
    echo "$passed passed, $failed failed"
    exit 1
fi

stage "unit, gradient, golden and end-to-end tests (xunit)"
dotnet test EdgeLstm.sln -c Release --no-build -nologo 2>&1 | tee "$results/dotnet-test.log"
count_dotnet_test "$results/dotnet-test.log"

for extra in tools/test.d/*.sh; do
    [ -e "$extra" ] || continue
    stage "$extra"
    # Each extra stage prints its own "N passed, N failed" as its last such line.
    bash "$extra" 2>&1 | tee "$results/$(basename "$extra").log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$results/$(basename "$extra").log" | tail -n 1)
    if [ -z "$line" ]; then
        fail_stage "$extra printed no result line"
    else
        passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
        failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    fi
done

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
