# Writes the torchvision reference outputs preprocess_test.go compares with.
# Run once with Debian's torch: cd internal/dataset/testdata && /usr/bin/python3 gen_preprocess.py
import numpy as np
import torch
import torchvision.transforms as T

rng = np.random.default_rng(7)
img = rng.integers(0, 256, size=(3, 7, 10), dtype=np.uint8)  # CHW
np.save("prep_in.npy", img)
x = torch.from_numpy(img).float() / 255  # ToTensor on a CHW array

down = T.Compose([
    T.Resize(5, interpolation=T.InterpolationMode.BILINEAR, antialias=False),  # shorter side 7 -> 5
    T.CenterCrop(4),
    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
np.save("prep_down.npy", down(x).numpy().astype(np.float32))

up = T.Compose([
    T.Resize((9, 13), interpolation=T.InterpolationMode.BILINEAR, antialias=False),
    T.Normalize([0.5], [0.25]),
])
np.save("prep_up.npy", up(x).numpy().astype(np.float32))

# A crop larger than the image along one or both sides: torchvision pads
# with zeros ((crop-size)//2 before, the rest after), then crops.
pad = T.Compose([T.CenterCrop((10, 13)), T.Normalize([0.5], [0.25])])
np.save("prep_pad.npy", pad(x).numpy().astype(np.float32))
pad1 = T.Compose([T.CenterCrop((4, 13)), T.Normalize([0.5], [0.25])])
np.save("prep_pad_w.npy", pad1(x).numpy().astype(np.float32))
padr = T.Compose([
    T.Resize(5, interpolation=T.InterpolationMode.BILINEAR, antialias=False),  # 5x7
    T.CenterCrop((8, 6)),
    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
np.save("prep_pad_resize.npy", padr(x).numpy().astype(np.float32))

# Antialiased shrinking (Preprocess.Antialias): torchvision's Resize with
# antialias=True on the float tensor, and PIL's resize (BILINEAR) on the
# uint8 image, which torchvision's Resize of a PIL image calls. Factors of
# 2.6 and 3.7 down, one side up, and a resize to one size.
from PIL import Image

rng = np.random.default_rng(11)
big = rng.integers(0, 256, size=(3, 37, 50), dtype=np.uint8)  # CHW
np.save("prep_aa_in.npy", big)
xb = torch.from_numpy(big).float() / 255
for name, size in (("prep_aa_short.npy", 14), ("prep_aa_hw.npy", (10, 19)), ("prep_aa_mixed.npy", (10, 60))):
    aa = T.Resize(size, interpolation=T.InterpolationMode.BILINEAR, antialias=True)
    np.save(name, aa(xb).numpy().astype(np.float32))
    h, w = (size, int(size * 50 / 37)) if isinstance(size, int) else size
    pil = np.stack([np.asarray(Image.fromarray(c).resize((w, h), Image.BILINEAR)) for c in big])
    np.save(name.replace(".npy", ".pil.npy"), pil)
