#!/usr/bin/env bash
# The PyTorch interop stage (issue 7): tools/pytorch/check_interop.py drives the built CLI (tools/test.sh has built it)
# against Debian's python3-torch: a model trained by `edgelstm train` gives the same probabilities in PyTorch, the
# export/import CLI keeps every tensor, a newer format version is refused by both sides, and `train --init` from a
# PyTorch-trained model keeps its accuracy. About 20 s with 2 cores.
# It runs when /usr/bin/python3 can import torch and numpy. CI does not install python3-torch (tools/setup.sh): its
# dependency closure is hundreds of packages and MBs (README, "PyTorch interop"), so on a machine without it this
# stage says so and counts nothing; the C# fixture test (tests/EdgeLstm.Tests/PyTorch) covers PyTorch -> EdgeLstm there.
# The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
python=/usr/bin/python3
if ! "$python" -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "not run: $python cannot import torch and numpy (install python3-torch to run this stage)"
    echo "0 passed, 0 failed"
    exit 0
fi
"$python" tools/pytorch/check_interop.py --edgelstm "dotnet src/EdgeLstm.Cli/bin/Release/net10.0/EdgeLstm.Cli.dll"
