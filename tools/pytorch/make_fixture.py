#!/usr/bin/python3
"""Writes the PyTorch-made fixture for EdgeLstm's tests (tests/EdgeLstm.Tests/PyTorch/PyTorchModelFileTests.cs):

  tests/EdgeLstm.Tests/Fixtures/pytorch_classifier.safetensors  a small classifier trained in PyTorch on the first
      TRAIN_COUNT bundled MNIST training images, saved with edgelstm_torch.save;
  tests/EdgeLstm.Tests/Fixtures/pytorch_classifier.json  the first INPUT_COUNT test images (float32 values, as
      EdgeLstm scales pixels), PyTorch's probabilities for them (float32 model, eval mode), and how many of the first
      ACCURACY_COUNT test images PyTorch classifies correctly.

Needs only Debian's python3-torch and python3-numpy:  /usr/bin/python3 tools/pytorch/make_fixture.py
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgelstm_torch as et  # noqa: E402

SEED = 7
HIDDEN, LAYERS, KEEP_PROB = 16, 2, 0.9
TRAIN_COUNT, EPOCHS, BATCH, LEARNING_RATE = 1000, 6, 32, 1e-2
INPUT_COUNT, ACCURACY_COUNT = 8, 1000

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures")


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    data = os.path.join(REPO, "data", "mnist")
    train_x, train_y = et.load_mnist(data, "train")
    test_x, test_y = et.load_mnist(data, "test")
    x, y = torch.from_numpy(train_x[:TRAIN_COUNT]), torch.from_numpy(train_y[:TRAIN_COUNT])

    model = et.EdgeLstmClassifier(input_size=28, hidden_size=HIDDEN, num_layers=LAYERS, num_classes=10, steps=28,
                                  keep_prob=KEEP_PROB).init_like_edgelstm()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(TRAIN_COUNT)
        for start in range(0, TRAIN_COUNT, BATCH):
            batch = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = et.recipe_loss(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}", file=sys.stderr)

    model.eval()
    probabilities = model.probabilities(test_x[:INPUT_COUNT]).numpy()
    correct = int((model.probabilities(test_x[:ACCURACY_COUNT]).argmax(dim=1).numpy() == test_y[:ACCURACY_COUNT]).sum())
    print(f"PyTorch: {correct} of the first {ACCURACY_COUNT} test images right", file=sys.stderr)

    model_path = os.path.join(FIXTURES, "pytorch_classifier.safetensors")
    et.save(model, model_path, {"train.data": "first 1000 images of bundled MNIST (PyTorch)",
                                "train.generator": "tools/pytorch/make_fixture.py"})
    reloaded = et.load(model_path)
    assert np.array_equal(reloaded.probabilities(test_x[:INPUT_COUNT]).numpy(), probabilities)

    def floats(array):
        return [float(v) for v in np.asarray(array, dtype=np.float32).reshape(-1)]

    fixture = {
        "description": "A classifier trained in PyTorch (tools/pytorch/make_fixture.py), saved with edgelstm_torch.save "
        "to pytorch_classifier.safetensors; inputs are the first test images of the bundled MNIST as float32 "
        "[count, 28, 28] (byte * float32(1/255)); probabilities are PyTorch's (float32, eval mode) for them.",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "model": "pytorch_classifier.safetensors",
        "count": INPUT_COUNT,
        "labels": [int(v) for v in test_y[:INPUT_COUNT]],
        "inputs": floats(test_x[:INPUT_COUNT]),
        "probabilities": floats(probabilities),
        "accuracy_count": ACCURACY_COUNT,
        "accuracy_correct": correct,
    }
    with open(os.path.join(FIXTURES, "pytorch_classifier.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {model_path} ({os.path.getsize(model_path)} bytes) and pytorch_classifier.json", file=sys.stderr)


if __name__ == "__main__":
    main()
