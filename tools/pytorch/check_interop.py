#!/usr/bin/python3
"""Checks the PyTorch <-> EdgeLstm round trip with the real `edgelstm` CLI. Every check is one counted test; the last
line is "N passed, N failed" and the exit code is non-zero on any failure (tools/test.d/40-pytorch.sh runs it).

  1. EdgeLstm -> PyTorch: `edgelstm train` (2x16, 200 iterations on 1000 images) writes a model; edgelstm_torch.load
     reads it and gives the probabilities `edgelstm predict` prints (4 decimals) for test images, the same classes,
     and the same number of right answers as `edgelstm evaluate` on 1000 test images.
  2. The CLI both ways: `import` to a torch state_dict and `export` back gives the same tensors, and EdgeLstm
     evaluates the re-exported file exactly as the original.
  3. A file claiming a newer format_version is refused by both sides with a message saying so.
  4. Fine-tuning continuity: `edgelstm train --init` from the PyTorch-trained fixture model starts at its accuracy
     (the first reported batch accuracy), where a fresh model starts near chance, and after 200 iterations the test
     accuracy has not dropped.

    /usr/bin/python3 tools/pytorch/check_interop.py [--edgelstm "COMMAND"]
The default command runs the built CLI: dotnet src/EdgeLstm.Cli/bin/Release/net10.0/EdgeLstm.Cli.dll (build first).
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edgelstm_torch as et  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE_MODEL = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures", "pytorch_classifier.safetensors")
TRAIN_COUNT, TEST_COUNT = 1000, 1000
# `edgelstm predict` prints 4 decimals: half a unit of the last digit, plus float32 differences (~1e-7).
PRINT_TOLERANCE = 0.5e-4 + 1e-6

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS  {name}{': ' + detail if detail else ''}")
    else:
        failed += 1
        print(f"FAIL  {name}{': ' + detail if detail else ''}")


def main():
    parser = argparse.ArgumentParser()
    default_cli = "dotnet " + os.path.join(REPO, "src", "EdgeLstm.Cli", "bin", "Release", "net10.0", "EdgeLstm.Cli.dll")
    parser.add_argument("--edgelstm", default=os.environ.get("EDGELSTM", default_cli), help="how to run the CLI")
    args = parser.parse_args()
    cli = shlex.split(args.edgelstm)
    torch.set_num_threads(1)

    def edgelstm(*arguments):
        result = subprocess.run(cli + [str(a) for a in arguments], capture_output=True, text=True)
        return result.returncode, result.stdout + result.stderr

    with tempfile.TemporaryDirectory(prefix="edgelstm-torch-") as work:
        data = os.path.join(work, "data")
        et.write_mnist_subset(et.default_data_directory(), data, TRAIN_COUNT, TEST_COUNT)
        test_x, test_y = et.load_mnist(data, "test")
        train_x, train_y = et.load_mnist(data, "train")

        # 1. EdgeLstm -> PyTorch
        ours = os.path.join(work, "ours.safetensors")
        code, out = edgelstm("train", "--data", data, "--hidden", 16, "--layers", 2, "--iterations", 200,
                             "--batch-size", 50, "--keep-prob", 0.9, "--lr", 0.01, "--seed", 3, "--threads", 1, "--out", ours)
        check("edgelstm train writes a model", code == 0 and os.path.exists(ours), "" if code == 0 else out[-400:])
        if code != 0:
            return
        model = et.load(ours)
        check("the architecture and keep probability come from the metadata",
              (model.config() | {"keep_prob": round(model.keep_prob, 6)}) == {"input_size": 28, "hidden_size": 16, "num_layers": 2,
                                                                            "num_classes": 10, "steps": 28, "keep_prob": 0.9},
              str(model.config()))
        worst = 0.0
        for index in range(5):
            code, out = edgelstm("predict", ours, "--index", index, "--data", data, "--threads", 1)
            printed = [float(v) for v in re.findall(r"^\s*\d+\s+(\d\.\d{4})", out, re.MULTILINE)]
            cls = re.search(r"^class: (\d+)", out, re.MULTILINE)
            mine = model.probabilities(test_x[index:index + 1])[0].numpy()
            ok = code == 0 and len(printed) == 10 and cls is not None and int(cls.group(1)) == int(mine.argmax())
            difference = float(np.abs(np.array(printed) - mine).max()) if len(printed) == 10 else float("inf")
            worst = max(worst, difference)
            check(f"test image {index}: PyTorch's probabilities are edgelstm predict's", ok and difference <= PRINT_TOLERANCE,
                  f"class {int(mine.argmax())}, max |printed - PyTorch| = {difference:.2g}")
        code, out = edgelstm("evaluate", ours, "--data", data, "--threads", 1)
        found = re.search(r"\((\d+) of (\d+) correct", out)
        right = int((model.probabilities(test_x).argmax(dim=1).numpy() == test_y).sum())
        check("edgelstm evaluate and PyTorch get the same test images right",
              code == 0 and found is not None and (int(found.group(1)), int(found.group(2))) == (right, TEST_COUNT),
              f"EdgeLstm {found.group(1) if found else '?'}, PyTorch {right} of {TEST_COUNT}")
        print(f"max |edgelstm predict (4 decimals) - PyTorch| over 5 images: {worst:.2g}")

        # 2. the CLI both ways
        state = os.path.join(work, "ours.pt")
        back = os.path.join(work, "back.safetensors")
        run = [sys.executable, os.path.join(REPO, "tools", "pytorch", "edgelstm_torch.py")]
        first = subprocess.run(run + ["import", ours, state], capture_output=True, text=True)
        second = subprocess.run(run + ["export", state, back, "--keep-prob", "0.9"], capture_output=True, text=True)
        same = False
        if first.returncode == 0 and second.returncode == 0:
            _, a = et.read_safetensors(ours)
            _, b = et.read_safetensors(back)
            same = a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        check("import then export keeps every tensor bit for bit", same, (first.stderr + second.stderr).strip())
        code_a, out_a = edgelstm("evaluate", ours, "--data", data, "--threads", 1)
        code_b, out_b = edgelstm("evaluate", back, "--data", data, "--threads", 1)
        strip = lambda text: [line for line in text.splitlines() if ".safetensors" not in line]  # noqa: E731
        check("EdgeLstm evaluates the re-exported file as the original", code_a == code_b == 0 and strip(out_a) == strip(out_b))

        # 3. a newer format version is refused
        newer = os.path.join(work, "newer.safetensors")
        with open(ours, "rb") as f:
            content = f.read()
        marker = b'"format_version":"1"'
        check("the model file records format_version 1", content.count(marker) == 1)
        with open(newer, "wb") as f:
            # One past the highest version EdgeLstm reads (2: GRU cells and other heads); the module reads only 1.
            f.write(content.replace(marker, b'"format_version":"3"'))
        try:
            et.load(newer)
            message = "loaded"
        except et.ModelFormatError as e:
            message = str(e)
        check("the Python module refuses a newer format_version", "newer EdgeLstm" in message, message)
        code, out = edgelstm("predict", newer, "--index", 0, "--data", data)
        check("EdgeLstm refuses a newer format_version", code != 0 and "newer EdgeLstm" in out, out.strip().splitlines()[-1] if out.strip() else "")

        # 4. fine-tuning continuity from a PyTorch-trained model
        pytorch_model = et.load(FIXTURE_MODEL)
        train_accuracy = float((pytorch_model.probabilities(train_x).argmax(dim=1).numpy() == train_y).mean())
        test_right = int((pytorch_model.probabilities(test_x).argmax(dim=1).numpy() == test_y).sum())

        def first_and_final(*extra):
            code, out = edgelstm("train", "--data", data, "--iterations", 200, "--batch-size", 50, "--keep-prob", 0.9,
                                 "--lr", 0.001, "--seed", 5, "--threads", 1, "--out", os.path.join(work, "tuned.safetensors"), *extra)
            reports = [float(v) for v in re.findall(r"train iteration \d+ train accur ([0-9.]+)", out)]
            final = re.search(r"test accur [0-9.]+\s+\((\d+) of", out)
            if code != 0 or not reports or final is None:
                print(out[-600:])
                return None, None
            return reports[0], int(final.group(1))

        first, final = first_and_final("--init", FIXTURE_MODEL)
        fresh_first, _ = first_and_final("--hidden", 16, "--layers", 2)
        print(f"PyTorch-trained model: train-subset accuracy {train_accuracy:.3f}, {test_right} of {TEST_COUNT} test images right; "
              f"--init: first batch accuracy {first}, after 200 iterations {final} right; fresh model: first batch {fresh_first}")
        # A batch of 50 drawn from images the model gets right with probability p: 3 standard deviations below p.
        floor = train_accuracy - 3 * np.sqrt(train_accuracy * (1 - train_accuracy) / 50)
        check("--init from a PyTorch model starts at its accuracy (first batch)", first is not None and first >= floor,
              f"{first} >= {floor:.3f}")
        check("a fresh model starts far below it (the weights came through)", fresh_first is not None and fresh_first < floor)
        check("after fine-tuning the test accuracy has not dropped", final is not None and final >= test_right,
              f"{final} >= {test_right} of {TEST_COUNT}")


if __name__ == "__main__":
    try:
        main()
    finally:
        print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)
