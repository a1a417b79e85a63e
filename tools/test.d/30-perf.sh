#!/usr/bin/env bash
# The short perf suite (perf/EdgeLstm.Benchmarks `ci`): BenchmarkDotNet over the FMA peak, the kernels, the model-level
# work and ONNX Runtime on the same inference work, each figure as a fraction of the peak measured in the same run and
# each inference row as a ratio to ONNX Runtime. SPEED IS REPORTED HERE, NOT GATED: a busy machine must not fail the
# test command. "N passed, N failed" counts only deterministic checks: every case measured, 0 bytes allocated per call
# by the calling thread, ONNX Runtime giving EdgeLstm's probabilities (and a wrong model not). The speed gate is the
# separate perf command `dotnet run -c Release --project perf/EdgeLstm.Benchmarks -- gate` (see perf/README.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
dotnet perf/EdgeLstm.Benchmarks/bin/Release/net10.0/EdgeLstm.Benchmarks.dll ci 2>&1 | grep -vE '^(// |\s*$|Runtime|GC=|Job=|BenchmarkDotNet v|  \[Host\]|  Job-|Overhead|Workload|Generate|Mean = |Method|\||-+$)' | tail -n 60
