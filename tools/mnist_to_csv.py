"""MNIST (IDX, gzipped) as a long-format CSV for `edgelstm train --data`: one row per image row (image, row, p0..p27, label).

Usage: /usr/bin/python3 tools/mnist_to_csv.py train|test OUT.csv [COUNT]   (from the repository root; numpy only)

Pixels are written as the IDX path feeds them to the network: byte × (1/255) in float32, in the shortest text that
reads back as that float (0, 0.003921569, …, 1). With the recipe's options and `--validation 0 --normalize none
--batches recipe`, `edgelstm train` on this file trains the IDX recipe's weights bit for bit (README, "MNIST as a
long-format CSV"; tests/EdgeLstm.Tests/Cli/MnistCsvRecipeTests.cs).
"""
import gzip, sys
import numpy as np
def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
# EdgeLstm's ImageSet.ByteScale (1f / 255f) and its float32 product with each byte, as text; every text must read back
# (as a double, then rounded to float32, as the CSV reader does) to exactly that float.
scale = np.float32(1) / np.float32(255)
pixel = [np.format_float_positional(np.float32(b) * scale, unique=True, trim="-") for b in range(256)]
assert all(np.float32(float(pixel[b])) == np.float32(b) * scale for b in range(256))
split, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None
prefix = "train" if split == "train" else "t10k"
images = idx(f"data/mnist/{prefix}-images-idx3-ubyte.gz")[:count]
labels = idx(f"data/mnist/{prefix}-labels-idx1-ubyte.gz")[:count]
with open(out, "w") as f:
    f.write("image,row," + ",".join(f"p{c}" for c in range(28)) + ",label\n")
    for n, (image, label) in enumerate(zip(images, labels)):
        for r in range(28):
            f.write(f"{n},{r}," + ",".join(pixel[p] for p in image[r]) + f",{label}\n")
