#!/usr/bin/python3
"""PyTorch interop for EdgeLstm: the classifier as an nn.Module, and EdgeLstm's model files read and written.

Needs only Python 3, torch and numpy (Debian: python3-torch, python3-numpy); the safetensors files are read and
written with the standard library and numpy, so the `safetensors` package is not needed.

    import edgelstm_torch as et
    model = et.EdgeLstmClassifier(input_size=28, hidden_size=256, num_layers=2, num_classes=10, steps=28, keep_prob=0.5)
    ...train it in PyTorch...
    et.save(model, "model.safetensors", {"train.data": "my data"})   # then: edgelstm predict model.safetensors ...
    model = et.load("model.safetensors")                            # a model trained by `edgelstm train`

Command line (run with --help for details):
    python3 tools/pytorch/edgelstm_torch.py export STATE_DICT.pt OUT.safetensors   # PyTorch -> EdgeLstm
    python3 tools/pytorch/edgelstm_torch.py import MODEL.safetensors OUT.pt        # EdgeLstm -> PyTorch state_dict
    python3 tools/pytorch/edgelstm_torch.py check MODEL.safetensors [--data DIR] [--index N ...] [--count N]

The file format is EdgeLstm's (src/EdgeLstm/IO/ModelFile.cs): safetensors, F32 tensors named as this module's
state_dict (lstm.weight_ih_l0 ... fc.bias), stored in that order without gaps, and string metadata: format "edgelstm",
format_version, kind "model", input_size, hidden_size, num_layers, num_classes, steps, and training facts under
"train." (train.keep_prob is the dropout keep probability). A file with a higher format_version than FORMAT_VERSION
is refused, as EdgeLstm refuses one.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np
import torch
from torch import nn

FORMAT_NAME = "edgelstm"
FORMAT_VERSION = 1  # ModelFile.FormatVersion: the highest version this module reads and the one it writes
METADATA_KEY = "__metadata__"
ARCHITECTURE_KEYS = ("input_size", "hidden_size", "num_layers", "num_classes", "steps")
KEEP_PROB_KEY = "train.keep_prob"
RESERVED_KEYS = ("format", "format_version", "kind", "gate_order") + ARCHITECTURE_KEYS
MAX_HEADER_BYTES = 100_000_000  # as SafeTensorsReader.MaxHeaderBytes


class ModelFormatError(Exception):
    """A file that is not an EdgeLstm model this module can read; the message says where and why."""


class EdgeLstmClassifier(nn.Module):
    """EdgeLstm's classifier: a stacked LSTM read over `steps` steps of `input_size` values, dropout on each layer's
    output (keep probability `keep_prob`, inverted dropout, training only), and a dense layer on the top layer's
    output at the last step, giving `num_classes` logits.

    nn.LSTM's gate order (i, f, g, o) and its two biases (bias_ih, bias_hh) are EdgeLstm's too, and EdgeLstm keeps its
    forget-gate bias inside bias_ih, so the state_dict is the model file, name for name and value for value.
    forward() takes [B, steps, input_size] (or [B, steps * input_size]) and returns logits; probabilities() applies
    the softmax. EdgeLstm's default loss is recipe_loss() below, not nn.CrossEntropyLoss (see there).
    """

    def __init__(self, input_size=28, hidden_size=256, num_layers=2, num_classes=10, steps=28, keep_prob=0.5):
        super().__init__()
        if not 0 < keep_prob <= 1:
            raise ValueError(f"keep_prob must be in (0, 1]; it is {keep_prob}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers),
                            ("num_classes", num_classes), ("steps", steps)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1; it is {value}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.num_classes, self.steps, self.keep_prob = int(num_classes), int(steps), float(keep_prob)
        # nn.LSTM's dropout acts on the output of every layer but the last; self.dropout on the last one's.
        self.lstm = nn.LSTM(self.input_size, self.hidden_size, num_layers=self.num_layers, batch_first=True,
                            dropout=(1.0 - self.keep_prob) if self.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(1.0 - self.keep_prob)
        self.fc = nn.Linear(self.hidden_size, self.num_classes)

    def config(self):
        """The architecture as the metadata records it (plus keep_prob)."""
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "num_classes": self.num_classes, "steps": self.steps, "keep_prob": self.keep_prob}

    def forward(self, x):
        x = x.reshape(x.shape[0], self.steps, self.input_size)
        outputs, _ = self.lstm(x)
        return self.fc(self.dropout(outputs[:, -1, :]))

    @torch.no_grad()
    def probabilities(self, x):
        """Class probabilities [B, num_classes] in eval mode (no dropout), as `edgelstm predict` computes them."""
        was_training = self.training
        self.eval()
        try:
            return torch.softmax(self(torch.as_tensor(x, dtype=self.fc.weight.dtype)), dim=1)
        finally:
            self.train(was_training)

    def init_like_edgelstm(self, forget_bias=1.0):
        """Optional: EdgeLstm's own initialisation's biases (0, and `forget_bias` on the forget gate in bias_ih), so a
        PyTorch run starts where `edgelstm train` does; PyTorch's default initialisation works too."""
        h = self.hidden_size
        with torch.no_grad():
            for layer in range(self.num_layers):
                getattr(self.lstm, f"bias_ih_l{layer}").zero_()[h:2 * h] = forget_bias
                getattr(self.lstm, f"bias_hh_l{layer}").zero_()
        return self


