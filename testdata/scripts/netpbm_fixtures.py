# Writes the netpbm fixtures of internal/dataset (netpbm_test.go) and what
# PIL decodes them to, the reference the test compares with.
# Run once, with Debian's python3-pil and python3-numpy, from the repository root:
#   /usr/bin/python3 testdata/scripts/netpbm_fixtures.py
# The files are written byte by byte (PIL writes only P4, P5 and P6 at
# maxval 255 or 65535); PIL reads each back as torchvision's ImageFolder
# does, convert("RGB"), or convert("L") for bitmaps and gray maps, which
# keep one channel in bincompress. expected.json holds the pixels, HWC.
import json
import os

import numpy as np
from PIL import Image

OUT = "internal/dataset/testdata/netpbm"
rng = np.random.default_rng(11)


def raw(magic, w, h, maxval, samples, comment=b"", big=False):
    head = b"P%d\n%s%d %d\n" % (magic, comment, w, h)
    if maxval is not None:
        head += b"%d\n" % maxval
    a = np.asarray(samples, dtype=">u2" if big else np.uint8)
    return head + a.tobytes()


def plain(magic, w, h, maxval, samples, per_line):
    head = b"P%d\n# plain, with a comment\n%d %d\n" % (magic, w, h)
    if maxval is not None:
        head += b"%d\n" % maxval
    flat = [str(int(v)).encode() for v in np.asarray(samples).ravel()]
    lines = [b" ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return head + b"\n".join(lines) + b"\n"


files = {
    # GTSRB's kind: 8-bit RGB, a comment in the header
    "rgb8.ppm": raw(6, 4, 3, 255, rng.integers(0, 256, (3, 4, 3)), b"# GTSRB-like\n"),
    "gray8.pgm": raw(5, 5, 2, 255, rng.integers(0, 256, (2, 5))),
    # maxval 15 and 7: samples scaled to 0..255 (odd maxvals: no rounding ties)
    "gray15.pgm": raw(5, 3, 3, 15, rng.integers(0, 16, (3, 3))),
    "rgb7_plain.ppm": plain(3, 3, 2, 7, rng.integers(0, 8, (2, 3, 3)), 4),
    # over 255: PIL rounds v*255/maxval, bincompress scales to 16 bits and
    # takes the high byte (as for 16-bit PNG), so within a level. (PIL
    # reads a gray map over 255 as mode I, which convert clips to 255: no
    # reference; netpbm_test.go checks those by hand.)
    "rgb1001_plain.ppm": plain(3, 4, 2, 1001, rng.integers(0, 1002, (2, 4, 3)), 5),
    "rgb16.ppm": raw(6, 2, 2, 65535, rng.integers(0, 65536, (2, 2, 3)), big=True),
    "bits_plain.pbm": b"P1\n# a bitmap\n10 2\n" + b"".join(
        b"".join(b"%d" % v for v in row) + b"\n" for row in rng.integers(0, 2, (2, 10))),
    # 10 wide: each row of two bytes, the last 6 bits padding (set here)
    "bits.pbm": b"P4\n10 3\n" + bytes(rng.integers(0, 256, 6).astype(np.uint8) | np.array([0, 0x3f] * 3, np.uint8)),
}
# P1's "%d" rows above have no spaces between pixels, as the format allows.
os.makedirs(OUT, exist_ok=True)
expected = {}
for name, b in files.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b)
    im = Image.open(os.path.join(OUT, name))
    mode = "RGB" if im.mode == "RGB" else "L"
    a = np.asarray(im.convert(mode))
    expected[name] = {"mode": mode, "w": im.size[0], "h": im.size[1], "hwc": a.ravel().tolist()}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    f.write("{\n" + ",\n".join("%s: %s" % (json.dumps(k), json.dumps(v, sort_keys=True))
                               for k, v in sorted(expected.items())) + "\n}\n")
