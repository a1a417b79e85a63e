#!/usr/bin/env bash
# Installs the Debian packages the test stages need, when they are missing. CI runs as root on a fresh machine.
set -euo pipefail
# gcc links x64 Native AOT; clang, the aarch64 binutils, libc and libgcc cross-link linux-arm64; qemu-user-static runs
# the arm64 binary (and the x64 one on an emulated older CPU) in the AOT stage (tools/test.d/20-aot.sh).
needed=(gcc clang binutils-aarch64-linux-gnu libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user-static)
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
