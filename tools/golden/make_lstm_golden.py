#!/usr/bin/python3
"""Writes tests/EdgeLstm.Tests/Fixtures/lstm_golden.json (or, with --cell gru, gru_golden.json): PyTorch nn.LSTM
(nn.GRU) reference values for EdgeLstm's tests.

A small stacked recurrent classifier (nn.LSTM or nn.GRU (batch_first=True) -> last step's top-layer output -> nn.Linear) with
parameters and inputs drawn as float32 from a fixed seed, so that they are exactly representable in float32, the
precision EdgeLstm computes in. Everything derived from them (forward values, gradients, Adam steps) is computed in
float64 (model.double()), so the golden values are as exact as the algorithm allows.

Needs only Debian's python3-torch and python3-numpy and the standard library:
    /usr/bin/python3 tools/golden/make_lstm_golden.py              # nn.LSTM -> lstm_golden.json
    /usr/bin/python3 tools/golden/make_lstm_golden.py --cell gru   # nn.GRU  -> gru_golden.json
"""

import json
import os
import sys

import numpy as np
import torch
from torch import nn

SEED = 20240531
INPUT_SIZE, HIDDEN_SIZE, LAYERS, CLASSES, STEPS, BATCH = 5, 7, 2, 3, 4, 3
LABELS = [0, 2, 1]
LOW, HIGH = -0.6, 0.6
LEARNING_RATE = 0.01
BETAS = (0.9, 0.999)
EPS = 1e-8

CELL = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--cell" else "lstm"
if len(sys.argv) not in (1, 3) or CELL not in ("lstm", "gru"):
    sys.exit("usage: make_lstm_golden.py [--cell lstm|gru]")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures", f"{CELL}_golden.json")


class Classifier(nn.Module):
    """The reference recipe's model: the attribute names (lstm or gru, fc) make the state_dict names EdgeLstm uses."""

    def __init__(self):
        super().__init__()
        module = nn.LSTM if CELL == "lstm" else nn.GRU
        setattr(self, CELL, module(INPUT_SIZE, HIDDEN_SIZE, num_layers=LAYERS, batch_first=True))
        self.fc = nn.Linear(HIDDEN_SIZE, CLASSES)

    def forward(self, x):
        """outputs, h_n, c_n (None for a GRU, which has no cell state) and the logits."""
        if CELL == "lstm":
            outputs, (h_n, c_n) = self.lstm(x)
        else:
            outputs, h_n = self.gru(x)
            c_n = None
        logits = self.fc(outputs[:, -1, :])
        return outputs, h_n, c_n, logits


def uniform_float32(rng, shape):
    """Uniform(LOW, HIGH) computed in float32, so every value is a float32."""
    u = rng.random(int(np.prod(shape)), dtype=np.float32)
    values = u * np.float32(HIGH - LOW) + np.float32(LOW)
    assert values.dtype == np.float32
    return values.reshape(shape)


def recipe_loss(logits, labels):
    """-mean over batch AND classes of onehot(y) * log_softmax(logits): the reference recipe's loss."""
    onehot = torch.nn.functional.one_hot(labels, CLASSES).to(logits.dtype)
    return -(onehot * torch.log_softmax(logits, dim=1)).mean()


