#!/usr/bin/env bash
# The short perf suite (perf/EdgeLstm.Benchmarks `ci`): BenchmarkDotNet over the FMA peak, the kernels, the model-level
# work and ONNX Runtime on the same inference work, each figure as a fraction of the peak measured in the same run and
# each inference row as a ratio to ONNX Runtime. SPEED IS REPORTED HERE, NOT GATED: a busy machine must not fail the
# test command. "N passed, N failed" counts only deterministic checks: every case measured, 0 bytes allocated per call
# by the calling thread, ONNX Runtime giving EdgeLstm's probabilities (and a wrong model not). The speed gate is the
# separate perf command `dotnet run -c Release --project perf/EdgeLstm.Benchmarks -- gate` (see perf/README.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
mkdir -p artifacts
log=artifacts/perf-ci.log
dotnet perf/EdgeLstm.Benchmarks/bin/Release/net10.0/EdgeLstm.Benchmarks.dll ci > "$log" 2>&1
rc=$?
# The suite's own lines (BenchmarkDotNet's progress stays in the log); everything's last 40 lines if it did not finish.
grep -E '^(machine:|ONNX Runtime|ok   |FAIL |FMA peak|case  |(Kernel|Model|Onnx) Case|% peak|speed-up|bytes allocated|Speed is|The speed gate|[0-9]+ passed, [0-9]+ failed)' "$log"
if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"; then
    tail -n 40 "$log"
    echo "0 passed, 1 failed"
fi
echo "(full output: $log; exit code $rc)"
