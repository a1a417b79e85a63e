"""MNIST (IDX, gzipped) as a long-format CSV for `edgelstm train --data`: one row per image row (image, row, p0..p27, label).

Usage: /usr/bin/python3 tools/mnist_to_csv.py train|test OUT.csv [COUNT]   (from the repository root; numpy only)
"""
import gzip, sys
import numpy as np
def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
split, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None
prefix = "train" if split == "train" else "t10k"
images = idx(f"data/mnist/{prefix}-images-idx3-ubyte.gz")[:count]
labels = idx(f"data/mnist/{prefix}-labels-idx1-ubyte.gz")[:count]
with open(out, "w") as f:
    f.write("image,row," + ",".join(f"p{c}" for c in range(28)) + ",label\n")
    for n, (image, label) in enumerate(zip(images, labels)):
        for r in range(28):
            f.write(f"{n},{r}," + ",".join(map(str, image[r])) + f",{label}\n")
