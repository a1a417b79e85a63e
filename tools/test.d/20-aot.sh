#!/usr/bin/env bash
# The Native AOT stage (issue 4, trimming.md). Publishes `edgelstm` once for linux-x64 and once, cross-compiled, for
# linux-arm64, then checks the binaries:
#   - both publish with zero warnings (trim and AOT warnings are errors), stripped, within the size ceiling;
#   - `edgelstm info` reports the vector width each one compiled for (x64: 256-bit from x86-64-v3; arm64: 128-bit);
#     the x64 binary stops with a clear message on an emulated CPU below x86-64-v3 and runs on an emulated Haswell;
#   - x64, natively: train 50 iterations on the bundled MNIST, evaluate, predict, inspect with an SVG;
#   - arm64, under qemu-aarch64: evaluate and predict with the model the x64 binary trained, matching the x64 output;
#     3 training iterations that end within 1e-5 of the same 3 iterations on x64 (every weight);
#   - int8: the x64 binary quantizes that model; arm64 under qemu evaluates and predicts with it, matching x64;
#   - train --data FILE on a tiny time series and a tiny long-format CSV, on x64 and on arm64 under qemu;
#   - corrupt model files, missing or wrong data directories and a bad option give the same message and exit code
#     from the AOT binary as from `dotnet run`.
# Every check is one counted test; a missing tool fails its check (and the ones that need it), it never skips.
# The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out="$root/artifacts/aot"
work="$out/work"
rm -rf "$out"
mkdir -p "$work"

