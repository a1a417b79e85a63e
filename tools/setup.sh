#!/usr/bin/env bash
# Installs the Debian packages the test stages need, when they are missing. CI runs as root on a fresh machine.
set -euo pipefail
# gcc, g++: the C test suite and the header's C++ check (tools/test.d/60-native.sh); clang, the arm64 cross binutils,
# libc and libgcc: Native AOT cross-publishing of libedgelstm.so for linux-arm64 and the arm64 build of the suite;
# qemu-user-static: running it; valgrind: the memcheck run.
needed=(gcc g++ gzip clang binutils-aarch64-linux-gnu libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user-static valgrind)
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
