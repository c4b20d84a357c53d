#!/usr/bin/python3
"""Synthetic ImageNet-shaped data for the epoch benchmark (scripts/bench/epoch.sh).

Writes, deterministically from a seed:
  OUT/jpeg/CLASS/NNNN.jpg  N colour JPEGs of about 500x375 (sizes vary by a few
                           pixels, a quarter of them portrait), quality 90, in
                           10 class folders: smooth gradients, blobs and noise,
                           so they compress like photos (~40-60 KB each)
  OUT/npy/x.npy, y.npy     N uint8 images [N, 3, 224, 224] and int64 labels

Nothing here is committed: it is bench input, regenerated in seconds.
  /usr/bin/python3 scripts/bench/make_image_data.py [--out /work/data] [--n 512]
"""

import argparse
import os

import numpy as np
from PIL import Image


def photo(rng, w, h):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        a, b, p = rng.uniform(-1, 1, 3)
        img[..., c] = 128 + 60 * np.sin(a * xx / 40 + b * yy / 30 + p * 6)
    for _ in range(rng.integers(3, 8)):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(20, 120)
        mask = ((xx - cx) ** 2 + (yy - cy) ** 2) < r * r
        img[mask] = img[mask] * 0.4 + rng.uniform(0, 255, 3) * 0.6
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/work/data")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    labels = rng.integers(0, 10, args.n)
    for i, label in enumerate(labels):
        w, h = 500 + int(rng.integers(-8, 9)), 375 + int(rng.integers(-8, 9))
        if i % 4 == 3:
            w, h = h, w
        d = os.path.join(args.out, "jpeg", "class%d" % label)
        os.makedirs(d, exist_ok=True)
        photo(rng, w, h).save(os.path.join(d, "%04d.jpg" % i), quality=90)
    x = np.stack([np.asarray(photo(rng, 224, 224)).transpose(2, 0, 1) for _ in range(args.n)])
    os.makedirs(os.path.join(args.out, "npy"), exist_ok=True)
    np.save(os.path.join(args.out, "npy", "x.npy"), x)
    np.save(os.path.join(args.out, "npy", "y.npy"), labels.astype(np.int64))
    print("wrote %d JPEGs and x.npy %s under %s" % (args.n, x.shape, args.out))


if __name__ == "__main__":
    main()