passed=0
failed=0
pass() { echo "PASS  $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }
# check NAME COMMAND...: one counted test, passed when COMMAND succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# The size ceiling for each stripped binary, in bytes. It guards against growth; it is NOT the issue's 2.5 MB target,
# which System.CommandLine alone exceeds (trimming.md, "Size"). Raised from 3.5 MB when GRU cells, the other heads,
# the strict gzip decoder and the hardened readers landed (x64 3 399 376, arm64 3 509 840 bytes then); raised to 4.4 MB
# when the CLI started using the sequence readers (train --data FILE: CSV, dates, .npy and .npz through ZipArchive):
# x64 4 092 520, arm64 4 170 232 bytes (trimming.md, "Size").
size_ceiling=4400000
# Printed probabilities have 4 decimals; x64 (256-bit) and arm64 (128-bit) differ by ~1e-7 before printing, which can
# move a value sitting on a rounding boundary by one unit of the last digit, never more.
print_tolerance=0.0001
# Weights after the same 3 training iterations on both: observed differences ~3e-7 (rounding only); a wrong lane, tail
# or sign would show at the scale of an Adam step (1e-3).
weight_tolerance=0.00001

qemu_arm() { qemu-aarch64-static -L /usr/aarch64-linux-gnu "$@"; }
x64="$out/linux-x64/edgelstm"
arm="$out/linux-arm64/edgelstm"

echo "---- tools"
for tool in gcc clang objcopy readelf aarch64-linux-gnu-objcopy aarch64-linux-gnu-ld qemu-aarch64-static qemu-x86_64-static gzip od awk; do
    check "tool on PATH: $tool" eval "command -v $tool >/dev/null"
done
check "arm64 C library (libc6-dev-arm64-cross)" test -e /usr/aarch64-linux-gnu/lib/crt1.o -a -e /usr/aarch64-linux-gnu/lib/libc.so.6
check "arm64 libgcc (libgcc-12-dev-arm64-cross)" compgen -G "/usr/lib/gcc-cross/aarch64-linux-gnu/*/libgcc.a"

echo "---- publish"
# publish RID: one Native AOT publish; passes when it succeeds and printed no warning at all.
publish() {
    local rid=$1 log="$out/publish-$1.log" start=$SECONDS
    dotnet publish src/EdgeLstm.Cli -c Release -r "$rid" -o "$out/$rid" -nologo >"$log" 2>&1
    local rc=$?
    echo "      publish $rid: exit $rc in $((SECONDS - start)) s (log: ${log#"$root"/})"
    if grep -E 'warning [A-Z]{2,}[0-9]{3,}' "$log"; then
        echo "      warnings above"
        return 1
    fi
    [ $rc = 0 ] || { tail -n 20 "$log"; return 1; }
}
check "publish linux-x64 (Native AOT, zero warnings)" publish linux-x64
check "publish linux-arm64 (Native AOT cross-compiled, zero warnings)" publish linux-arm64

# elf_machine FILE: the ELF e_machine field (62 = x86-64, 183 = AArch64).
elf_machine() { od -An -tu2 -j18 -N2 "$1" 2>/dev/null | tr -d ' '; }
# artefact RID MACHINE: the folder holds only the binary and its symbols; the binary is for MACHINE, stripped, and
# within the ceiling.
artefact() {
    local dir="$out/$1" listing size
    listing=$(cd "$dir" 2>/dev/null && ls | tr '\n' ' ')
    [ "$listing" = "EdgeLstm.Cli.dbg edgelstm " ] || { echo "      $dir holds: $listing"; return 1; }
    [ "$(elf_machine "$dir/edgelstm")" = "$2" ] || { echo "      not an ELF for machine $2"; return 1; }
    if readelf -S "$dir/edgelstm" | grep -q '\.symtab'; then echo "      not stripped"; return 1; fi
    size=$(stat -c %s "$dir/edgelstm")
    [ "$size" -le "$size_ceiling" ] || { echo "      $size bytes > $size_ceiling"; return 1; }
}
check "linux-x64 folder: only edgelstm (x86-64, stripped, <= $size_ceiling bytes) and its .dbg" artefact linux-x64 62
check "linux-arm64 folder: only edgelstm (AArch64, stripped, <= $size_ceiling bytes) and its .dbg" artefact linux-arm64 183

echo "---- what the binaries use"
# has FILE TEXT: FILE contains the fixed string TEXT.
has() { grep -q -F -- "$2" "$1" || { echo "      '$2' not in $1:"; sed 's/^/        /' "$1"; return 1; }; }
"$x64" info >"$work/info-x64.txt" 2>&1
check "x64 info: Native AOT for x86-64-v3" has "$work/info-x64.txt" "Native AOT, for x86-64-v3"
check "x64 info: kernels use 256-bit vectors" has "$work/info-x64.txt" "kernels use:  256-bit"
qemu_arm "$arm" info >"$work/info-arm64.txt" 2>&1
check "arm64 info (qemu): Native AOT, architecture arm64" has "$work/info-arm64.txt" "architecture: arm64"
check "arm64 info (qemu): kernels use 128-bit vectors with FMA" grep -q -E "kernels use: +128-bit" "$work/info-arm64.txt"
check "arm64 info (qemu): hardware FMA (AdvSIMD)" has "$work/info-arm64.txt" "hardware (Arm AdvSIMD)"
# Below its instruction set the binary must stop at once with the runtime's message, not crash later on an AVX2 opcode.
qemu-x86_64-static -cpu Nehalem "$x64" info >"$work/nehalem.txt" 2>&1
nehalem_rc=$?
check "x64 on an emulated x86-64-v2 CPU (Nehalem): stops, exit $nehalem_rc" test "$nehalem_rc" -ne 0
check "x64 on Nehalem: says the instruction sets are not supported" has "$work/nehalem.txt" "The required instruction sets are not supported by the current CPU"
qemu-x86_64-static -cpu Haswell "$x64" info 2>/dev/null >"$work/haswell.txt"
check "x64 on an emulated x86-64-v3 CPU (Haswell): runs, 256-bit" has "$work/haswell.txt" "kernels use:  256-bit"

echo "---- x64 end to end (native)"
# A small copy of MNIST in the IDX layout (first N images of each split), for the emulated runs.
# idx_head SRC.gz DEST COUNT
idx_head() {
    local src=$1 dest=$2 n=$3 raw="$work/idx.raw" header item magic
    gzip -dc "$src" >"$raw" || return 1
    magic=$(od -An -tx1 -N4 "$raw" | tr -d ' ')
    case $magic in
        00000803) header=16 item=784 ;;
        00000801) header=8 item=1 ;;
        *) echo "      $src: unexpected IDX magic $magic"; return 1 ;;
    esac
    {
        head -c 4 "$raw"
        printf "\\x$(printf %02x $((n >> 24 & 255)))\\x$(printf %02x $((n >> 16 & 255)))\\x$(printf %02x $((n >> 8 & 255)))\\x$(printf %02x $((n & 255)))"
        head -c "$header" "$raw" | tail -c +9
        tail -c +$((header + 1)) "$raw" | head -c $((n * item))
    } >"$dest"
    rm -f "$raw"
    [ "$(stat -c %s "$dest")" = $((header + n * item)) ]
}
small="$work/mnist-small"
make_small() {
    mkdir -p "$small" &&
        idx_head data/mnist/train-images-idx3-ubyte.gz "$small/train-images-idx3-ubyte" 256 &&
        idx_head data/mnist/train-labels-idx1-ubyte.gz "$small/train-labels-idx1-ubyte" 256 &&
        idx_head data/mnist/t10k-images-idx3-ubyte.gz "$small/t10k-images-idx3-ubyte" 100 &&
        idx_head data/mnist/t10k-labels-idx1-ubyte.gz "$small/t10k-labels-idx1-ubyte" 100
}
check "a 256 + 100 image MNIST subset for the emulated runs" make_small

