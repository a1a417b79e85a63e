#!/usr/bin/python3
"""Checks the PyTorch <-> EdgeLstm round trip with the real `edgelstm` CLI. Every check is one counted test; the last
line is "N passed, N failed" and the exit code is non-zero on any failure (tools/test.d/40-pytorch.sh runs it).

  1. EdgeLstm -> PyTorch: `edgelstm train` (2x16, 200 iterations on 1000 images) writes a model; edgelstm_torch.load
     reads it and gives the probabilities `edgelstm predict` prints (4 decimals) for test images, the same classes,
     and the same number of right answers as `edgelstm evaluate` on 1000 test images. The same for
     `edgelstm train --cell gru` (format_version 2, nn.GRU).
  2. The CLI both ways: `import` to a torch state_dict and `export` back gives the same tensors (LSTM and GRU), and
     EdgeLstm evaluates the re-exported file exactly as the original.
  3. A file claiming a newer format_version (4: 3 is int8) is refused by both sides with a message saying so.
  4. Fine-tuning continuity: `edgelstm train --init` from the PyTorch-trained fixture model starts at its accuracy
     (the first reported batch accuracy), where a fresh model starts near chance, and after 200 iterations the test
     accuracy has not dropped.
  5. PyTorch -> EdgeLstm for the other networks: a GRU classifier built and trained here in PyTorch and written by the
     module gives in `edgelstm predict`/`evaluate` PyTorch's probabilities and right answers; the committed version-2
     fixtures (GRU per-step classes, LSTM per-step regression, GRU last-step regression, variable lengths; EdgeLstm's
     side is tests/EdgeLstm.Tests/PyTorch/PyTorchNetworkFileTests.cs) are what the module computes today.
  6. Int8 (format_version 3): the module's quantiser is torch.quantize_per_channel's and the committed golden
     (tests/EdgeLstm.Tests/Fixtures/int8_torch_golden.safetensors) bit for bit; an int8 file it writes loads back
     dequantised to the same numbers; EdgeLstm's int8 file (`edgelstm quantize`) of the same model holds the
     same tensors bit for bit and `edgelstm predict` on the module's int8 file prints the module's probabilities.

    /usr/bin/python3 tools/pytorch/check_interop.py [--edgelstm "COMMAND"]
The default command runs the built CLI: dotnet src/EdgeLstm.Cli/bin/Release/net10.0/EdgeLstm.Cli.dll (build first).
"""

