#!/usr/bin/python3
"""Writes tests/EdgeLstm.Tests/Fixtures/packed_golden.json: PyTorch reference values for variable-length batches.

Each case is a small nn.LSTM or nn.GRU (batch_first=True) -> nn.Linear run on a padded batch through
pack_padded_sequence(lengths, enforce_sorted=False), with lengths [4, 1, 3] of T = 4 steps (a full-length sample, a
length-1 sample, and one in between), every head on both cells (LSTM and GRU):
  classify_last_step   the Linear on h_n of the top layer (each sample's own last step), F.cross_entropy (mean over B);
  classify_every_step  the Linear on the packed outputs (real steps only), F.cross_entropy (mean over the real steps);
  regress_last_step    the Linear on h_n of the top layer, F.mse_loss (mean over B*K);
  regress_every_step   the Linear on the packed outputs, F.mse_loss against the packed targets (mean over real steps * K).
Each case also holds the top layer's outputs from pad_packed_sequence (zeros past a sample's length) and h_n.
The padded steps of x, labels and targets hold arbitrary values, which PyTorch never reads. Inputs, parameters and
targets are float32 values from a fixed seed; everything else is computed in float64.
    /usr/bin/python3 tools/golden/make_packed_golden.py
"""

import os

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from make_head_golden import Network, fill_parameters, uniform_float32, write_fixture

SEED = 20261130
INPUT_SIZE, HIDDEN_SIZE, LAYERS, OUTPUTS, STEPS = 5, 7, 2, 3, 4
LENGTHS = [4, 1, 3]
BATCH = len(LENGTHS)
CASES = [("lstm", "classify_last_step"), ("gru", "classify_last_step"), ("lstm", "classify_every_step"),
         ("gru", "classify_every_step"), ("lstm", "regress_last_step"), ("gru", "regress_every_step"),
         ("gru", "regress_last_step"), ("lstm", "regress_every_step")]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures", "packed_golden.json")


class PackedNetwork(Network):
    """make_head_golden's network (nn.LSTM or nn.GRU as `lstm`/`gru`, then `fc`) on packed sequences."""

    def forward(self, x, lengths):
        """The head's outputs ([B, K] for a last-step head; for a per-step head the packed rows and the padded
        [B, T, K]), the top layer's outputs as pad_packed_sequence gives them [B, T, H] (zeros past a sample's length)
        and h_n [L, B, H]."""
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, state = getattr(self, self.cell)(packed)
        h_n = state[0] if self.cell == "lstm" else state
        padded, _ = pad_packed_sequence(outputs, batch_first=True, total_length=STEPS)
        if self.head.endswith("last_step"):
            return self.fc(h_n[-1]), None, padded, h_n
        return self.fc(outputs.data), self.fc(padded), padded, h_n


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    lengths = torch.tensor(LENGTHS)
    tensors = [("lengths", np.array(LENGTHS, dtype=np.float64))]
    cases = []
    for cell, head in CASES:
        name = f"{cell}_{head}"
        model = PackedNetwork(cell, head)
        x32 = uniform_float32(rng, (BATCH, STEPS, INPUT_SIZE))
        model = fill_parameters(model, rng, name, tensors)
        x = torch.from_numpy(x32.astype(np.float64)).requires_grad_(True)
        y, padded, top, h_n = model(x, lengths)
        every = head.endswith("every_step")
        shape = (BATCH, STEPS) if every else (BATCH,)
        if head.startswith("classify"):
            labels = rng.integers(0, OUTPUTS, size=shape)
            target = torch.from_numpy(labels)
            if every:
                target = pack_padded_sequence(target, lengths, batch_first=True, enforce_sorted=False).data
            loss = torch.nn.functional.cross_entropy(y, target)
            tensors.append((f"{name}.labels", labels.reshape(-1).astype(np.float64)))
            results = torch.softmax(padded if every else y, dim=-1)
        else:
            t32 = uniform_float32(rng, shape + (OUTPUTS,))
            target = torch.from_numpy(t32.astype(np.float64))
            if every:
                target = pack_padded_sequence(target, lengths, batch_first=True, enforce_sorted=False).data
            loss = torch.nn.functional.mse_loss(y, target)
            tensors.append((f"{name}.targets", t32))
            results = padded if every else y
        loss.backward()
        tensors.append((f"{name}.x", x32))
        tensors.append((f"{name}.results", results.detach().numpy()))
        tensors.append((f"{name}.loss", np.array([loss.item()])))
        tensors.append((f"{name}.outputs", top.detach().numpy()))
        tensors.append((f"{name}.h_n", h_n.detach().numpy()))
        for pname, p in model.named_parameters():
            tensors.append((f"{name}.grad.{pname}", p.grad.numpy().copy()))
        tensors.append((f"{name}.grad.x", x.grad.numpy().copy()))
        cases.append({"name": name, "cell": cell, "head": head})

    header = {
        "description": "PyTorch nn.LSTM/nn.GRU(batch_first=True) -> nn.Linear on pack_padded_sequence(lengths, "
        "enforce_sorted=False) batches; reference values for EdgeLstm's variable-length batches. Last-step heads read the "
        "top layer's h_n; per-step heads' losses are means over the real steps only. results are batch-major softmax "
        "probabilities or outputs; for per-step heads only rows t < length are defined (padded rows are fc(0)). outputs are "
        "the top layer's outputs from pad_packed_sequence [B, T, H], zeros past each sample's length; h_n is [L, B, H]. "
        "Inputs, parameters and targets are float32 values; everything else was computed in float64.",
        "generator": "tools/golden/make_packed_golden.py",
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