def tensor_entry(array, float32_values):
    """One tensor as {"shape": [...], "data": [...]}, row-major. Every number is written as the shortest text that
    reads back as the same double; a float32 value (inputs, parameters) is written as the double it equals exactly,
    so a reader can check that it is a float32."""
    array = np.asarray(array)
    assert array.dtype == (np.float32 if float32_values else np.float64), array.dtype
    data = ", ".join(repr(float(v)) for v in array.reshape(-1))
    return '{"shape": [' + ", ".join(str(d) for d in array.shape) + '], "data": [' + data + "]}"


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = Classifier()
    names = [name for name, _ in model.named_parameters()]
    expected = []
    for layer in range(LAYERS):
        expected += [f"{CELL}.{kind}_l{layer}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    expected += ["fc.weight", "fc.bias"]
    assert names == expected, names

    x32 = uniform_float32(rng, (BATCH, STEPS, INPUT_SIZE))
    params32 = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            params32[name] = uniform_float32(rng, tuple(p.shape))
            p.copy_(torch.from_numpy(params32[name]))

    model = model.double()
    for name, p in model.named_parameters():
        assert np.array_equal(p.detach().numpy(), params32[name].astype(np.float64)), name

    labels = torch.tensor(LABELS, dtype=torch.long)
    x = torch.from_numpy(x32.astype(np.float64)).requires_grad_(True)

    tensors = []  # (name, array, holds float32 values)
    tensors.append(("x", x32, True))
    for name in names:
        tensors.append((name, params32[name], True))

    outputs, h_n, c_n, logits = model(x)
    loss = recipe_loss(logits, labels)
    loss_mean_over_batch = torch.nn.functional.cross_entropy(logits, labels)
    model.zero_grad()
    loss.backward()
    tensors += [
        ("outputs", outputs.detach().transpose(0, 1).contiguous().numpy(), False),  # [B,T,H] -> time-major [T,B,H]
        ("h_n", h_n.detach().numpy(), False),
    ]
    if c_n is not None:
        tensors.append(("c_n", c_n.detach().numpy(), False))
    tensors += [
        ("logits", logits.detach().numpy(), False),
        ("probabilities", torch.softmax(logits, dim=1).detach().numpy(), False),
        ("loss", np.array([loss.item()]), False),
        ("loss_mean_over_batch", np.array([loss_mean_over_batch.item()]), False),
    ]
    for name, p in model.named_parameters():
        tensors.append(("grad." + name, p.grad.numpy().copy(), False))
    tensors.append(("grad.x", x.grad.numpy().copy(), False))

    # Two Adam steps on the recipe loss, same batch, gradients recomputed at the new parameters.
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=BETAS, eps=EPS)
    optimizer.step()  # gradients from the backward above
    for name, p in model.named_parameters():
        tensors.append(("adam1." + name, p.detach().numpy().copy(), False))
    optimizer.zero_grad()
    loss_after_adam1 = recipe_loss(model(x.detach())[3], labels)
    loss_after_adam1.backward()
    tensors.append(("adam1.loss", np.array([loss_after_adam1.item()]), False))
    optimizer.step()
    for name, p in model.named_parameters():
        tensors.append(("adam2." + name, p.detach().numpy().copy(), False))

    smallest = min(float(np.abs(p.grad.numpy()).min()) for p in model.parameters())
    print(f"smallest |gradient| at the second step: {smallest:.3g} (Adam's eps is {EPS})", file=sys.stderr)

    header = {
        "description": f"PyTorch nn.{CELL.upper()}(batch_first=True) -> nn.Linear on the last step; reference values for EdgeLstm. "
        "Inputs and parameters are float32 values; everything else was computed in float64. Tensors are row-major; "
        "outputs is time-major [T,B,H]; loss is -mean over batch and classes of onehot(y)*log_softmax(logits); "
        "grad.* are gradients of that loss; adam1.*/adam2.* are the parameters after one/two Adam steps on it; "
        "adam1.loss is that loss at the parameters after one step.",
        "generator": "tools/golden/make_lstm_golden.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": SEED,
        "config": {"cell": CELL, "input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE, "layers": LAYERS, "classes": CLASSES,
                   "steps": STEPS, "batch": BATCH},
        "labels": LABELS,
        "adam": {"lr": LEARNING_RATE, "betas": list(BETAS), "eps": EPS},
    }
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "tensors": {')
    for i, (name, array, float32_values) in enumerate(tensors):
        comma = "," if i < len(tensors) - 1 else ""
        lines.append(f"    {json.dumps(name)}: {tensor_entry(array, float32_values)}{comma}")
    lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {OUTPUT}: {len(tensors)} tensors, {len(text)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