def recipe_loss(logits, labels):
    """EdgeLstm's default loss (the reference recipe's): -mean over the batch AND the classes of onehot(y)*log p.

    nn.CrossEntropyLoss is the mean over the batch only, i.e. num_classes times this, with gradients num_classes
    times larger. With Adam that hardly matters (its step is invariant to the gradient's scale but for eps); with
    plain SGD, divide the learning rate by num_classes when switching to CrossEntropyLoss, or use this function.
    """
    log_p = torch.log_softmax(logits, dim=1)
    onehot = torch.nn.functional.one_hot(labels, log_p.shape[1]).to(log_p.dtype)
    return -(onehot * log_p).mean()


def expected_tensors(config):
    """(name, shape) of every tensor, in the order EdgeLstm writes them (ModelFile.ExpectedTensors)."""
    h4 = 4 * config["hidden_size"]
    tensors = []
    for layer in range(config["num_layers"]):
        layer_input = config["input_size"] if layer == 0 else config["hidden_size"]
        tensors += [(f"lstm.weight_ih_l{layer}", (h4, layer_input)), (f"lstm.weight_hh_l{layer}", (h4, config["hidden_size"])),
                    (f"lstm.bias_ih_l{layer}", (h4,)), (f"lstm.bias_hh_l{layer}", (h4,))]
    tensors += [("fc.weight", (config["num_classes"], config["hidden_size"])), ("fc.bias", (config["num_classes"],))]
    return tensors


