#!/usr/bin/env bash
# Stage: the C ABI (libedgelstm.so + include/edgelstm.h, src/EdgeLstm.Native).
#  1. Publishes the library with Native AOT once per architecture: linux-x64 and, cross-compiled, linux-arm64.
#     Any publish warning (trim, AOT) fails the stage.
#  2. Gets a trained MNIST model: from the CLI ("edgelstm train --iterations 20") when src/EdgeLstm.Cli is in the
#     tree, with "edgelstm predict --index 0" to compare against; else trained through the C API (tests/native/make_model.c).
#     Also that model in int8 (edgelstm quantize), for the suite's weight-type and int8 tests (--int8-model).
#     And two models with preprocessing in them (edgelstm train --data, on small files written here), with the CLI's
#     own predictions (edgelstm predict --data): the suite feeds C the same raw readings (--raw-model, --forecast-model).
#  3. Builds the C suite (tests/native/test_edgelstm.c) with gcc against the x64 library and runs it; runs it again
#     under valgrind (memcheck: no invalid access, no leak from our side; see tests/native/valgrind.supp); builds it
#     with clang --target=aarch64-linux-gnu against the arm64 library and runs it under qemu-aarch64-static.
#  4. Builds and runs the README's C examples (tests/native/classify.c and learn.c, which must equal the README's
#     copies): learn.c runs twice, the second time resuming from the first run's checkpoint.
#  5. With the CLI: a checkpoint moves between the CLI and C both ways, on a one-image training set (so the CLI's
#     data order cannot differ): C resumes the CLI's checkpoint of iteration 3 and reaches the CLI's uninterrupted
#     iteration-6 weights bit for bit; the CLI resumes what C saved (untouched, and after one C batch) and does too.
# Ends with "N passed, N failed" over all of it: the test cases of each suite run plus this script's own checks.
# Without src/EdgeLstm.Cli the steps that need the CLI (its model and prediction, the int8 and preprocessing models,
# step 5) cannot run: each says "NOT RUN" with what it would have checked, counted in neither number, and a line
# before the result lists them all, as the suite's own "# not run" lines do for its tests.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out="$root/artifacts/native"
work="$out/work"
passed=0
failed=0
not_run=()