cd "$work" || exit 1
# From the work folder, with no --data: the binary finds the bundled data/mnist by looking up from its own folder.
"$x64" train --iterations 50 --hidden 64 --out model.safetensors >train-x64.txt 2>&1
train_rc=$?
cat train-x64.txt
check "x64 train, 50 iterations of 2x64 on the bundled MNIST: exit $train_rc" test "$train_rc" = 0 -a -s model.safetensors
check "x64 train found the bundled MNIST (MD5 verified)" has train-x64.txt "bundled MNIST"
correct=$(sed -n 's/^test accur .*(\([0-9]*\) of 10000 test images).*/\1/p' train-x64.txt)
# 50 iterations reach about 0.4 on the 10000 test images (chance: 0.1).
check "x64 train: ${correct:-?} of 10000 test images right, at least 2500" test "${correct:-0}" -ge 2500
"$x64" evaluate model.safetensors >evaluate-x64.txt 2>&1
rc=$?
check "x64 evaluate on the 10000 test images: exit $rc, the same ${correct:-?} right as at the end of training" \
    has evaluate-x64.txt "(${correct:-?} of 10000 correct"
"$x64" predict model.safetensors --index 0 >predict-x64-full.txt 2>&1
rc=$?
check "x64 predict test image 0: exit $rc, a class and ten probabilities" \
    test $rc = 0 -a "$(grep -c -E '^ +[0-9] +[01]\.[0-9]{4}' predict-x64-full.txt)" = 10
"$x64" inspect model.safetensors --svg figure.svg >inspect-x64.txt 2>&1
rc=$?
check "x64 inspect --svg: exit $rc, parts 2 and 3 printed" has inspect-x64.txt "Part 3: training image 4"
check "x64 inspect --svg: the SVG is a complete document" test -s figure.svg -a "$(head -c 5 figure.svg 2>/dev/null)" = "<svg " -a "$(tail -n 1 figure.svg 2>/dev/null)" = "</svg>"

# The recipe's peak memory (issue 12): 3 iterations of the 2 × 256 recipe reach a full run's peak (every buffer is made
# by the first iteration and the final evaluation). The kernel's ru_maxrss for the process, in kB, via /usr/bin/time.
/usr/bin/time -f %M -o recipe-peak.txt "$x64" train --iterations 3 --threads 2 --out recipe.safetensors >train-recipe.txt 2>&1
rc=$?
recipe_peak=$(tail -n 1 recipe-peak.txt 2>/dev/null)
# A run that died early would peak low: the check counts only a run that finished and saved its model.
check "x64 train, the 2x256 recipe: exit $rc, peak resident set ${recipe_peak:-?} kB, at most 131072 (128 MB)" \
    test $rc = 0 -a -s recipe.safetensors -a "${recipe_peak:-999999999}" -le 131072

echo "---- arm64 under qemu: the x64-trained model"
"$x64" evaluate model.safetensors --data "$small" >evaluate-small-x64.txt 2>&1
qemu_arm "$arm" evaluate model.safetensors --data "$small" --threads 2 >evaluate-small-arm64.txt 2>&1
arm_rc=$?
check "arm64 evaluate (2 threads): exit $arm_rc, output identical to x64 (accuracy and confusion matrix)" \
    cmp evaluate-small-x64.txt evaluate-small-arm64.txt
