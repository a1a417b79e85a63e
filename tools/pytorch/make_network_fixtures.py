#!/usr/bin/python3
"""Writes the PyTorch-made fixtures of EdgeLstm's version-2 and version-3 (int8) model files, checked by
tests/EdgeLstm.Tests/PyTorch/PyTorchNetworkFileTests.cs and PyTorchInt8FileTests.cs (which need no Python):

  Fixtures/pytorch_<case>.safetensors   three networks built and briefly trained in PyTorch, saved with
      edgelstm_torch.save (format_version 2): a GRU classifying every step, an LSTM regressing every step and a GRU
      regressing its last step;
  Fixtures/pytorch_networks.json        for each: a padded batch with lengths [T, 1, ...], and PyTorch's results for
      it (probabilities or outputs, eval mode, pack_padded_sequence; per-step rows past a length are zeros);
  Fixtures/pytorch_int8_gru.safetensors the GRU classifier with a few weight rows set to hard cases (values on a
      rounding tie after the reciprocal, rows of zeros, a row whose scale is subnormal), saved with
      edgelstm_torch.save(quantize=True) (format_version 3); its fp32 original is pytorch_int8_gru.fp32.safetensors.

    /usr/bin/python3 tools/pytorch/make_network_fixtures.py      (writes the same bytes each time)
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgelstm_torch as et  # noqa: E402

SEED = 20261130
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures")
INPUT_SIZE, HIDDEN, LAYERS, OUTPUTS, STEPS = 4, 9, 2, 3, 6
LENGTHS = [6, 1, 4, 2, 5]
CASES = [("gru_every_step", "gru", "classify_every_step"), ("lstm_regress_every_step", "lstm", "regress_every_step"),
         ("gru_regress_last_step", "gru", "regress_last_step")]


def train_briefly(model, x, lengths):
    """A few Adam steps on random targets, so the weights are PyTorch-trained rather than an initialisation."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    batch = x.shape[0]
    model.train()
    for _ in range(20):
        optimizer.zero_grad()
        y = model(x, lengths)
        if model.regresses:
            target = torch.linspace(-1, 1, y.numel()).reshape(y.shape)
            loss = torch.nn.functional.mse_loss(y, target)
        else:
            labels = torch.arange(y.numel() // OUTPUTS).remainder(OUTPUTS).reshape(y.shape[:-1])
            loss = torch.nn.functional.cross_entropy(y.reshape(-1, OUTPUTS), labels.reshape(-1))
        loss.backward()
        optimizer.step()
    assert batch == len(lengths)
    return model.eval()


def hard_rows(model):
    """Rows that test the quantiser's edges, set in the fp32 weights: ties, zeros and a subnormal scale."""
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        w = model.gru.weight_hh_l0  # [3H, H]
        for row in range(0, 12):
            s = float(torch.rand(1, generator=g)) * 0.05 + 1e-3
            k = torch.randint(-126, 126, (w.shape[1],), generator=g).float()
            w[row] = ((k + 0.5) * s).to(torch.float32)
            w[row, 0] = 127 * s
        w[12].zero_()
        model.gru.weight_ih_l1[3].zero_()
        model.fc.weight[1].zero_()
        tiny = np.float32(1.4e-45)
        w[13] = torch.from_numpy(np.array([1016, -508, 0, 1, 3, -2, 0, 0, 7][:w.shape[1]], dtype=np.float32) * tiny)
    return model


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    lengths = torch.tensor(LENGTHS)
    fixture = {"description": "Networks built and trained in PyTorch (tools/pytorch/make_network_fixtures.py), saved with "
               "edgelstm_torch.save as format_version 2; inputs [B, T, I] float32 (padding after each length holds "
               "arbitrary values); results are PyTorch's probabilities (classifiers) or outputs (regressions) in eval "
               "mode through pack_padded_sequence, batch-major, per-step rows past a length zeros.",
               "generator": "tools/pytorch/make_network_fixtures.py", "torch_version": torch.__version__,
               "lengths": LENGTHS, "steps": STEPS, "cases": []}
    for name, cell, head in CASES:
        model = et.EdgeLstmClassifier(INPUT_SIZE, HIDDEN, LAYERS, OUTPUTS, STEPS, keep_prob=0.9, cell=cell, head=head)
        x = torch.from_numpy(rng.uniform(-1, 1, (len(LENGTHS), STEPS, INPUT_SIZE)).astype(np.float32))
        train_briefly(model, x, lengths)
        path = os.path.join(FIXTURES, f"pytorch_{name}.safetensors")
        et.save(model, path, {"train.generator": "tools/pytorch/make_network_fixtures.py"})
        reloaded = et.load(path)
        results = reloaded.probabilities(x, lengths)
        assert torch.equal(results, model.probabilities(x, lengths))
        fixture["cases"].append({"name": name, "model": os.path.basename(path), "cell": cell, "head": head,
                                 "inputs": [float(v) for v in x.numpy().reshape(-1)],
                                 "results": [float(v) for v in results.numpy().reshape(-1)]})
        if name == "gru_every_step":
            hard = hard_rows(et.load(path))
            et.save(hard, os.path.join(FIXTURES, "pytorch_int8_gru.fp32.safetensors"), {"train.generator": "tools/pytorch/make_network_fixtures.py"})
            et.save(hard, os.path.join(FIXTURES, "pytorch_int8_gru.safetensors"), {"train.generator": "tools/pytorch/make_network_fixtures.py"}, quantize=True)
            q, scales = et.load(os.path.join(FIXTURES, "pytorch_int8_gru.safetensors")).int8_weights["gru.weight_hh_l0"]
            print(f"int8 fixture: weight_hh_l0 scales[12:14] = {scales[12:14]}, row 13 = {q[13]}", file=sys.stderr)
    with open(os.path.join(FIXTURES, "pytorch_networks.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote the fixtures to", FIXTURES, file=sys.stderr)


if __name__ == "__main__":
    main()