import argparse
import json
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
FIXTURES = os.path.join(REPO, "tests", "EdgeLstm.Tests", "Fixtures")
FIXTURE_MODEL = os.path.join(FIXTURES, "pytorch_classifier.safetensors")
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

        # 1. EdgeLstm -> PyTorch, for an LSTM (format_version 1) and a GRU (format_version 2)
        def agrees_with_cli(model, path, what, tolerance=PRINT_TOLERANCE, slack=0):
            """PyTorch's probabilities are `edgelstm predict`'s for 5 test images (and its class, unless a tolerance is
            given), and its right answers evaluate's (within `slack` images)."""
            worst = 0.0
            for index in range(5):
                code, out = edgelstm("predict", path, "--index", index, "--data", data, "--threads", 1)
                printed = [float(v) for v in re.findall(r"^\s*\d+\s+(\d\.\d{4})", out, re.MULTILINE)]
                cls = re.search(r"^class: (\d+)", out, re.MULTILINE)
                mine = model.probabilities(test_x[index:index + 1])[0].numpy()
                ok = code == 0 and len(printed) == 10 and cls is not None and (slack > 0 or int(cls.group(1)) == int(mine.argmax()))
                difference = float(np.abs(np.array(printed) - mine).max()) if len(printed) == 10 else float("inf")
                worst = max(worst, difference)
                check(f"{what}, test image {index}: PyTorch's probabilities are edgelstm predict's", ok and difference <= tolerance,
                      f"class {int(mine.argmax())}, max |printed - PyTorch| = {difference:.2g}" + ("" if code == 0 else " " + out[-300:]))
            code, out = edgelstm("evaluate", path, "--data", data, "--threads", 1)
            found = re.search(r"\((\d+) of (\d+) correct", out)
            right = int((model.probabilities(test_x).argmax(dim=1).numpy() == test_y).sum())
            check(f"{what}: edgelstm evaluate and PyTorch get the same test images right",
                  code == 0 and found is not None and abs(int(found.group(1)) - right) <= slack and int(found.group(2)) == TEST_COUNT,
                  f"EdgeLstm {found.group(1) if found else '?'}, PyTorch {right} of {TEST_COUNT}")
            print(f"{what}: max |edgelstm predict (4 decimals) - PyTorch| over 5 images: {worst:.2g}")

        ours = os.path.join(work, "ours.safetensors")
        code, out = edgelstm("train", "--data", data, "--hidden", 16, "--layers", 2, "--iterations", 200,
                             "--batch-size", 50, "--keep-prob", 0.9, "--lr", 0.01, "--seed", 3, "--threads", 1, "--out", ours)
        check("edgelstm train writes a model", code == 0 and os.path.exists(ours), "" if code == 0 else out[-400:])
        if code != 0:
            return
        model = et.load(ours)
        check("the architecture and keep probability come from the metadata",
              (model.config() | {"keep_prob": round(model.keep_prob, 6)}) == {"input_size": 28, "hidden_size": 16, "num_layers": 2,
                                                                            "num_classes": 10, "steps": 28, "keep_prob": 0.9,
                                                                            "cell": "lstm", "head": "classify_last_step"},
              str(model.config()))
        agrees_with_cli(model, ours, "LSTM from edgelstm train")

        ours_gru = os.path.join(work, "ours_gru.safetensors")
        code, out = edgelstm("train", "--data", data, "--cell", "gru", "--hidden", 12, "--layers", 2, "--iterations", 100,
                             "--batch-size", 50, "--keep-prob", 0.9, "--lr", 0.01, "--seed", 4, "--threads", 1, "--out", ours_gru)
        check("edgelstm train --cell gru writes a model", code == 0 and os.path.exists(ours_gru), "" if code == 0 else out[-400:])
        if code == 0:
            gru = et.load(ours_gru)
            check("the GRU file is format_version 2 and loads as nn.GRU",
                  gru.metadata.get("format_version") == "2" and isinstance(gru.rnn, torch.nn.GRU) and gru.config()["hidden_size"] == 12,
                  f"format_version {gru.metadata.get('format_version')}, {type(gru.rnn).__name__}")
            agrees_with_cli(gru, ours_gru, "GRU from edgelstm train --cell gru")

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
        if os.path.exists(ours_gru):
            state_gru, back_gru = os.path.join(work, "ours_gru.pt"), os.path.join(work, "back_gru.safetensors")
            first = subprocess.run(run + ["import", ours_gru, state_gru], capture_output=True, text=True)
            second = subprocess.run(run + ["export", state_gru, back_gru, "--keep-prob", "0.9"], capture_output=True, text=True)
            same = first.returncode == 0 and second.returncode == 0
            if same:
                meta_a, a = et.read_safetensors(ours_gru)
                meta_b, b = et.read_safetensors(back_gru)
                same = a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a) and meta_a["cells"] == meta_b["cells"] == "gru,gru"
            check("import then export keeps a GRU's every tensor bit for bit (and its cells)", same, (first.stderr + second.stderr).strip())
        code_a, out_a = edgelstm("evaluate", ours, "--data", data, "--threads", 1)
        code_b, out_b = edgelstm("evaluate", back, "--data", data, "--threads", 1)
        strip = lambda text: [line for line in text.splitlines() if ".safetensors" not in line]  # noqa: E731
        check("EdgeLstm evaluates the re-exported file as the original", code_a == code_b == 0 and strip(out_a) == strip(out_b))

        # 3. a newer format version is refused
        newer = os.path.join(work, "newer.safetensors")
        with open(ours, "rb") as f:
            content = f.read()
        marker = b'"format_version":"1"'
        check("the LSTM classifier's file records format_version 1", content.count(marker) == 1)
        with open(newer, "wb") as f:
            # One past the highest version EdgeLstm and the module read (3: int8 weights).
            f.write(content.replace(marker, b'"format_version":"4"'))
        try:
            et.load(newer)
            message = "loaded"
        except et.ModelFormatError as e:
            message = str(e)
        check("the Python module refuses a newer format_version (4)", "newer EdgeLstm" in message, message)
        code, out = edgelstm("predict", newer, "--index", 0, "--data", data)
        check("EdgeLstm refuses a newer format_version (4)", code != 0 and "newer EdgeLstm" in out, out.strip().splitlines()[-1] if out.strip() else "")

        # An early-stopping run's checkpoint keeps its best weights so far (best.* tensors): the module reads the
        # checkpoint's model, the weights of now, as for any other checkpoint.
        sequences = os.path.join(work, "sequences.csv")
        with open(sequences, "w") as f:
            f.write("id,a,b,y\n" + "".join(f"s{s},{(s * 7 % 10) / 10 + s % 2},{(s * 3 % 10) / 10},{s % 2}\n" for s in range(40) for _ in range(3 + s % 4)))
        checkpoint = os.path.join(work, "early.checkpoint.safetensors")
        code, out = edgelstm("train", "--data", sequences, "--target", "y", "--task", "classify", "--hidden", 8, "--batch-size", 8, "--iterations", 8,
                             "--early-stop", 5, "--checkpoint-every", 8, "--checkpoint", checkpoint, "--threads", 1,
                             "--out", os.path.join(work, "early.safetensors"))
        metadata, tensors = et.read_safetensors(checkpoint)
        check("an early-stopping run's checkpoint keeps its best weights", code == 0 and metadata.get("train.best_weights") == "kept"
              and any(name.startswith("best.") for name in tensors), "" if code == 0 else out[-400:])
        try:
            early = et.load(checkpoint)
            same = all(np.array_equal(value.numpy(), tensors[name]) for name, value in early.state_dict().items())
            message = "" if same else "the loaded weights are not the checkpoint's"
        except et.ModelFormatError as e:
            same, message = False, str(e)
        check("the Python module reads that checkpoint's model", same, message)

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

        # 5. PyTorch -> EdgeLstm for the other networks
        torch.manual_seed(11)
        built = et.EdgeLstmClassifier(input_size=28, hidden_size=12, num_layers=2, num_classes=10, steps=28, keep_prob=0.9,
                                      cell="gru").init_like_edgelstm()
        optimizer = torch.optim.Adam(built.parameters(), lr=0.01)
        x, y = torch.from_numpy(train_x), torch.from_numpy(train_y)
        built.train()
        for step in range(100):
            batch = torch.randint(0, len(x), (50,))
            optimizer.zero_grad()
            et.recipe_loss(built(x[batch]), y[batch]).backward()
            optimizer.step()
        built.eval()
        built_path = os.path.join(work, "pytorch_gru.safetensors")
        et.save(built, built_path, {"train.data": "1000 MNIST images, PyTorch"})
        agrees_with_cli(built, built_path, "GRU trained in PyTorch")

        fixtures = json.load(open(os.path.join(FIXTURES, "pytorch_networks.json"), encoding="utf-8"))
        lengths = fixtures["lengths"]
        for case in fixtures["cases"]:
            fixture_model = et.load(os.path.join(FIXTURES, case["model"]))
            inputs = torch.tensor(case["inputs"], dtype=torch.float32).reshape(len(lengths), fixtures["steps"], -1)
            results = fixture_model.probabilities(inputs, lengths).numpy().reshape(-1)
            expected = np.array(case["results"], dtype=np.float32)
            difference = float(np.abs(results - expected).max())
            check(f"fixture {case['model']} ({case['cell']}, {case['head']}, lengths {lengths}): the module computes its recorded results",
                  fixture_model.metadata["format_version"] == "2" and fixture_model.head == case["head"] and difference <= 1e-6,
                  f"max |now - recorded| = {difference:.2g}")

        # 6. int8 (format_version 3)
        _, golden = et.read_safetensors(os.path.join(FIXTURES, "int8_torch_golden.safetensors"), allow_int8=True)
        q, scales = et.quantize_matrix(golden["weights"])
        check("quantize_matrix is torch.quantize_per_channel's golden bit for bit (ties included)",
              np.array_equal(q, golden["torch_q"]) and np.array_equal(scales, golden["scales"]))
        python_int8 = os.path.join(work, "python.int8.safetensors")
        gru_fp32 = et.load(ours_gru) if os.path.exists(ours_gru) else built
        fp32_path = ours_gru if os.path.exists(ours_gru) else built_path
        et.save(gru_fp32, python_int8, quantize=True)
        back8 = et.load(python_int8)
        expected8 = {name: et.dequantize_matrix(*et.quantize_matrix(p.detach().numpy())) if p.dim() == 2 else p.detach().numpy()
                     for name, p in gru_fp32.state_dict().items()}
        check("an int8 file written by the module loads back dequantised to its numbers, format_version 3",
              back8.metadata["format_version"] == "3" and back8.metadata["weight_dtype"] == "int8"
              and all(np.array_equal(back8.state_dict()[k].numpy(), v) for k, v in expected8.items()),
              f"{os.path.getsize(python_int8)} bytes, {os.path.getsize(python_int8) / os.path.getsize(fp32_path):.3f} of the fp32 file")
        cli_int8 = os.path.join(work, "cli.int8.safetensors")
        code, out = edgelstm("quantize", fp32_path, "--out", cli_int8)
        same = False
        if code == 0:
            _, a = et.read_safetensors(python_int8, allow_int8=True)
            _, b = et.read_safetensors(cli_int8, allow_int8=True)
            same = a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a)
        check("edgelstm quantize and the module write the same int8 and scale tensors bit for bit", same, out.strip()[-300:])
        if back8.head == "classify_last_step":
            # EdgeLstm's int8 kernels may also quantise the activations (integer dot products), which the
            # dequantised fp32 module does not: the same answers within a stated tolerance, not to the last digit.
            agrees_with_cli(back8, python_int8, "int8 file written by the module", tolerance=0.01, slack=10)


if __name__ == "__main__":
    try:
        main()
    finally:
        print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)
