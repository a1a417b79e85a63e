#!/usr/bin/python3
"""PyTorch interop for EdgeLstm: its networks as an nn.Module, and EdgeLstm's model files read and written.

Needs only Python 3, torch and numpy (Debian: python3-torch, python3-numpy); the safetensors files are read and
written with the standard library and numpy, so the `safetensors` package is not needed.

    import edgelstm_torch as et
    model = et.EdgeLstmClassifier(input_size=28, hidden_size=256, num_layers=2, num_classes=10, steps=28, keep_prob=0.5)
    gru = et.EdgeLstmClassifier(input_size=3, hidden_size=64, num_layers=1, num_classes=2, steps=40,
                                cell="gru", head="regress_every_step")       # any cell and head EdgeLstm runs
    ...train it in PyTorch (forward takes optional lengths: pack_padded_sequence semantics)...
    et.save(model, "model.safetensors", {"train.data": "my data"})   # then: edgelstm predict model.safetensors ...
    et.save(model, "model.int8.safetensors", quantize=True)         # int8 weights, as `edgelstm quantize` writes them
    model = et.load("model.safetensors")                            # a model trained by `edgelstm train` (or int8)

Command line (run with --help for details):
    python3 tools/pytorch/edgelstm_torch.py export STATE_DICT.pt OUT.safetensors   # PyTorch -> EdgeLstm
    python3 tools/pytorch/edgelstm_torch.py import MODEL.safetensors OUT.pt        # EdgeLstm -> PyTorch state_dict
    python3 tools/pytorch/edgelstm_torch.py quantize MODEL.safetensors OUT.safetensors   # fp32 -> int8 (format 3)
    python3 tools/pytorch/edgelstm_torch.py check MODEL.safetensors [--data DIR] [--index N ...] [--count N]

The file format is EdgeLstm's (src/EdgeLstm/IO/ModelFile.cs): safetensors, tensors named as this module's state_dict
(lstm.weight_ih_l0 ... fc.bias, or gru.* for nn.GRU), stored without gaps, and string metadata: format "edgelstm",
format_version, kind "model", input_size, hidden_size, num_layers, num_classes, steps, and training facts under
"train." (train.keep_prob is the dropout keep probability).
  version 1: a stack of LSTMs with a last-step classifier (the recipe's network);
  version 2: any other network; adds cells (the cell of each layer, "gru,gru"), head (classify_last_step,
             classify_every_step, regress_last_step or regress_every_step) and outputs (= num_classes);
  version 3: int8 weights (any network): every 2-D weight as I8 [rows, cols] plus F32 [rows] "<name>.scale", biases
             F32, and weight_dtype "int8", quantization "symmetric_per_row" (scale = max|row| / 127 in float32,
             q = round-half-even(w * (1 / scale)) clamped to +-127, zero point 0: torch.quantize_per_channel's rule).
A model is written in the lowest version that describes it; a file with a higher format_version than FORMAT_VERSION
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
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

FORMAT_NAME = "edgelstm"
FORMAT_VERSION = 3  # ModelFile.FormatVersion: the highest version this module reads (it writes 1, 2 or 3, see save)
INT8_VERSION = 3  # the version of files with int8 weights
METADATA_KEY = "__metadata__"
ARCHITECTURE_KEYS = ("input_size", "hidden_size", "num_layers", "num_classes", "steps")
NETWORK_KEYS = ("cells", "head", "outputs")  # version 2 and later
INT8_KEYS = {"weight_dtype": "int8", "quantization": "symmetric_per_row"}  # version 3
KEEP_PROB_KEY = "train.keep_prob"
RESERVED_KEYS = ("format", "format_version", "kind", "gate_order") + ARCHITECTURE_KEYS + NETWORK_KEYS + tuple(INT8_KEYS)
MAX_HEADER_BYTES = 100_000_000  # as SafeTensorsReader.MaxHeaderBytes
CELLS = ("lstm", "gru")  # nn.LSTM (gates i, f, g, o) or nn.GRU (gates r, z, n)
GATES = {"lstm": 4, "gru": 3}
HEADS = ("classify_last_step", "classify_every_step", "regress_last_step", "regress_every_step")  # ModelFile.HeadName
SCALE_SUFFIX = ".scale"  # Int8Tensors.ScaleSuffix
INT8_MAX = 127  # Int8Matrix.MaxMagnitude: symmetric, -128 is never produced


class ModelFormatError(Exception):
    """A file that is not an EdgeLstm model this module can read; the message says where and why."""


class EdgeLstmClassifier(nn.Module):
    """An EdgeLstm network: a stack of `num_layers` nn.LSTM or nn.GRU layers (`cell`) read over sequences of
    `input_size` values per step, dropout on each layer's output (keep probability `keep_prob`, inverted dropout,
    training only), and a dense layer `fc` with `num_classes` outputs (K) on the top layer's output: at each sequence's
    last step or at every step, as classes (logits) or as regressed values (`head`, one of HEADS). The default is the
    reference recipe's network, an LSTM stack classifying the last step.

    The gate orders (LSTM i, f, g, o; GRU r, z, n with b_hn inside the reset product) and the two biases (bias_ih,
    bias_hh) are EdgeLstm's too, and EdgeLstm keeps its LSTM forget-gate bias inside bias_ih, so the state_dict is the
    model file, name for name and value for value.
    forward(x, lengths=None) takes [B, T, input_size] (or [B, T * input_size]) and returns the head's outputs: [B, K]
    for a last-step head, [B, T, K] for a per-step head. With `lengths` (one per sample, 1..T) the batch runs through
    pack_padded_sequence: a last-step head reads each sample's own last step, and a per-step head's rows past a sample's
    length are zeros, as EdgeLstm's predictor gives them. probabilities() gives what `edgelstm predict` gives: the
    softmax for a classifier, the outputs for a regression. EdgeLstm's default loss is recipe_loss() below.
    """

    def __init__(self, input_size=28, hidden_size=256, num_layers=2, num_classes=10, steps=28, keep_prob=0.5,
                 cell="lstm", head="classify_last_step"):
        super().__init__()
        if not 0 < keep_prob <= 1:
            raise ValueError(f"keep_prob must be in (0, 1]; it is {keep_prob}")
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}; it is {cell!r}")
        if head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}; it is {head!r}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers),
                            ("num_classes", num_classes), ("steps", steps)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1; it is {value}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.num_classes, self.steps, self.keep_prob = int(num_classes), int(steps), float(keep_prob)
        self.cell, self.head = cell, head
        # The recurrent module's dropout acts on the output of every layer but the last; self.dropout on the last one's.
        module = nn.LSTM if cell == "lstm" else nn.GRU
        setattr(self, cell, module(self.input_size, self.hidden_size, num_layers=self.num_layers, batch_first=True,
                                   dropout=(1.0 - self.keep_prob) if self.num_layers > 1 else 0.0))
        self.dropout = nn.Dropout(1.0 - self.keep_prob)
        self.fc = nn.Linear(self.hidden_size, self.num_classes)

    @property
    def rnn(self):
        """The recurrent stack (self.lstm or self.gru)."""
        return getattr(self, self.cell)

    @property
    def every_step(self):
        return self.head.endswith("every_step")

    @property
    def regresses(self):
        return self.head.startswith("regress")

    def config(self):
        """The architecture as the metadata records it (plus keep_prob, cell and head)."""
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "num_classes": self.num_classes, "steps": self.steps, "keep_prob": self.keep_prob,
                "cell": self.cell, "head": self.head}

    def forward(self, x, lengths=None):
        x = x.reshape(x.shape[0], -1, self.input_size)
        if lengths is None:
            outputs, _ = self.rnn(x)
            top = outputs if self.every_step else outputs[:, -1, :]
            return self.fc(self.dropout(top))
        lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
        steps = x.shape[1]
        if lengths.shape != (x.shape[0],) or int(lengths.min()) < 1 or int(lengths.max()) > steps:
            raise ValueError(f"lengths must hold one length from 1 to {steps} per sample; they are {lengths.tolist()}")
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, state = self.rnn(packed)
        if not self.every_step:
            h_n = state[0] if self.cell == "lstm" else state
            return self.fc(self.dropout(h_n[-1]))
        padded, _ = pad_packed_sequence(outputs, batch_first=True, total_length=steps)
        return _zero_padding(self.fc(self.dropout(padded)), lengths)

    @torch.no_grad()
    def probabilities(self, x, lengths=None):
        """What `edgelstm predict` gives, in eval mode (no dropout): class probabilities (softmax) for a classifier,
        the outputs for a regression; [B, K], or [B, T, K] for a per-step head (zeros past a sample's length)."""
        was_training = self.training
        self.eval()
        try:
            y = self(torch.as_tensor(x, dtype=self.fc.weight.dtype), lengths)
            if not self.regresses:
                y = torch.softmax(y, dim=-1)
            return _zero_padding(y, lengths) if self.every_step and lengths is not None else y
        finally:
            self.train(was_training)

    def init_like_edgelstm(self, forget_bias=1.0):
        """Optional: EdgeLstm's own initialisation's biases (0, and for an LSTM `forget_bias` on the forget gate in
        bias_ih), so a PyTorch run starts where `edgelstm train` does; PyTorch's default initialisation works too."""
        h = self.hidden_size
        with torch.no_grad():
            for layer in range(self.num_layers):
                getattr(self.rnn, f"bias_ih_l{layer}").zero_()
                getattr(self.rnn, f"bias_hh_l{layer}").zero_()
                if self.cell == "lstm":
                    getattr(self.rnn, f"bias_ih_l{layer}")[h:2 * h] = forget_bias
        return self


EdgeLstmNetwork = EdgeLstmClassifier  # the same module under a name that says it need not classify


def _zero_padding(y, lengths):
    """[B, T, K] with the rows at t >= lengths[b] set to zero (pad_packed_sequence's padding)."""
    lengths = torch.as_tensor(lengths, dtype=torch.int64, device=y.device)
    real = torch.arange(y.shape[1], device=y.device)[None, :] < lengths[:, None]
    return torch.where(real[..., None], y, torch.zeros((), dtype=y.dtype, device=y.device))


def recipe_loss(logits, labels):
    """EdgeLstm's default loss (the reference recipe's): -mean over the batch AND the classes of onehot(y)*log p.

    nn.CrossEntropyLoss is the mean over the batch only, i.e. num_classes times this, with gradients num_classes
    times larger. With Adam that hardly matters (its step is invariant to the gradient's scale but for eps); with
    plain SGD, divide the learning rate by num_classes when switching to CrossEntropyLoss, or use this function.
    (The other heads: F.cross_entropy over the real steps' rows and F.mse_loss are EdgeLstm's MeanOverBatch losses.)
    """
    log_p = torch.log_softmax(logits, dim=1)
    onehot = torch.nn.functional.one_hot(labels, log_p.shape[1]).to(log_p.dtype)
    return -(onehot * log_p).mean()


def expected_tensors(config):
    """(name, shape) of every tensor, in the order EdgeLstm writes them (ModelFile.ExpectedTensors)."""
    cell = config.get("cell", "lstm")
    hidden = config["hidden_size"]
    gates = GATES[cell] * hidden
    tensors = []
    for layer in range(config["num_layers"]):
        layer_input = config["input_size"] if layer == 0 else hidden
        tensors += [(f"{cell}.weight_ih_l{layer}", (gates, layer_input)), (f"{cell}.weight_hh_l{layer}", (gates, hidden)),
                    (f"{cell}.bias_ih_l{layer}", (gates,)), (f"{cell}.bias_hh_l{layer}", (gates,))]
    tensors += [("fc.weight", (config["num_classes"], hidden)), ("fc.bias", (config["num_classes"],))]
    return tensors


def version_for(config, int8=False):
    """The format version a model is written in (ModelFile.VersionFor): 3 with int8 weights, else 1 for an LSTM
    stack with a last-step classifier, else 2."""
    if int8:
        return INT8_VERSION
    return 1 if config.get("cell", "lstm") == "lstm" and config.get("head", HEADS[0]) == HEADS[0] else 2


# ---- int8: EdgeLstm's Int8Quantizer, bit for bit

def quantize_matrix(weights):
    """Symmetric per-row int8 of a float32 matrix [rows, cols], exactly as EdgeLstm's Int8Quantizer: returns
    (q int8 [rows, cols], scales float32 [rows]) with scale = max|row| / 127 in float32 and q from
    torch.quantize_per_channel(w, scales, zero_points 0, axis 0, qint8), which multiplies by the float32 reciprocal
    and rounds half to even. A row of zeros gets scale 0 and zeros (PyTorch would divide by zero); a row whose scale is
    subnormal, with an infinite reciprocal, divides instead, as EdgeLstm does. Non-finite weights are refused."""
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float32))
    if w.ndim != 2:
        raise ValueError(f"quantize_matrix takes a matrix; the shape is {list(w.shape)}")
    if not np.isfinite(w).all():
        raise ValueError("only finite weights can be quantised")
    rows, cols = w.shape
    maximum = np.abs(w).max(axis=1) if cols > 0 else np.zeros(rows, dtype=np.float32)
    scales = (maximum.astype(np.float32) / np.float32(INT8_MAX)).astype(np.float32)
    q = np.zeros((rows, cols), dtype=np.int8)
    with np.errstate(divide="ignore", over="ignore"):
        inverse = np.float32(1) / scales
    normal = (scales > 0) & np.isfinite(inverse)
    if normal.any() and cols > 0:
        chosen = torch.from_numpy(w[normal].copy())
        zero_points = torch.zeros(chosen.shape[0], dtype=torch.int64)
        quantised = torch.quantize_per_channel(chosen, torch.from_numpy(scales[normal]).double(), zero_points, 0, torch.qint8)
        q[normal] = quantised.int_repr().numpy()
    tiny = (scales > 0) & ~normal
    if tiny.any():
        q[tiny] = np.rint(w[tiny] / scales[tiny][:, None]).astype(np.float32).clip(-INT8_MAX, INT8_MAX).astype(np.int8)
    np.maximum(q, -INT8_MAX, out=q)  # symmetric: PyTorch's qint8 range reaches -128, EdgeLstm's never does
    return q, scales


