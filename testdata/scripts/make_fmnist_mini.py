"""Cut a small Fashion-MNIST subset for the README quick start and the tests.

Reads the Debian package dataset-fashion-mnist and writes the first N_TRAIN
training and N_TEST test images, with their labels, as gzip IDX files under
testdata/data/fmnist-mini/ (the same layout as the full data set, so every
loader path is the real one). Deterministic: gzip mtime is fixed to 0.

    /usr/bin/python3 testdata/scripts/make_fmnist_mini.py
"""
import gzip
import os

SRC = "/usr/share/datasets/fashion-mnist"
DST = os.path.join(os.path.dirname(__file__), "..", "data", "fmnist-mini")
N_TRAIN, N_TEST = 2000, 1000


def cut(name, count, header_len, item_bytes):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        raw = f.read()
    header = bytearray(raw[:header_len])
    header[4:8] = count.to_bytes(4, "big")  # first dimension: number of items
    body = raw[header_len:header_len + count * item_bytes]
    assert len(body) == count * item_bytes
    with open(os.path.join(DST, name), "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
            gz.write(bytes(header) + body)


os.makedirs(DST, exist_ok=True)
for split, n in (("train", N_TRAIN), ("t10k", N_TEST)):
    cut(f"{split}-images-idx3-ubyte.gz", n, 16, 28 * 28)
    cut(f"{split}-labels-idx1-ubyte.gz", n, 8, 1)