# probabilities FILE: the ten "class  probability" rows of a predict output, as "class probability".
probabilities() { awk '/^ +[0-9] +[01]\.[0-9]+/ { print $1, $2 }' "$1"; }
max_difference=0
# same_probabilities INDEX [MODEL]: x64 and arm64 print the same class and probabilities within the tolerance.
same_probabilities() {
    local i=$1 m=${2:-model.safetensors} d
    "$x64" predict "$m" --data "$small" --index "$i" >"predict-x64-$i.txt" 2>&1 || return 1
    qemu_arm "$arm" predict "$m" --data "$small" --index "$i" --threads 1 >"predict-arm64-$i.txt" 2>&1 || return 1
    [ "$(probabilities "predict-x64-$i.txt" | wc -l)" = 10 ] || return 1
    [ "$(grep -o '^class: [0-9]*' "predict-x64-$i.txt")" = "$(grep -o '^class: [0-9]*' "predict-arm64-$i.txt")" ] || return 1
    d=$(paste -d' ' <(probabilities "predict-x64-$i.txt") <(probabilities "predict-arm64-$i.txt") |
        awk 'NF != 4 || $1 != $3 { bad = 1 } { d = $2 - $4; if (d < 0) d = -d; if (d > m) m = d } END { if (bad || NR != 10) print "bad"; else printf "%.4f", m }')
    [ "$d" != bad ] || return 1
    max_difference=$(awk -v a="$max_difference" -v b="$d" 'BEGIN { print (b > a ? b : a) }')
    awk -v d="$d" -v t="$print_tolerance" 'BEGIN { exit !(d <= t + 1e-9) }'
}
for i in 0 1 2 3 4; do
    check "arm64 predict test image $i: same class, probabilities within $print_tolerance of x64" same_probabilities "$i"
done
echo "      largest printed probability difference, arm64 vs x64: $max_difference"

echo "---- int8 (issue 14): the same model quantized by the x64 binary, run on x64 and on arm64 under qemu"
"$x64" quantize model.safetensors --out model.int8.safetensors >quantize-x64.txt 2>&1
rc=$?
check "x64 quantize: exit $rc, an int8 model saved" test $rc = 0 -a -s model.int8.safetensors
# The size target is the recipe model's (2 x 256): a small model's fp32 biases and scales weigh more than a quarter.
"$x64" quantize recipe.safetensors --out recipe.int8.safetensors >quantize-recipe.txt 2>&1
rc=$?
check "x64 quantize of the 2x256 recipe model: exit $rc, the int8 file at most 0.26x the fp32 one" \
    test $rc = 0 -a -s recipe.int8.safetensors -a "$(( $(wc -c <recipe.int8.safetensors 2>/dev/null || echo 999999999) * 100 ))" -le "$(( $(wc -c <recipe.safetensors 2>/dev/null || echo 0) * 26 ))"
"$x64" evaluate model.int8.safetensors --data "$small" >evaluate-int8-x64.txt 2>&1
qemu_arm "$arm" evaluate model.int8.safetensors --data "$small" --threads 2 >evaluate-int8-arm64.txt 2>&1
check "arm64 evaluate of the int8 model (2 threads): output identical to x64 (accuracy and confusion matrix)" \
    cmp evaluate-int8-x64.txt evaluate-int8-arm64.txt
# The int8 products are exact integer sums on every instruction set (SDOT or widening on arm64, VNNI or widening on
# x64), so the only differences are the fp32 cells' and softmax's: the same print tolerance as the fp32 model.
max_difference=0
for i in 0 1 2; do
    check "arm64 predict test image $i with the int8 model: same class, probabilities within $print_tolerance of x64" same_probabilities "$i" model.int8.safetensors
done
echo "      largest printed probability difference of the int8 model, arm64 vs x64: $max_difference"