def save(model, path, metadata=None):
    """Writes `model` (an EdgeLstmClassifier) as an EdgeLstm model file, atomically (a temporary file, then a rename).

    `metadata`: extra string facts (e.g. {"train.data": "..."}); the architecture and format keys are written from the
    model and cannot be given. Non-finite weights are refused, as EdgeLstm refuses them.
    """
    config = model.config()
    meta = {}
    for key, value in (metadata or {}).items():
        if key in RESERVED_KEYS or key == METADATA_KEY:
            raise ValueError(f"metadata key {key!r} is written from the model; it cannot be given")
        meta[str(key)] = str(value)
    meta.setdefault(KEEP_PROB_KEY, str(np.float32(config["keep_prob"])))  # shortest float32 text, as EdgeLstm
    meta.update({"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION), "kind": "model",
                 "gate_order": "i,f,g,o (as torch.nn.LSTM)"})
    for key in ARCHITECTURE_KEYS:
        meta[key] = str(config[key])

    state = model.state_dict()
    header = {METADATA_KEY: dict(sorted(meta.items()))}
    blobs = []
    offset = 0
    for name, shape in expected_tensors(config):
        array = state[name].detach().cpu().to(torch.float32).numpy()
        if tuple(array.shape) != shape:
            raise ValueError(f"tensor {name}: expected shape {list(shape)}, found {list(array.shape)}")
        if not np.isfinite(array).all():
            raise ValueError(f"tensor {name} holds a non-finite value; refusing to save a broken model")
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as EdgeLstm and the reference writer pad

    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".edgelstm-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for data in blobs:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it 0600; a model file is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def read_safetensors(path):
    """(metadata, {name: float32 array}) of a safetensors file of F32 tensors, checked as EdgeLstm checks them."""
    def fail(field, message):
        return ModelFormatError(f"{path}: {field}: {message}")

    with open(path, "rb") as f:
        content = f.read()
    if len(content) < 8:
        raise fail("header length", f"expected 8 bytes, found {len(content)} (not a safetensors file, or truncated)")
    (length,) = struct.unpack("<Q", content[:8])
    if length > MAX_HEADER_BYTES or 8 + length > len(content):
        raise fail("header length", f"expected at most {min(MAX_HEADER_BYTES, len(content) - 8)} bytes, found {length}")
    try:
        header = json.loads(content[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise fail("header", f"expected valid JSON, found an error: {e}") from e
    if not isinstance(header, dict):
        raise fail("header", "expected a JSON object")
    metadata = header.pop(METADATA_KEY, {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise fail(METADATA_KEY, "expected an object of strings")
    data = memoryview(content)[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise fail(f"tensor {name}", "expected an object with dtype, shape and data_offsets")
        if entry["dtype"] != "F32":
            raise fail(f"tensor {name}: dtype", f"expected F32, found {entry['dtype']}")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if not 0 <= begin <= end <= len(data) or end - begin != 4 * math.prod(shape):
            raise fail(f"tensor {name}: data_offsets", f"expected {4 * math.prod(shape)} bytes inside the data, found [{begin}, {end}]")
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape).astype(np.float32)
        if not np.isfinite(array).all():
            raise fail(f"tensor {name}", "expected finite numbers, found a NaN or infinity")
        tensors[name] = array
    return metadata, tensors


def _whole(metadata, key, path):
    text = metadata.get(key)
    if text is None:
        raise ModelFormatError(f"{path}: {METADATA_KEY}.{key}: expected it, found it missing")
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or str(value) != text.strip().lstrip("+"):
        raise ModelFormatError(f"{path}: {METADATA_KEY}.{key}: expected a whole number of at least 1, found {text!r}")
    return value


def read_metadata(path):
    """The file's metadata (all strings)."""
    return read_safetensors(path)[0]


def load(path, keep_prob=None):
    """Reads an EdgeLstm model file (or a checkpoint's model, or a file with only PyTorch's names and no EdgeLstm
    metadata) into an EdgeLstmClassifier in eval mode; its metadata is in `model.metadata`.

    A file written by a newer EdgeLstm (format_version above FORMAT_VERSION) is refused with ModelFormatError.
    keep_prob: the dropout for further training; by default the file's train.keep_prob, else 1 (no dropout).
    """
    metadata, tensors = read_safetensors(path)
    ours = metadata.get("format") == FORMAT_NAME
    if ours:
        version = _whole(metadata, "format_version", path)
        if version > FORMAT_VERSION:
            raise ModelFormatError(
                f"{path}: {METADATA_KEY}.format_version: expected {FORMAT_VERSION} or lower, found {version} "
                f"(written by a newer EdgeLstm; upgrade tools/pytorch/edgelstm_torch.py to read it)")
        kind = metadata.get("kind", "")
        if kind not in ("model", "checkpoint"):
            raise ModelFormatError(f"{path}: {METADATA_KEY}.kind: expected \"model\" or \"checkpoint\", found {kind!r}")
        config = {key: _whole(metadata, key, path) for key in ARCHITECTURE_KEYS}
    else:
        for name in ("lstm.weight_ih_l0", "fc.weight"):
            if name not in tensors or tensors[name].ndim != 2:
                raise ModelFormatError(f"{path}: tensor {name}: expected a matrix (the file has no EdgeLstm metadata, "
                                       "so the architecture is read from the shapes), found it missing or not 2-D")
        layers = 0
        while f"lstm.weight_ih_l{layers}" in tensors:
            layers += 1
        config = {"input_size": tensors["lstm.weight_ih_l0"].shape[1], "hidden_size": tensors["fc.weight"].shape[1],
                  "num_layers": layers, "num_classes": tensors["fc.weight"].shape[0],
                  "steps": _whole(metadata, "steps", path) if "steps" in metadata else 28}

    expected = expected_tensors(config)
    names = {name for name, _ in expected}
    for name, shape in expected:
        if name not in tensors:
            raise ModelFormatError(f"{path}: tensor {name}: expected it (shape {list(shape)} for this architecture), found it missing")
        if tensors[name].shape != shape:
            raise ModelFormatError(f"{path}: tensor {name}: shape: expected {list(shape)}, found {list(tensors[name].shape)}")
    for name in tensors:
        is_moment = ours and metadata.get("kind") == "checkpoint" and name.startswith(("adam.m.", "adam.v."))
        if name not in names and not is_moment:
            raise ModelFormatError(f"{path}: tensor {name}: expected no such tensor in this model, found it (extra tensor)")

    if keep_prob is None:
        keep_prob = float(metadata[KEEP_PROB_KEY]) if KEEP_PROB_KEY in metadata else 1.0
    model = EdgeLstmClassifier(keep_prob=keep_prob, **{k: int(v) for k, v in config.items()})
    model.load_state_dict({name: torch.from_numpy(tensors[name].copy()) for name in names}, strict=True)
    model.metadata = dict(metadata)
    return model.eval()


def from_state_dict(state_dict, steps=28, keep_prob=0.5):
    """An EdgeLstmClassifier holding a PyTorch state_dict with EdgeLstm's names (lstm.*, fc.*; `module.` prefixes
    from DistributedDataParallel are dropped); the sizes come from the shapes."""
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state_dict.items()}
    if "lstm.weight_ih_l0" not in state or "fc.weight" not in state:
        raise ValueError("the state_dict has no lstm.weight_ih_l0 or fc.weight: name the modules `lstm` and `fc`")
    layers = 0
    while f"lstm.weight_ih_l{layers}" in state:
        layers += 1
    model = EdgeLstmClassifier(input_size=state["lstm.weight_ih_l0"].shape[1], hidden_size=state["fc.weight"].shape[1],
                               num_layers=layers, num_classes=state["fc.weight"].shape[0], steps=steps, keep_prob=keep_prob)
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("dropout")}, strict=True)
    return model.eval()


# ---- MNIST in the IDX layout (gz or not), scaled as EdgeLstm scales it (IdxReader: byte * (1f / 255f)).

def _open_idx(directory, name):
    for candidate in (os.path.join(directory, name + ".gz"), os.path.join(directory, name)):
        if os.path.exists(candidate):
            with (gzip.open(candidate, "rb") if candidate.endswith(".gz") else open(candidate, "rb")) as f:
                return f.read()
    raise FileNotFoundError(f"{directory}: no {name}[.gz]")


def load_mnist(directory, split="test"):
    """(images float32 [N, rows, columns] in [0, 1], labels int64 [N]) of the train or test split."""
    prefix = "train" if split == "train" else "t10k"
    raw = _open_idx(directory, f"{prefix}-images-idx3-ubyte")
    magic, count, rows, columns = struct.unpack(">IIII", raw[:16])
    if magic != 0x803:
        raise ValueError(f"{directory}: {prefix} images: expected IDX magic 0x803, found {magic:#x}")
    pixels = np.frombuffer(raw, dtype=np.uint8, count=count * rows * columns, offset=16).reshape(count, rows, columns)
    images = pixels.astype(np.float32) * np.float32(1.0 / 255.0)
    raw = _open_idx(directory, f"{prefix}-labels-idx1-ubyte")
    magic, count_labels = struct.unpack(">II", raw[:8])
    if magic != 0x801 or count_labels != count:
        raise ValueError(f"{directory}: {prefix} labels: expected magic 0x801 and {count} labels, found {magic:#x}, {count_labels}")
    labels = np.frombuffer(raw, dtype=np.uint8, count=count, offset=8).astype(np.int64)
    return images, labels


def write_mnist_subset(source, target, train_count, test_count):
    """Writes the first train_count training and test_count test images of `source` to `target` (IDX, not gz)."""
    os.makedirs(target, exist_ok=True)
    for prefix, count in (("train", train_count), ("t10k", test_count)):
        raw = _open_idx(source, f"{prefix}-images-idx3-ubyte")
        _, _, rows, columns = struct.unpack(">IIII", raw[:16])
        with open(os.path.join(target, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, count, rows, columns) + raw[16:16 + count * rows * columns])
        raw = _open_idx(source, f"{prefix}-labels-idx1-ubyte")
        with open(os.path.join(target, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 0x801, count) + raw[8:8 + count])


def default_data_directory():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "mnist")


