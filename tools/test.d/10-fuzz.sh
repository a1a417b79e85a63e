#!/usr/bin/env bash
# Stage: fuzzing every reader of outside bytes (tests/EdgeLstm.Fuzz). Seeded mutations (bit flips, inserts, deletes,
# truncation at every header boundary, lying lengths and offsets, dtype and shape edits, overflowing dimensions,
# non-UTF-8 and lone surrogates, duplicate keys, NaN/Inf, gzip header/trailer/member damage) of model files,
# checkpoints, IDX files plain and gzipped, MNIST directories, PGM images, long-format and time-series CSV, NumPy
# .npy and .npz, loaded from bytes, from a pipe-like stream
# and from files through the loaders the CLI and the C ABI call. Every case must end in success or the loader's own
# format exception (one-line message), allocating at most a multiple of its input size plus a constant.
# 36,000 cases (seed 1; about 15 s of CPU, about a minute on a loaded 2-core machine; the time is printed, never judged). Longer runs: FUZZ_CASES=1000000
# FUZZ_SEED=7 bash tools/test.d/10-fuzz.sh, or dotnet run -c Release --project tests/EdgeLstm.Fuzz -- --cases N --seed S.
# The closing "N passed, N failed" counts groups (target × mutation, about 165), not cases: a group fails if any case does.
set -uo pipefail
cd "$(dirname "$0")/../.."
cases=${FUZZ_CASES:-36000}
seed=${FUZZ_SEED:-1}
dll=tests/EdgeLstm.Fuzz/bin/Release/net10.0/EdgeLstm.Fuzz.dll
if [ ! -e "$dll" ]; then
    dotnet build tests/EdgeLstm.Fuzz -c Release -nologo -clp:ErrorsOnly || {
        echo "0 passed, 1 failed"
        exit 1
    }
fi
log=$(mktemp)
dotnet "$dll" --cases "$cases" --seed "$seed" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$log"; then
    # The process died inside a case (a crash is exactly what this stage looks for): say which one.
    echo "FAIL: the fuzzer exited with status $status without a result, in $(tr -s ' ' <artifacts/fuzz/current-case.txt 2>/dev/null)"
    echo "reproduce: dotnet run -c Release --project tests/EdgeLstm.Fuzz -- --seed $seed --case <the case above>"
    echo "0 passed, 1 failed"
    rm -f "$log"
    exit 1
fi
rm -f "$log"
exit "$status"