echo "---- arm64 under qemu: training"
# st_floats FILE: every float32 of a safetensors file's tensor data, one per line.
st_floats() {
    local n
    n=$(head -c 8 "$1" | od -An -tu8 | tr -d ' ')
    tail -c +$((8 + n + 1)) "$1" | od -An -v -tf4 -w4 | awk '{ printf "%.9g\n", $1 }'
}
train_small=(train --data "$small" --iterations 3 --batch-size 16 --hidden 32 --threads 1)
qemu_arm "$arm" "${train_small[@]}" --out trained-arm64.safetensors >train-arm64.txt 2>&1
arm_rc=$?
cat train-arm64.txt
check "arm64 train, 3 iterations (qemu): exit $arm_rc, model saved" test "$arm_rc" = 0 -a -s trained-arm64.safetensors
"$x64" "${train_small[@]}" --out trained-x64.safetensors >train-x64-small.txt 2>&1
weights_close() {
    st_floats trained-x64.safetensors >w-x64.txt && st_floats trained-arm64.safetensors >w-arm64.txt || return 1
    [ -s w-x64.txt ] && [ "$(wc -l <w-x64.txt)" = "$(wc -l <w-arm64.txt)" ] || return 1
    paste -d' ' w-x64.txt w-arm64.txt | awk -v t="$weight_tolerance" '
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; if (d > 0) n++ }
        END { printf "      %d weights, %d differ, largest difference %.3g\n", NR, n, m; exit !(m <= t) }'
}
check "arm64 and x64 weights after the same 3 iterations agree within $weight_tolerance" weights_close
"$x64" evaluate trained-arm64.safetensors --data "$small" >evaluate-arm64-model.txt 2>&1
rc=$?
check "x64 evaluates the model arm64 wrote: exit $rc" has evaluate-arm64-model.txt "test accuracy"

echo "---- sequence files (train --data FILE): x64, and arm64 under qemu"
# A tiny trending weekly series (with one empty field, forward-filled) and a tiny long-format CSV with per-step labels
# and lengths 3 to 12: the readers, the preprocessing in the model and the sequence trainer in the trimmed binaries.
awk 'BEGIN { print "level"; for (t = 0; t < 120; t++) print (t == 50 ? "" : sprintf("%.3f", 300 + 0.05 * t + 3 * sin(6.2832 * t / 52))) }' >series.csv
awk 'BEGIN { srand(7); print "id,a,b,label"; for (s = 0; s < 24; s++) { n = 3 + s % 10; for (t = 0; t < n; t++) { a = rand(); b = rand(); printf "s%d,%.4f,%.4f,%s\n", s, 100 + a, 100 + b, (a > b ? "up" : "down") } } }' >steps.csv
train_series=(train --data series.csv --window 8 --missing ffill --epochs 2 --hidden 8 --threads 1)
"$x64" "${train_series[@]}" --out series-x64.safetensors >series-x64.txt 2>&1
rc=$?
cat series-x64.txt
check "x64 train --data series.csv --window 8: exit $rc, a validation line per epoch beside the naive forecast" \
    test $rc = 0 -a "$(grep -c '^epoch .* validation MAE' series-x64.txt)" = 2 -a "$(grep -c 'naive: last value' series-x64.txt)" = 1
qemu_arm "$arm" "${train_series[@]}" --out series-arm64.safetensors >series-arm64.txt 2>&1
rc=$?
check "arm64 train --data series.csv (qemu): exit $rc, model saved" test $rc = 0 -a -s series-arm64.safetensors
"$x64" predict series-x64.safetensors --data series.csv --missing ffill --out next.csv >predict-series.txt 2>&1
check "x64 predict --data series.csv: the next value as CSV" test "$(head -n 1 next.csv 2>/dev/null)" = "after,steps_ahead,level" -a "$(wc -l <next.csv 2>/dev/null)" = 2
train_steps=(train --data steps.csv --target label --epochs 2 --hidden 8 --threads 1)
"$x64" "${train_steps[@]}" --out steps-x64.safetensors >steps-x64.txt 2>&1
rc=$?
check "x64 train --data steps.csv (per-step labels, lengths 3-12): exit $rc" has steps-x64.txt "24 sequences of 3–12 steps × 2 features, a class per step (2 classes: down, up)"
qemu_arm "$arm" "${train_steps[@]}" --out steps-arm64.safetensors >steps-arm64.txt 2>&1
rc=$?
check "arm64 train --data steps.csv (qemu): exit $rc, the same validation accuracy as x64" \
    test $rc = 0 -a -n "$(grep '^validation accuracy' steps-x64.txt)" -a "$(grep '^validation accuracy' steps-x64.txt)" = "$(grep '^validation accuracy' steps-arm64.txt)"