pass() {
    echo "PASS: $*"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL: $*"
    failed=$((failed + 1))
}
# A step that could not run here: said at once and again before the result, counted in neither number.
skip() {
    echo "NOT RUN: $*"
    not_run+=("$*")
}
finish() {
    echo
    if [ ${#not_run[@]} -gt 0 ]; then
        echo "not run (${#not_run[@]}):"
        printf '  %s\n' "${not_run[@]}"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
}
# Adds the closing "N passed, N failed" of a suite run's log, or fails when there is none.
count_suite() {
    local log=$1 what=$2 line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        fail "$what: the suite printed no result line (crashed?)"
        return
    fi
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    echo "$what: $line"
}

# ---- tools: none may be missing (tools/setup.sh installs them)
missing=()
for tool in dotnet gcc g++ clang valgrind qemu-aarch64-static aarch64-linux-gnu-objcopy gunzip; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
for file in /usr/aarch64-linux-gnu/lib/libc.so.6 /usr/aarch64-linux-gnu/lib/crt1.o; do
    [ -e "$file" ] || missing+=("$file")
done
if [ ${#missing[@]} -gt 0 ]; then
    fail "missing: ${missing[*]} (run tools/setup.sh as root)"
    finish
fi
pass "tools present"

rm -rf "$work"
mkdir -p "$work/mnist" "$work/x64" "$work/arm64"

# ---- 1. publish, once per architecture
publish() {
    local rid=$1 log="$out/publish-$1.log"
    rm -rf "${out:?}/$rid"
    if ! dotnet publish src/EdgeLstm.Native -c Release -r "$rid" -o "$out/$rid" -nologo >"$log" 2>&1; then
        cat "$log"
        fail "publish $rid"
        return 1
    fi
    if grep -qiE ': warning [A-Z]+[0-9]+' "$log"; then
        grep -iE ': warning [A-Z]+[0-9]+' "$log" | sort -u
        fail "publish $rid: warnings (trim/AOT warnings must be zero)"
    else
        pass "publish $rid: no warnings ($(du -h "$out/$rid/libedgelstm.so" | cut -f1) libedgelstm.so)"
    fi
    [ -e "$out/$rid/libedgelstm.so" ] || {
        fail "publish $rid: no libedgelstm.so"
        return 1
    }
}
start=$SECONDS
publish linux-x64 || finish
publish linux-arm64
arm64_ok=$?
echo "published in $((SECONDS - start)) s"

# The symbols the library exports are exactly the header's functions.
header_functions=$(grep -oE '^[a-z_]+[a-z_ *]*[ *]edgelstm_[a-z_]+\(' src/EdgeLstm.Native/include/edgelstm.h | sed -E 's/.*(edgelstm_[a-z_]+)\($/\1/' | sort)
exported=$(nm -D --defined-only "$out/linux-x64/libedgelstm.so" | grep -oE ' edgelstm_[a-z_]+' | tr -d ' ' | sort)
if [ -n "$header_functions" ] && [ "$header_functions" = "$exported" ]; then
    pass "the library exports exactly the header's $(echo "$exported" | wc -l) functions"
else
    diff <(echo "$header_functions") <(echo "$exported")
    fail "exports differ from the header (< header, > library)"
fi

# ---- the header is C99 and C++ clean on its own
if echo '#include "edgelstm.h"' | gcc -std=c99 -pedantic -Wall -Wextra -Werror -Isrc/EdgeLstm.Native/include -x c -fsyntax-only - &&
    echo '#include "edgelstm.h"' | g++ -std=c++11 -pedantic -Wall -Wextra -Werror -Isrc/EdgeLstm.Native/include -x c++ -fsyntax-only -; then
    pass "edgelstm.h compiles alone as C99 and as C++11"
else
    fail "edgelstm.h does not compile alone as C99 and C++11"
fi

# ---- MNIST, raw, for the C programs
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    gunzip -c "data/mnist/$f.gz" >"$work/mnist/$f" || {
        fail "gunzip data/mnist/$f.gz"
        finish
    }
done

# ---- builds of the C programs
cflags=(-std=c99 -O2 -g -gdwarf-4 -Wall -Wextra -Werror -pthread -Isrc/EdgeLstm.Native/include)
x64_link=(-L"$out/linux-x64" -ledgelstm -Wl,-rpath,"$out/linux-x64" -lm)
arm64_link=(-L"$out/linux-arm64" -ledgelstm -Wl,-rpath,"$out/linux-arm64" -lm)
if gcc "${cflags[@]}" tests/native/test_edgelstm.c -o "$work/x64/test_edgelstm" "${x64_link[@]}" &&
    gcc "${cflags[@]}" tests/native/make_model.c -o "$work/x64/make_model" "${x64_link[@]}" &&
    gcc "${cflags[@]}" tests/native/classify.c -o "$work/x64/classify" "${x64_link[@]}" &&
    gcc "${cflags[@]}" tests/native/learn.c -o "$work/x64/learn" "${x64_link[@]}"; then
    pass "gcc builds the C suite, make_model and the README examples (x64, -Wall -Wextra -Werror)"
else
    fail "gcc build"
    finish
fi

# ---- 2. a trained model
model="$work/model.safetensors"
cli_args=()
if [ -d src/EdgeLstm.Cli ]; then
    echo "training with the CLI: edgelstm train --iterations 20"
    if dotnet run -c Release --project src/EdgeLstm.Cli -- train --iterations 20 --out "$model" >"$work/cli-train.log" 2>&1 &&
        dotnet run -c Release --no-build --project src/EdgeLstm.Cli -- predict "$model" --index 0 >"$work/cli-predict.log" 2>&1; then
        tail -n 3 "$work/cli-train.log"
        cat "$work/cli-predict.log"
        # The table after "class  probability": class, probability (4 decimals), bar.
        awk '/^class +probability/ {table = 1; next} table && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+\.[0-9]+$/ {print $2}' \
            "$work/cli-predict.log" >"$work/cli-probs.txt"
        if [ "$(wc -l <"$work/cli-probs.txt")" = 10 ]; then
            pass "the CLI trained a model and predicted test image 0"
            cli_args=(--cli-probs "$work/cli-probs.txt" --cli-index 0)
        else
            fail "could not read ten probabilities from edgelstm predict's output"
        fi
    else
        cat "$work/cli-train.log" "$work/cli-predict.log" 2>/dev/null
        fail "the CLI could not train or predict"
    fi
else
    echo "no src/EdgeLstm.Cli: training the model through the C API (tests/native/make_model.c)"
    skip "edgelstm predict --index 0 (no CLI): the suite's comparison with the CLI's probabilities"
    if "$work/x64/make_model" "$work/mnist" "$model" 20; then
        pass "make_model trained a model through the C API"
    else
        fail "make_model"
    fi
fi
[ -s "$model" ] || {
    fail "no model to test with"
    finish
}
# The same model in int8 (issue 14): the suite asks its weight type and runs it.
if [ ! -d src/EdgeLstm.Cli ]; then
    skip "edgelstm quantize (no CLI): the suite's int8 model checks (weight type, int8 inference, trainer refusal)"
elif dotnet run -c Release --no-build --project src/EdgeLstm.Cli -- quantize "$model" --out "$work/model.int8.safetensors" >"$work/quantize.log" 2>&1; then
    pass "the CLI quantized the model to int8"
    cli_args+=(--int8-model "$work/model.int8.safetensors")
else
    cat "$work/quantize.log"
    fail "edgelstm quantize"
fi

# ---- 2b. models that take raw readings (issue 12): normalisation, target scaling and a forecaster's window in the model
# A long-format CSV of 30 sequences of 3 to 10 steps, two features around 1000 and 50, one value per sequence in the
# hundreds; and one series of 80 values with a trend, forecast 2 steps ahead from windows of 8 relative to the last value.
raw="$work/raw"
raw_args=()
mkdir -p "$raw"
awk 'BEGIN { print "id,t,a,b,y"
    for (i = 0; i < 30; i++) {
        n = 3 + (i * 5) % 8; s = 0
        for (t = 0; t < n; t++) s += 1000 + 40 * sin(i + 0.7 * t)
        for (t = 0; t < n; t++) printf "s%d,%d,%.2f,%.3f,%.3f\n", i, t, 1000 + 40 * sin(i + 0.7 * t), 50 + 5 * cos(0.3 * i * t), 400 + 2 * (s / n - 1000) + 10 * n
    } }' >"$raw/sequences.csv"
awk 'BEGIN { print "level"; for (t = 0; t < 80; t++) printf "%.3f\n", 300 + 0.5 * t + 3 * sin(t / 3) }' >"$raw/series.csv"
cli=(dotnet run -c Release --no-build --project src/EdgeLstm.Cli --)
small_net=(--hidden 8 --epochs 20 --lr 0.01 --threads 1)
if [ ! -d src/EdgeLstm.Cli ]; then
    skip "edgelstm train/predict --data (no CLI): the suite's raw-readings regression and forecaster tests"
elif "${cli[@]}" train --data "$raw/sequences.csv" --id id --time t --target y --task regress "${small_net[@]}" \
    --out "$raw/sequences.safetensors" >"$raw/train.log" 2>&1 &&
    "${cli[@]}" predict "$raw/sequences.safetensors" --data "$raw/sequences.csv" --id id --time t \
        --out "$raw/sequences.predictions.csv" >>"$raw/train.log" 2>&1 &&
    "${cli[@]}" train --data "$raw/series.csv" --window 8 --horizon 2 "${small_net[@]}" \
        --out "$raw/forecast.safetensors" >>"$raw/train.log" 2>&1 &&
    "${cli[@]}" predict "$raw/forecast.safetensors" --data "$raw/series.csv" --out "$raw/forecast.predictions.csv" \
        >>"$raw/train.log" 2>&1; then
    grep -E '^(validation MAE|  naive)' "$raw/train.log"
    pass "the CLI trained a regression (long-format CSV) and a forecaster (one series) with preprocessing, and predicted"
    raw_args=(--raw-model "$raw/sequences.safetensors" "$raw/sequences.csv" "$raw/sequences.predictions.csv"
        --forecast-model "$raw/forecast.safetensors" "$raw/series.csv" "$raw/forecast.predictions.csv")
    cli_args+=("${raw_args[@]}")
else
    cat "$raw/train.log"
    fail "edgelstm train/predict --data (the models with preprocessing for the suite)"
fi

# ---- 3a. the suite on x64
"$work/x64/test_edgelstm" --model "$model" --data "$work/mnist" "${cli_args[@]}" 2>&1 | tee "$work/x64.log"
count_suite "$work/x64.log" "x64"

# ---- 4. the README examples: same code as in the README
for example in classify learn; do
    for readme in src/EdgeLstm.Native/README.md README.md; do
        [ "$example" = learn ] && [ "$readme" = README.md ] && continue # the root README shows classify.c only
        readme_code=$(awk -v marker="<!-- $example.c -->" '$0 == marker {copy = 1; next} copy && /^```c$/ {inside = 1; next} inside && /^```$/ {exit} inside' "$readme")
        if [ -n "$readme_code" ] && [ "$readme_code" = "$(cat "tests/native/$example.c")" ]; then
            pass "$readme's example is tests/native/$example.c, $(wc -l <"tests/native/$example.c") lines"
        else
            diff <(echo "$readme_code") "tests/native/$example.c"
            fail "$readme's example differs from tests/native/$example.c"
        fi
    done
done
expected=$(grep -oE 'reference: test image 0 class [0-9]+' "$work/x64.log" | grep -oE '[0-9]+$')
got=$("$work/x64/classify" "$model" "$work/mnist/t10k-images-idx3-ubyte" 0)
echo "$got"
if [ -n "$expected" ] && echo "$got" | grep -qE "^test image 0: class $expected \(probability 0\.[0-9]{4}\)$"; then
    pass "the README example classifies test image 0 as the suite's batch prediction does (class $expected)"
else
    fail "the README example said \"$got\"; the suite's batch prediction says class ${expected:-?}"
fi
# learn.c: a first run starts a model and checkpoints it; a second run resumes from the checkpoint.
learn_checkpoint="$work/learn/device.checkpoint.safetensors"
"$work/x64/learn" "$work/mnist/train-images-idx3-ubyte" "$work/mnist/train-labels-idx1-ubyte" "$learn_checkpoint" >"$work/learn1.log" 2>&1
learn1=$?
"$work/x64/learn" "$work/mnist/train-images-idx3-ubyte" "$work/mnist/train-labels-idx1-ubyte" "$learn_checkpoint" >"$work/learn2.log" 2>&1
learn2=$?
cat "$work/learn1.log" "$work/learn2.log"
if [ "$learn1" = 0 ] && [ "$learn2" = 0 ] && grep -q '^starting at batch 0$' "$work/learn1.log" &&
    grep -qE '^batch 20: loss [0-9.]+; checkpoint saved' "$work/learn1.log" &&
    grep -q '^starting at batch 20$' "$work/learn2.log" && grep -qE '^batch 40: loss [0-9.]+; checkpoint saved' "$work/learn2.log"; then
    pass "the README's learn.c trains 20 batches, checkpoints, and a second run resumes at batch 20"
else
    fail "the README's learn.c did not train, checkpoint and resume (exit codes $learn1, $learn2)"
fi

# ---- 5. checkpoints between the CLI and C, both ways
if [ -d src/EdgeLstm.Cli ]; then
    one="$work/one-image"
    mkdir -p "$one"
    # IDX files of one image (train image 0) and its label: magic, count 1, then the sizes and the data.
    for split in train t10k; do
        { printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c'
          tail -c +17 "$work/mnist/train-images-idx3-ubyte" | head -c 784; } >"$one/$split-images-idx3-ubyte"
        { printf '\x00\x00\x08\x01\x00\x00\x00\x01'
          tail -c +9 "$work/mnist/train-labels-idx1-ubyte" | head -c 1; } >"$one/$split-labels-idx1-ubyte"
    done
    run_args=(--data "$one" --hidden 16 --layers 2 --batch-size 1 --keep-prob 0.5 --lr 0.01 --clip-norm 0.5 --seed 5 --threads 1)
    if "${cli[@]}" train "${run_args[@]}" --iterations 3 --checkpoint-every 3 --out "$work/cli3.safetensors" \
        --checkpoint "$work/cli3.checkpoint.safetensors" >"$work/cli3.log" 2>&1 &&
        "${cli[@]}" train "${run_args[@]}" --iterations 6 --out "$work/cli6.safetensors" >"$work/cli6.log" 2>&1; then
        pass "the CLI trained 3 iterations with a checkpoint, and 6 uninterrupted (one-image set)"
    else
        cat "$work/cli3.log" "$work/cli6.log"
        fail "the CLI runs on the one-image set"
    fi
    if "$work/x64/test_edgelstm" --data "$one" --interop "$work/cli3.checkpoint.safetensors" "$work/cli6.safetensors" \
        "$work/c0.checkpoint.safetensors" "$work/c1.checkpoint.safetensors" >"$work/interop.log" 2>&1; then
        cat "$work/interop.log"
        pass "CLI -> C: C resumed the CLI's checkpoint and reached the CLI's uninterrupted weights, bit for bit"
    else
        cat "$work/interop.log"
        fail "CLI -> C: the weights C reached from the CLI's checkpoint differ from the CLI's uninterrupted run"
    fi
    for from in c0 c1; do
        if "${cli[@]}" train --data "$one" --threads 2 --resume "$work/$from.checkpoint.safetensors" --iterations 6 \
            --out "$work/$from-cli6.safetensors" >"$work/$from-resume.log" 2>&1 &&
            "$work/x64/test_edgelstm" --same-weights "$work/$from-cli6.safetensors" "$work/cli6.safetensors" >"$work/$from-same.log" 2>&1; then
            grep -E '^resumed at' "$work/$from-resume.log"
            pass "C -> CLI: the CLI resumed C's checkpoint ($from: $( [ $from = c0 ] && echo "saved untouched" || echo "after one C batch")) to the uninterrupted weights, bit for bit"
        else
            cat "$work/$from-resume.log" "$work/$from-same.log" 2>/dev/null
            fail "C -> CLI: resuming C's checkpoint $from with the CLI"
        fi
    done
else
    skip "checkpoints between the CLI and C, both ways (no CLI)"
fi

# ---- 3b. once under valgrind (memcheck), on x64
# The engine and the shell allocate no native memory (all buffers are managed arrays): see tests/native/valgrind.supp
# for how the runtime's own blocks are told from ours.
if grep -rnE 'NativeMemory\.|Marshal\.(AllocHGlobal|AllocCoTaskMem|StringToHGlobal|StringToCoTaskMem)' src/EdgeLstm src/EdgeLstm.Native --include='*.cs'; then
    fail "the sources allocate native memory: the valgrind reasoning in tests/native/valgrind.supp no longer holds"
else
    pass "no native allocation in src/EdgeLstm and src/EdgeLstm.Native"
fi
# Memcheck runs 50-100 times slower than native, so this run uses a small model (2 × 32, trained here through the
# C API) and one thread (valgrind runs threads one at a time, and the worker pool would spin against itself).
# valgrind 3.19 cannot read the DWARF 5 of libedgelstm.so.dbg (it gives up on the whole run), so it runs against a
# copy of the library without its .dbg file; LD_LIBRARY_PATH takes precedence over the suite's RUNPATH.
small="$work/small.safetensors"
mkdir -p "$work/valgrind-lib"
cp "$out/linux-x64/libedgelstm.so" "$work/valgrind-lib/"
if "$work/x64/make_model" "$work/mnist" "$small" 30 32 >"$work/small-train.log" 2>&1; then
    start=$SECONDS
    LD_LIBRARY_PATH="$work/valgrind-lib" valgrind --error-exitcode=99 --leak-check=full --fair-sched=yes \
        --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
        --suppressions=tests/native/valgrind.supp --num-callers=40 --log-file="$work/valgrind.log" \
        "$work/x64/test_edgelstm" --model "$small" --data "$work/mnist" --images 8 --threads 1 "${raw_args[@]}" 2>&1 |
        tee "$work/valgrind-suite.log"
    vg_status=${PIPESTATUS[0]}
    echo "valgrind run: $((SECONDS - start)) s"
    count_suite "$work/valgrind-suite.log" "valgrind"
    grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|suppressed:' "$work/valgrind.log"
    if [ "$vg_status" = 99 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$work/valgrind.log"; then
        head -300 "$work/valgrind.log"
        fail "valgrind: invalid accesses or leaks (log: $work/valgrind.log)"
    else
        pass "valgrind: no invalid access, no leak (definite, indirect or possible) but glibc's suppressed thread TLS"
    fi
else
    cat "$work/small-train.log"
    fail "make_model (small model for valgrind)"
fi

# ---- 3c. arm64: clang cross-build, run under qemu
if [ "$arm64_ok" = 0 ]; then
    if clang --target=aarch64-linux-gnu "${cflags[@]}" tests/native/test_edgelstm.c -o "$work/arm64/test_edgelstm" "${arm64_link[@]}"; then
        pass "clang --target=aarch64-linux-gnu builds the C suite"
        # The suite starts itself as a child for the kill -9, shutdown and first-call tests: through qemu too.
        EDGELSTM_TEST_RUNNER="qemu-aarch64-static -L /usr/aarch64-linux-gnu" \
            qemu-aarch64-static -L /usr/aarch64-linux-gnu "$work/arm64/test_edgelstm" --model "$model" --data "$work/mnist" \
            --images 16 --threads 1 "${cli_args[@]}" 2>&1 | tee "$work/arm64.log"
        count_suite "$work/arm64.log" "arm64 (qemu)"
    else
        fail "clang arm64 build"
    fi
fi

finish
