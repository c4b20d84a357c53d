# Writes the JPEG and lossy WebP fixtures jpeg_test.go decodes and PIL's
# decoding of them (libjpeg-turbo's and libwebp's fancy upsampling, as
# torchvision's ImageFolder reads them).
# Run once with Debian's python: cd internal/dataset/testdata && /usr/bin/python3 gen_jpeg.py
import numpy as np
from PIL import Image

rng = np.random.default_rng(11)
# 17x13 (odd both ways): sharp saturated blocks on noise, where replicated
# chroma differs most from libjpeg's triangle filter.
a = rng.integers(60, 200, size=(13, 17, 3), dtype=np.uint8)
a[2:9, 3:8] = [230, 20, 20]
a[5:12, 9:15] = [20, 40, 230]
a[0:4, 12:17] = [20, 220, 40]
for name, sub in [("jpeg420", 2), ("jpeg422", 1), ("jpeg444", 0)]:
    Image.fromarray(a).save(name + ".jpg", quality=92, subsampling=sub)
    rgb = np.asarray(Image.open(name + ".jpg").convert("RGB"))  # HWC
    np.save(name + ".pil.npy", np.ascontiguousarray(rgb.transpose(2, 0, 1)))  # CHW uint8
Image.fromarray(a).save("webp420.webp", quality=90)  # lossy VP8: always 4:2:0
rgb = np.asarray(Image.open("webp420.webp").convert("RGB"))
np.save("webp420.pil.npy", np.ascontiguousarray(rgb.transpose(2, 0, 1)))
