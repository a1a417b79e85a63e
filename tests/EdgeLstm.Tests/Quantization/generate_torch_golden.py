# Generates tests/EdgeLstm.Tests/Fixtures/int8_torch_golden.safetensors: fp32 weights, the fp32 scales max|w|/127 and
# torch.quantize_per_channel's int8 values for them (qint8, zero points 0, axis 0).
import json, struct, sys, torch
g = torch.Generator().manual_seed(14)
R, C = 64, 33
s = (torch.rand(R, generator=g) * 0.1 + 1e-3).to(torch.float32)
k = torch.randint(-126, 126, (R, C), generator=g).float()
ties = ((k + 0.5) * s[:, None]).to(torch.float32)   # values that land on or next to a tie after the reciprocal
ties[:, 0] = 127 * s
rand = torch.randn(32, C, generator=g) * torch.rand(32, 1, generator=g) * 3
rand[5, 7] = -rand[5].abs().max() * 1.5              # a row whose extreme is negative
w = torch.cat([ties, rand]).to(torch.float32).contiguous()
scales = (w.abs().amax(1) / 127).to(torch.float32)
q = torch.quantize_per_channel(w, scales.double(), torch.zeros(w.shape[0], dtype=torch.long), 0, torch.qint8).int_repr().contiguous()
tensors = [("weights", "F32", list(w.shape), w.numpy().tobytes()),
           ("scales", "F32", list(scales.shape), scales.numpy().tobytes()),
           ("torch_q", "I8", list(q.shape), q.numpy().tobytes())]
header, off = {"__metadata__": {"generator": "tests/EdgeLstm.Tests/Quantization/generate_torch_golden.py", "torch": torch.__version__}}, 0
for name, dt, shape, data in tensors:
    header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(data)]}
    off += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(t[3] for t in tensors))
print("rows", w.shape[0], "torch min", q.min().item(), "max", q.max().item())
