#!/usr/bin/env bash
# The PyTorch interop stage (issues 7, 11, 14): tools/pytorch/check_interop.py drives the built CLI (tools/test.sh has
# built it) against Debian's python3-torch: LSTM and GRU models trained by `edgelstm train` give the same probabilities
# in PyTorch, a GRU trained in PyTorch gives them in `edgelstm predict`, the export/import CLI keeps every tensor, the
# committed version-2 fixtures (per-step and regression heads, variable lengths) are what the module computes, a newer
# format version (4) is refused by both sides, the module's int8 quantiser is torch's bit for bit (and EdgeLstm's, when
# the CLI has `quantize`), an early-stopping run's checkpoint (with its best.* weights) reads as its model, and
# `train --init` from a PyTorch-trained model keeps its accuracy. It took about 8 minutes here on 2 cores under a load
# average of about 30 (other builds), most of it in the CLI runs.
# tools/setup.sh installs Debian's python3-torch and python3-numpy, so a machine where /usr/bin/python3 cannot import
# them fails this stage rather than skipping it. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
python=/usr/bin/python3
if ! "$python" -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "FAILED: $python cannot import torch and numpy (tools/setup.sh installs python3-torch and python3-numpy)"
    echo "0 passed, 1 failed"
    exit 1
fi
"$python" tools/pytorch/check_interop.py --edgelstm "dotnet src/EdgeLstm.Cli/bin/Release/net10.0/EdgeLstm.Cli.dll"
