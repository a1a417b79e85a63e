#!/usr/bin/python3
"""Writes tests/EdgeLstm.Tests/Fixtures/heads_golden.json: PyTorch reference values for EdgeLstm's heads.

Four small models, nn.LSTM or nn.GRU (batch_first=True) -> nn.Linear, one per head EdgeLstm runs beyond the
recipe's last-step classifier:
  classify_every_step  the Linear on every step's top output, F.cross_entropy over all B*T rows (mean);
  regress_last_step    the Linear on the last step, F.mse_loss against float targets (mean over B*K);
  regress_every_step   the Linear on every step, F.mse_loss (mean over B*T*K).
Inputs, parameters and targets are float32 values from a fixed seed; everything else is computed in float64.
Needs only Debian's python3-torch and python3-numpy:
    /usr/bin/python3 tools/golden/make_head_golden.py
"""

import json
import os
import sys

import numpy as np
import torch
from torch import nn

SEED = 20241130
INPUT_SIZE, HIDDEN_SIZE, LAYERS, OUTPUTS, STEPS, BATCH = 5, 7, 2, 3, 4, 3
LOW, HIGH = -0.6, 0.6
CASES = [("lstm", "classify_every_step"), ("gru", "classify_every_step"), ("lstm", "regress_last_step"), ("gru", "regress_every_step")]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures", "heads_golden.json")


class Network(nn.Module):
    """nn.LSTM or nn.GRU as `lstm`/`gru`, then `fc`: the state_dict names EdgeLstm uses."""

    def __init__(self, cell, head):
        super().__init__()
        self.cell, self.head = cell, head
        module = nn.LSTM if cell == "lstm" else nn.GRU
        setattr(self, cell, module(INPUT_SIZE, HIDDEN_SIZE, num_layers=LAYERS, batch_first=True))
        self.fc = nn.Linear(HIDDEN_SIZE, OUTPUTS)

    def forward(self, x):
        outputs = getattr(self, self.cell)(x)[0]
        return self.fc(outputs if self.head.endswith("every_step") else outputs[:, -1, :])


def uniform_float32(rng, shape):
    values = rng.random(int(np.prod(shape)), dtype=np.float32) * np.float32(HIGH - LOW) + np.float32(LOW)
    return values.reshape(shape)


def fill_parameters(model, rng, name, tensors):
    """Sets every parameter to float32 values from `rng`, records them as `name`.<parameter>, and returns the model in
    float64 for the reference computation."""
    with torch.no_grad():
        for pname, p in model.named_parameters():
            values = uniform_float32(rng, tuple(p.shape))
            p.copy_(torch.from_numpy(values))
            tensors.append((f"{name}.{pname}", values))
    return model.double()


def entry(array):
    array = np.asarray(array)
    data = ", ".join(repr(float(v)) for v in array.reshape(-1))
    return '{"shape": [' + ", ".join(str(d) for d in array.shape) + '], "data": [' + data + "]}"


def write_fixture(path, header, tensors):
    """The header's fields, then every tensor on one line; checked to parse before it is written."""
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "tensors": {')
    for i, (tname, array) in enumerate(tensors):
        comma = "," if i < len(tensors) - 1 else ""
        lines.append(f"    {json.dumps(tname)}: {entry(array)}{comma}")
    lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {path}: {len(tensors)} tensors, {len(text)} bytes", file=sys.stderr)


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    tensors = []
    cases = []
    for cell, head in CASES:
        name = f"{cell}_{head}"
        model = Network(cell, head)
        x32 = uniform_float32(rng, (BATCH, STEPS, INPUT_SIZE))
        model = fill_parameters(model, rng, name, tensors)
        x = torch.from_numpy(x32.astype(np.float64)).requires_grad_(True)
        y = model(x)
        rows = BATCH * STEPS if head.endswith("every_step") else BATCH
        if head.startswith("classify"):
            labels = rng.integers(0, OUTPUTS, size=rows)
            targets = torch.from_numpy(labels)
            loss = torch.nn.functional.cross_entropy(y.reshape(rows, OUTPUTS), targets)
            tensors.append((f"{name}.labels", labels.astype(np.float64)))
            results = torch.softmax(y, dim=-1)
        else:
            t32 = uniform_float32(rng, tuple(y.shape))
            loss = torch.nn.functional.mse_loss(y, torch.from_numpy(t32.astype(np.float64)))
            tensors.append((f"{name}.targets", t32))
            results = y
        loss.backward()
        tensors.append((f"{name}.x", x32))
        tensors.append((f"{name}.results", results.detach().numpy()))
        tensors.append((f"{name}.loss", np.array([loss.item()])))
        for pname, p in model.named_parameters():
            tensors.append((f"{name}.grad.{pname}", p.grad.numpy().copy()))
        tensors.append((f"{name}.grad.x", x.grad.numpy().copy()))
        cases.append({"name": name, "cell": cell, "head": head})

    header = {
        "description": "PyTorch nn.LSTM/nn.GRU(batch_first=True) -> nn.Linear with per-step classification (cross_entropy, "
        "mean over B*T rows) and regression (mse_loss, mean) heads; reference values for EdgeLstm. Inputs, parameters and "
        "targets are float32 values; everything else was computed in float64. results are batch-major softmax "
        "probabilities (classifiers) or outputs (regressions); labels are batch-major [B*T].",
        "generator": "tools/golden/make_head_golden.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": SEED,
        "config": {"input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE, "layers": LAYERS, "outputs": OUTPUTS,
                   "steps": STEPS, "batch": BATCH},
        "cases": cases,
    }
    write_fixture(OUTPUT, header, tensors)

if __name__ == "__main__":
    main()