def dequantize_matrix(q, scales):
    """scale * q in float32 for every value (Int8Quantizer.Dequantize)."""
    return (np.asarray(scales, dtype=np.float32)[:, None] * np.asarray(q, dtype=np.int8).astype(np.float32)).astype(np.float32)


def quantize_weights(model):
    """{name: (q, scales)} for every 2-D weight of `model` (each layer's weight_ih and weight_hh, and fc.weight);
    biases stay float32 (Int8Weights.Quantize)."""
    state = model.state_dict()
    return {name: quantize_matrix(state[name].detach().cpu().to(torch.float32).numpy())
            for name, shape in expected_tensors(model.config()) if len(shape) == 2}


def _check_int8(path, name, q, scales):
    """Int8Matrix.FindFault's rules for a matrix read from a file, as ModelFormatError naming the tensor."""
    rows = q.shape[0]
    if scales.shape != (rows,):
        raise ModelFormatError(f"{path}: tensor {name}{SCALE_SUFFIX}: shape: expected [{rows}] (one scale per row of {name}), found {list(scales.shape)}")
    if (q == -128).any():
        row, column = map(int, np.argwhere(q == -128)[0])
        raise ModelFormatError(f"{path}: tensor {name}: expected -{INT8_MAX}..{INT8_MAX} (symmetric), found -128 at row {row}, column {column}")
    bad = ~np.isfinite(scales) | (scales < 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise ModelFormatError(f"{path}: tensor {name}{SCALE_SUFFIX}: expected a finite number >= 0 for row {row}, found {scales[row]}")
    zero_rows = (scales == 0) & (q != 0).any(axis=1)
    if zero_rows.any():
        row = int(np.argmax(zero_rows))
        raise ModelFormatError(f"{path}: tensor {name}{SCALE_SUFFIX}: expected a positive scale for row {row}, which holds non-zero values (0 is kept for rows of zeros), found 0")


def save(model, path, metadata=None, quantize=False):
    """Writes `model` (an EdgeLstmClassifier) as an EdgeLstm model file, atomically (a temporary file, then a rename).

    The version is the lowest that describes the model (version_for): 1 for the recipe's LSTM classifier, 2 for GRUs
    and the other heads, 3 with `quantize=True`: every weight matrix as int8 with per-row scales (quantize_matrix,
    bit for bit what `edgelstm quantize` writes), the biases as float32.
    `metadata`: extra string facts (e.g. {"train.data": "..."}); the architecture and format keys are written from the
    model and cannot be given. Non-finite weights are refused, as EdgeLstm refuses them.
    """
    config = model.config()
    version = version_for(config, quantize)
    meta = {}
    for key, value in (metadata or {}).items():
        if key in RESERVED_KEYS or key == METADATA_KEY:
            raise ValueError(f"metadata key {key!r} is written from the model; it cannot be given")
        meta[str(key)] = str(value)
    meta.setdefault(KEEP_PROB_KEY, str(np.float32(config["keep_prob"])))  # shortest float32 text, as EdgeLstm
    meta.update({"format": FORMAT_NAME, "format_version": str(version), "kind": "model",
                 "gate_order": "r,z,n (as torch.nn.GRU)" if config["cell"] == "gru" else "i,f,g,o (as torch.nn.LSTM)"})
    for key in ARCHITECTURE_KEYS:
        meta[key] = str(config[key])
    if version >= 2:
        meta.update({"cells": ",".join([config["cell"]] * config["num_layers"]), "head": config["head"],
                     "outputs": str(config["num_classes"])})
    if quantize:
        meta.update(INT8_KEYS)

    state = model.state_dict()
    int8 = quantize_weights(model) if quantize else {}
    # As EdgeLstm's SafeTensorsWriter lays them out: the F32 tensors in the order added (an int8 weight adds its scales
    # there), then the I8 ones, so every F32 tensor starts 4-byte aligned.
    floats, bytes8 = [], []
    for name, shape in expected_tensors(config):
        array = state[name].detach().cpu().to(torch.float32).numpy()
        if tuple(array.shape) != shape:
            raise ValueError(f"tensor {name}: expected shape {list(shape)}, found {list(array.shape)}")
        if not np.isfinite(array).all():
            raise ValueError(f"tensor {name} holds a non-finite value; refusing to save a broken model")
        if name in int8:
            q, scales = int8[name]
            floats.append((name + SCALE_SUFFIX, "F32", [shape[0]], np.ascontiguousarray(scales, dtype="<f4").tobytes()))
            bytes8.append((name, "I8", list(shape), np.ascontiguousarray(q, dtype=np.int8).tobytes()))
        else:
            floats.append((name, "F32", list(shape), np.ascontiguousarray(array, dtype="<f4").tobytes()))
    header = {METADATA_KEY: dict(sorted(meta.items()))}
    offset = 0
    for name, dtype, shape, data in floats + bytes8:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as EdgeLstm and the reference writer pad

    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".edgelstm-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for _, _, _, data in floats + bytes8:
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


DTYPES = {"F32": ("<f4", 4), "I8": ("i1", 1)}


def read_safetensors(path, allow_int8=False):
    """(metadata, {name: array}) of a safetensors file, checked as EdgeLstm checks them: F32 tensors (float32, every
    value finite) and, with allow_int8, I8 ones (int8)."""
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
    accepted = ("F32", "I8") if allow_int8 else ("F32",)
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise fail(f"tensor {name}", "expected an object with dtype, shape and data_offsets")
        if entry["dtype"] not in accepted:
            raise fail(f"tensor {name}: dtype", f"expected {' or '.join(accepted)}, found {entry['dtype']}")
        dtype, size = DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if not 0 <= begin <= end <= len(data) or end - begin != size * math.prod(shape):
            raise fail(f"tensor {name}: data_offsets", f"expected {size * math.prod(shape)} bytes inside the data, found [{begin}, {end}]")
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        if entry["dtype"] == "F32":
            array = array.astype(np.float32)
            if not np.isfinite(array).all():
                raise fail(f"tensor {name}", "expected finite numbers, found a NaN or infinity")
        else:
            array = array.astype(np.int8)
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
    return read_safetensors(path, allow_int8=True)[0]


def _network_from_metadata(metadata, config, path):
    """The version-2 keys, checked as ModelFile.NetworkFromMetadata checks them: (cell, head)."""
    cells = metadata.get("cells")
    if cells is None:
        raise ModelFormatError(f"{path}: {METADATA_KEY}.cells: expected the cell of each layer (e.g. \"lstm,lstm\"), found it missing")
    per_layer = cells.split(",")
    if len(per_layer) != config["num_layers"] or len(set(per_layer)) != 1 or per_layer[0] not in CELLS:
        raise ModelFormatError(f"{path}: {METADATA_KEY}.cells: expected {config['num_layers']} cells, all \"lstm\" or all \"gru\", found \"{cells}\"")
    head = metadata.get("head", "")
    if head not in HEADS:
        raise ModelFormatError(f"{path}: {METADATA_KEY}.head: expected one of {', '.join(HEADS)}, found \"{head}\"")
    if _whole(metadata, "outputs", path) != config["num_classes"]:
        raise ModelFormatError(f"{path}: {METADATA_KEY}.outputs: expected {config['num_classes']} (as num_classes), found \"{metadata['outputs']}\"")
    return per_layer[0], head


def load(path, keep_prob=None):
    """Reads an EdgeLstm model file of any version this module knows (or a checkpoint's model, or a file with only
    PyTorch's names and no EdgeLstm metadata) into an EdgeLstmClassifier in eval mode; its metadata is in
    `model.metadata`. An int8 file (version 3) loads dequantised (scale * q in float32, the values EdgeLstm computes
    with), with the int8 tensors themselves in `model.int8_weights` ({name: (q, scales)}).

    A file written by a newer EdgeLstm (format_version above FORMAT_VERSION) is refused with ModelFormatError.
    keep_prob: the dropout for further training; by default the file's train.keep_prob, else 1 (no dropout).
    """
    metadata, tensors = read_safetensors(path, allow_int8=True)
    ours = metadata.get("format") == FORMAT_NAME
    version = 0
    if ours:
        version = _whole(metadata, "format_version", path)
        if version > FORMAT_VERSION:
            raise ModelFormatError(
                f"{path}: {METADATA_KEY}.format_version: expected {FORMAT_VERSION} or lower, found {version} "
                f"(written by a newer EdgeLstm; upgrade tools/pytorch/edgelstm_torch.py to read it)")
        kind = metadata.get("kind", "")
        allowed = ("model",) if version == INT8_VERSION else ("model", "checkpoint")
        if kind not in allowed:
            raise ModelFormatError(f"{path}: {METADATA_KEY}.kind: expected {' or '.join(repr(k) for k in allowed)}, found {kind!r}")
        config = {key: _whole(metadata, key, path) for key in ARCHITECTURE_KEYS}
        config["cell"], config["head"] = _network_from_metadata(metadata, config, path) if version >= 2 else ("lstm", HEADS[0])
    else:
        cell = "gru" if "gru.weight_ih_l0" in tensors and "lstm.weight_ih_l0" not in tensors else "lstm"
        for name in (f"{cell}.weight_ih_l0", "fc.weight"):
            if name not in tensors or tensors[name].ndim != 2:
                raise ModelFormatError(f"{path}: tensor {name}: expected a matrix (the file has no EdgeLstm metadata, "
                                       "so the architecture is read from the shapes), found it missing or not 2-D")
        layers = 0
        while f"{cell}.weight_ih_l{layers}" in tensors:
            layers += 1
        config = {"input_size": tensors[f"{cell}.weight_ih_l0"].shape[1], "hidden_size": tensors["fc.weight"].shape[1],
                  "num_layers": layers, "num_classes": tensors["fc.weight"].shape[0],
                  "steps": _whole(metadata, "steps", path) if "steps" in metadata else 28, "cell": cell, "head": HEADS[0]}

    int8 = version == INT8_VERSION
    if int8:
        for key, value in INT8_KEYS.items():
            if metadata.get(key) != value:
                raise ModelFormatError(f"{path}: {METADATA_KEY}.{key}: expected \"{value}\" (format_version 3 is the int8 "
                                       f"weight format), found {metadata.get(key)!r}")
    elif metadata.get("weight_dtype", "float32") != "float32" and ours:
        raise ModelFormatError(f"{path}: {METADATA_KEY}.weight_dtype: expected \"float32\" or no entry in a format_version "
                               f"{version} file (int8 weights are format_version 3), found {metadata['weight_dtype']!r}")

    expected = expected_tensors(config)
    names = {name for name, _ in expected}
    quantised = {name for name, shape in expected if int8 and len(shape) == 2}
    for name, shape in expected:
        want = "I8" if name in quantised else "F32"
        if name not in tensors:
            raise ModelFormatError(f"{path}: tensor {name}: expected it (shape {list(shape)} for this architecture), found it missing")
        if tensors[name].dtype != (np.int8 if want == "I8" else np.float32):
            raise ModelFormatError(f"{path}: tensor {name}: dtype: expected {want}, found {'I8' if tensors[name].dtype == np.int8 else 'F32'}")
        if tensors[name].shape != shape:
            raise ModelFormatError(f"{path}: tensor {name}: shape: expected {list(shape)}, found {list(tensors[name].shape)}")
        if name in quantised:
            scale_name = name + SCALE_SUFFIX
            if scale_name not in tensors or tensors[scale_name].dtype != np.float32:
                raise ModelFormatError(f"{path}: tensor {scale_name}: expected the F32 per-row scales of {name}, found them missing or not F32")
            _check_int8(path, name, tensors[name], tensors[scale_name])
    allowed_names = names | {name + SCALE_SUFFIX for name in quantised}
    for name in tensors:
        # A checkpoint's Adam moments, and the best weights so far of an early-stopping run (flagged in the metadata):
        # the same shapes as the model's tensors, not part of the model.
        is_moment = ours and metadata.get("kind") == "checkpoint" and (
            name.startswith(("adam.m.", "adam.v.")) or (metadata.get("train.best_weights") == "kept" and name.startswith("best.")))
        if name not in allowed_names and not is_moment:
            raise ModelFormatError(f"{path}: tensor {name}: expected no such tensor in this model, found it (extra tensor)")

    if keep_prob is None:
        keep_prob = float(metadata[KEEP_PROB_KEY]) if KEEP_PROB_KEY in metadata else 1.0
    model = EdgeLstmClassifier(keep_prob=keep_prob, **{k: (v if k in ("cell", "head") else int(v)) for k, v in config.items()})
    values = {name: dequantize_matrix(tensors[name], tensors[name + SCALE_SUFFIX]) if name in quantised else tensors[name]
              for name in names}
    model.load_state_dict({name: torch.from_numpy(values[name].copy()) for name in names}, strict=True)
    model.metadata = dict(metadata)
    model.int8_weights = {name: (tensors[name].copy(), tensors[name + SCALE_SUFFIX].copy()) for name in quantised}
    return model.eval()


def from_state_dict(state_dict, steps=28, keep_prob=0.5, head="classify_last_step"):
    """An EdgeLstmClassifier holding a PyTorch state_dict with EdgeLstm's names (lstm.* or gru.*, fc.*; `module.`
    prefixes from DistributedDataParallel are dropped); the sizes and the cell come from the names and shapes, the
    head (which they do not show) from `head`."""
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state_dict.items()}
    cell = "gru" if "gru.weight_ih_l0" in state and "lstm.weight_ih_l0" not in state else "lstm"
    if f"{cell}.weight_ih_l0" not in state or "fc.weight" not in state:
        raise ValueError("the state_dict has no lstm.weight_ih_l0 (or gru.weight_ih_l0) or fc.weight: name the modules `lstm` (or `gru`) and `fc`")
    layers = 0
    while f"{cell}.weight_ih_l{layers}" in state:
        layers += 1
    model = EdgeLstmClassifier(input_size=state[f"{cell}.weight_ih_l0"].shape[1], hidden_size=state["fc.weight"].shape[1],
                               num_layers=layers, num_classes=state["fc.weight"].shape[0], steps=steps, keep_prob=keep_prob,
                               cell=cell, head=head)
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
    weights = "int8 weights, " if getattr(model, "int8_weights", None) else ""
    return (f"{path}: {c['steps']} steps x {c['input_size']} inputs -> {c['num_layers']} {c['cell'].upper()} layers x "
            f"{c['hidden_size']} -> {c['head']} with {c['num_classes']} outputs, keep_prob {c['keep_prob']:g}, "
            f"{weights}{sum(p.numel() for p in model.parameters()):,} parameters")


