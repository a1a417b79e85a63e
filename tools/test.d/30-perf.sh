#!/usr/bin/env bash
# The short perf job: BenchmarkDotNet over the FMA peak, the kernels and the model-level work, each figure as a
# fraction of the peak measured in the same run, compared with perf/baseline.json. Fails only on a gross regression
# (below 0.7x baseline) or a per-call allocation. Its last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
dotnet perf/EdgeLstm.Benchmarks/bin/Release/net10.0/EdgeLstm.Benchmarks.dll ci 2>&1 | grep -vE '^(// |\s*$|Runtime|GC=|Job=|BenchmarkDotNet v|  \[Host\]|  Job-)' | tail -n 40
