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