def _export(args):
    state = torch.load(args.state_dict, map_location="cpu")
    if isinstance(state, nn.Module):
        state = state.state_dict()
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    model = from_state_dict(state, steps=args.steps, keep_prob=args.keep_prob, head=args.head)
    save(model, args.out, dict(kv.split("=", 1) for kv in args.meta), quantize=args.int8)
    print(_describe(model, args.out))
    return 0


def _quantize(args):
    model = load(args.model)
    if model.int8_weights:
        raise ValueError(f"{args.model}: the weights are int8 already")
    facts = {k: v for k, v in model.metadata.items() if k not in RESERVED_KEYS}
    save(model, args.out, facts, quantize=True)
    before, after = os.path.getsize(args.model), os.path.getsize(args.out)
    print(f"{_describe(load(args.out), args.out)}; {after:,} bytes ({after / before:.3f} of {before:,})")
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
    if model.head != "classify_last_step":
        print(f"(a {model.head} model: the MNIST check needs a last-step classifier)")
        return 0
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
    p.add_argument("state_dict", help="a torch.save'd state_dict with keys lstm.* (or gru.*) and fc.* (or a dict holding it "
                   "under 'state_dict' or 'model'; DDP's 'module.' prefix is dropped)")
    p.add_argument("out", help="the EdgeLstm model file to write (.safetensors)")
    p.add_argument("--steps", type=int, default=28, help="steps per sequence (28 rows for MNIST); default 28")
    p.add_argument("--keep-prob", type=float, default=0.5, help="the dropout keep probability it was trained with")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="an extra metadata entry")
    p.add_argument("--head", choices=HEADS, default=HEADS[0], help="what the fc layer predicts (the state_dict does not say); default classify_last_step")
    p.add_argument("--int8", action="store_true", help="write int8 weights (format_version 3), as `edgelstm quantize` would")
    p.set_defaults(run=_export)
    p = sub.add_parser("quantize", help="EdgeLstm model file -> the same model with int8 weights (format_version 3)")
    p.add_argument("model")
    p.add_argument("out")
    p.set_defaults(run=_quantize)
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
