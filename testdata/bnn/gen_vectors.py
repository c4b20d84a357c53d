#!/usr/bin/python3
"""Writes vectors.json: spec test vectors for docs/bnn-format.md.

The packed bytes come from numpy (np.packbits with bitorder='little'), an
implementation of the bit layout that bincompress did not write:
bit 1 <-> +1 (x >= 0, so sign(0) = +1), one row per output channel, least
significant bit first, each row padded with 0 bits to a whole 64-bit word,
words little-endian. Run: /usr/bin/python3 testdata/bnn/gen_vectors.py
"""
import json
import os

import numpy as np

CASES = [  # name, shape [K, C/G, kH, kW] or [K, N]
    ("worked_example", [2, 5]),
    ("one_element", [1, 1]),
    ("full_word", [2, 64]),
    ("word_plus_one", [2, 65]),
    ("conv3x3_c1", [3, 1, 3, 3]),
    ("stem_3x7x7", [2, 3, 7, 7]),
    ("depthwise", [4, 1, 3, 3]),
]


def pack(w):
    k = w.shape[0]
    rows = w.reshape(k, -1)
    n = rows.shape[1]
    padded = ((n + 63) // 64) * 64
    bits = np.zeros((k, padded), dtype=np.uint8)
    bits[:, :n] = rows >= 0
    return np.packbits(bits, axis=1, bitorder="little").tobytes()


def main():
    rng = np.random.default_rng(20261126)
    out = []
    for name, shape in CASES:
        if name == "worked_example":
            w = np.array([[0.5, -1.0, 0.0, -0.0, 2.0],
                          [-0.25, 0.75, -3.0, 1.0, -0.5]], dtype=np.float32)
        else:
            w = rng.standard_normal(shape).astype(np.float32)
            flat = w.reshape(-1)
            flat[::7] = 0.0  # sign(0) = +1
            flat[3::11] = -0.0
        out.append({
            "name": name,
            "shape": shape,
            "values": [float(x) for x in w.reshape(-1)],
            "packed_hex": pack(w).hex(),
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path, "w") as f:
        json.dump({"convention": "bit1=+1 lsb-first uint64-le rows-padded-to-64", "cases": out}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