# ---- command line

def _describe(model, path):
    c = model.config()
    return (f"{path}: {c['steps']} steps x {c['input_size']} inputs -> {c['num_layers']} LSTM layers x "
            f"{c['hidden_size']} -> {c['num_classes']} classes, keep_prob {c['keep_prob']:g}, "
            f"{sum(p.numel() for p in model.parameters()):,} parameters")


def _export(args):
    state = torch.load(args.state_dict, map_location="cpu")
    if isinstance(state, nn.Module):
        state = state.state_dict()
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    model = from_state_dict(state, steps=args.steps, keep_prob=args.keep_prob)
    save(model, args.out, dict(kv.split("=", 1) for kv in args.meta))
    print(_describe(model, args.out))
    return 0


def _import(args):
    model = load(args.model)
    torch.save(model.state_dict(), args.out)
    print(_describe(model, args.model))
    print(f"state_dict saved to {args.out} (load it with EdgeLstmClassifier(...).load_state_dict(torch.load(...)))")
    return 0


def _check(args):
    model = load(args.model)
    print(_describe(model, args.model))
    for key in sorted(model.metadata):
        print(f"  {key} = {model.metadata[key]}")
    images, labels = load_mnist(args.data, "test")
    if images.shape[1:] != (model.steps, model.input_size):
        raise ModelFormatError(f"{args.model}: the model reads {model.steps}x{model.input_size} images; "
                               f"{args.data} has {images.shape[1]}x{images.shape[2]}")
    for index in args.index:
        p = model.probabilities(images[index:index + 1])[0].numpy()
        print(f"test image {index}, label {labels[index]}: class {int(p.argmax())}, probabilities "
              + " ".join(f"{v:.8f}" for v in p))
    count = len(images) if args.count is None else min(args.count, len(images))
    if count > 0:
        correct = 0
        for start in range(0, count, 500):
            p = model.probabilities(images[start:min(start + 500, count)])
            correct += int((p.argmax(dim=1).numpy() == labels[start:min(start + 500, count)]).sum())
        print(f"test accuracy {correct / count:.6g} ({correct} of {count} test images)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="edgelstm_torch.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="PyTorch state_dict (torch.save) -> EdgeLstm model file")
    p.add_argument("state_dict", help="a torch.save'd state_dict with keys lstm.* and fc.* (or a dict holding it "
                   "under 'state_dict' or 'model'; DDP's 'module.' prefix is dropped)")
    p.add_argument("out", help="the EdgeLstm model file to write (.safetensors)")
    p.add_argument("--steps", type=int, default=28, help="steps per sequence (28 rows for MNIST); default 28")
    p.add_argument("--keep-prob", type=float, default=0.5, help="the dropout keep probability it was trained with")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="an extra metadata entry")
    p.set_defaults(run=_export)
    p = sub.add_parser("import", help="EdgeLstm model file -> PyTorch state_dict (torch.save)")
    p.add_argument("model")
    p.add_argument("out")
    p.set_defaults(run=_import)
    p = sub.add_parser("check", help="load a model, print its architecture and metadata, probabilities and accuracy")
    p.add_argument("model")
    p.add_argument("--data", default=default_data_directory(), help="MNIST-layout directory; default: the bundled data/mnist")
    p.add_argument("--index", type=int, action="append", default=[], help="print the probabilities of test image N")
    p.add_argument("--count", type=int, default=None, help="accuracy on the first N test images (default all; 0: none)")
    p.set_defaults(run=_check)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ModelFormatError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
