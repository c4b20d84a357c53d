#!/usr/bin/python3
"""Splits Fashion-MNIST's 10k test images into two disjoint IDX data sets.

For --holdout-data (docs/BENCHMARKS.md, "Held-out data the source never
saw"): the source models of testdata/models trained on all 60,000 training
images, so the only images they never saw are the test split's. One half
decides (--holdout-data HELD), the other verifies (--val TEST).

  /usr/bin/python3 scripts/bench/split_test.py HELD_DIR TEST_DIR [--seed 0]

Each folder gets t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz,
5,000 images each, drawn by a seeded permutation (numpy's default_rng).
"""

import argparse
import gzip
import os
import struct

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, arr):
    head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + np.ascontiguousarray(arr, np.uint8).tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("held")
    ap.add_argument("test")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    x = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    perm = np.random.default_rng(args.seed).permutation(len(y))
    half = len(y) // 2
    for out, idx in ((args.held, np.sort(perm[:half])), (args.test, np.sort(perm[half:]))):
        os.makedirs(out, exist_ok=True)
        write_idx(os.path.join(out, "t10k-images-idx3-ubyte.gz"), x[idx])
        write_idx(os.path.join(out, "t10k-labels-idx1-ubyte.gz"), y[idx])
        print("%s: %d images, classes %s" % (out, len(idx), np.bincount(y[idx]).tolist()))


if __name__ == "__main__":
    main()