echo "---- error paths: the AOT binary says what dotnet run says"
# dotnet run --no-build runs the Release build of this same source (test.sh has just built it; incremental here).
cd "$root" || exit 1
check "dotnet build of the CLI for dotnet run" dotnet build src/EdgeLstm.Cli -c Release -nologo -v:q -clp:ErrorsOnly
cd "$work" || exit 1
cp model.safetensors bad-header.safetensors && printf 'XXXXXXXXXXXXXXXX' | dd of=bad-header.safetensors bs=1 seek=8 conv=notrunc 2>/dev/null
head -c 3000 model.safetensors >truncated.safetensors
: >empty.safetensors
cp model.safetensors huge-header.safetensors && printf '\377\377\377\377\377\377\377\177' | dd of=huge-header.safetensors bs=1 conv=notrunc 2>/dev/null
mkdir -p not-mnist bad-mnist && cp "$small"/* bad-mnist/ && printf 'JUNK' | dd of=bad-mnist/t10k-images-idx3-ubyte bs=1 conv=notrunc 2>/dev/null
# same_error EXPECTED_EXIT ARGS...: stdout, stderr and exit code equal between the AOT binary and dotnet run, the exit
# code is the expected one, and stderr is an "error:" message, not a stack trace.
same_error() {
    local expected=$1 aot_rc jit_rc
    shift
    "$x64" "$@" >aot.out 2>aot.err
    aot_rc=$?
    dotnet run --project "$root/src/EdgeLstm.Cli" -c Release --no-build -- "$@" >jit.out 2>jit.err
    jit_rc=$?
    sed 's/^/        /' aot.err
    [ "$aot_rc" = "$expected" ] && [ "$jit_rc" = "$expected" ] || { echo "      exit codes: AOT $aot_rc, dotnet run $jit_rc"; return 1; }
    cmp -s aot.err jit.err && cmp -s aot.out jit.out || { diff aot.err jit.err; return 1; }
    head -n 1 aot.err | grep -q '^error: ' && ! grep -q -E 'Unhandled exception|   at ' aot.err
}
check "corrupt model header (not JSON)" same_error 1 evaluate bad-header.safetensors --data "$small"
check "truncated model file" same_error 1 evaluate truncated.safetensors --data "$small"
check "empty model file" same_error 1 predict empty.safetensors --index 0 --data "$small"
check "model header length out of range" same_error 1 inspect huge-header.safetensors --data "$small"
check "model file missing" same_error 1 evaluate no-such-model.safetensors --data "$small"
check "data directory missing (--data)" same_error 1 evaluate model.safetensors --data no-such-dir
EDGELSTM_DATA="$work/no-such-dir" check "data directory missing (EDGELSTM_DATA)" same_error 1 train --iterations 1
check "data directory without the MNIST files" same_error 1 evaluate model.safetensors --data not-mnist
check "corrupt data file (bad IDX magic)" same_error 1 evaluate model.safetensors --data bad-mnist
check "unknown option (usage error)" same_error 2 evaluate model.safetensors --no-such-option
"$x64" --version >version-aot.txt 2>&1
dotnet run --project "$root/src/EdgeLstm.Cli" -c Release --no-build -- --version >version-jit.txt 2>&1
check "--version: $(cat version-aot.txt), as dotnet run" cmp version-aot.txt version-jit.txt

echo "---- sizes (bytes)"
{
    echo "| artefact | bytes | MiB |"
    echo "|---|---:|---:|"
    for f in "$out"/linux-x64/edgelstm "$out"/linux-x64/EdgeLstm.Cli.dbg "$out"/linux-arm64/edgelstm "$out"/linux-arm64/EdgeLstm.Cli.dbg; do
        [ -e "$f" ] || continue
        s=$(stat -c %s "$f")
        echo "| ${f#"$out"/} | $s | $(awk -v s="$s" 'BEGIN { printf "%.2f", s / 1048576 }') |"
    done
} | tee "$out/sizes.md"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
