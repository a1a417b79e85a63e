#!/usr/bin/env bash
# Installs the Debian packages the test stages need, when they are missing. CI runs as root on a fresh machine.
set -euo pipefail
# gcc links x64 Native AOT and builds the C test suite (g++ checks the header as C++); clang, the aarch64 binutils,
# libc and libgcc cross-link linux-arm64 (the CLI and libedgelstm.so) and build the arm64 C suite; qemu-user-static
# runs the arm64 binaries (and the x64 CLI on an emulated older CPU); valgrind: the memcheck run of the C suite;
# python3-torch and python3-numpy: the PyTorch interop stage (40-pytorch), which a test run must not skip; time
# (/usr/bin/time): the peak memory of a training run (RecipeMemoryTests, 20-aot).
needed=(time gcc g++ gzip clang binutils-aarch64-linux-gnu libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user-static valgrind python3-torch python3-numpy)
missing=()
for pkg in "${needed[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "all present: ${needed[*]}"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run: sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
