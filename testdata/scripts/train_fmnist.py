#!/usr/bin/python3
"""Trains a CIFAR-style ResNet on Fashion-MNIST in fp32 and exports it to ONNX.

Data: the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist,
IDX, gzip). Preprocessing: pixels / 255, then (x - 0.2860) / 0.3530. Augmentation:
pad-2 random crop and horizontal flip. SGD (momentum 0.9, Nesterov, weight decay
5e-4 on conv and linear weights), cosine learning rate stepped per batch.

Presets:
  resnet20: depth 20, widths 16/32/64  -> testdata/models/fmnist_resnet20.onnx
  tiny:     depth 8,  widths 8/16/32   -> testdata/models/fmnist_tiny.onnx
  wrn:      McDonnell's WRN (families.McDonnellWRN: pre-activation, affine-free
            BN, avg-pool + zero-channel shortcut, 1x1 conv head), one block
            per stage, widths 32/64/128 -> testdata/models/fmnist_wrn8_2.onnx
  resnet18: torchvision's ResNet-18 (7x7/2 stem, max pool, 1x1 projection
            shortcuts), base width 16, 15 epochs -> fmnist_resnet18_w16.onnx

Run from the repo root with Debian's python (torch 1.13):
  /usr/bin/python3 testdata/scripts/train_fmnist.py --preset resnet20
  /usr/bin/python3 testdata/scripts/train_fmnist.py --preset tiny
  /usr/bin/python3 testdata/scripts/train_fmnist.py --preset wrn
  /usr/bin/python3 testdata/scripts/train_fmnist.py --preset resnet18
Writes MODEL.onnx, MODEL.json (accuracy over the full 10k test set, epochs, wall
time, seed, versions) and MODEL.input.npy / MODEL.torch_output.npy (the first 2
test images, preprocessed, and PyTorch's logits for them).
"""

import argparse
import gzip
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families  # noqa: E402
import resnets  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530
PRESETS = {
    "resnet20": dict(family="cifar", depth=20, widths=(16, 32, 64), epochs=6, lr=0.1, name="fmnist_resnet20"),
    "tiny": dict(family="cifar", depth=8, widths=(8, 16, 32), epochs=4, lr=0.1, name="fmnist_tiny"),
    "wrn": dict(family="wrn", widths=(32, 64, 128), n=1, epochs=6, lr=0.1, name="fmnist_wrn8_2", fold=True),
    "resnet18": dict(family="tv18", base=16, epochs=15, lr=0.1, name="fmnist_resnet18_w16"),
}


def build(p):
    if p["family"] == "wrn":
        # McDonnell's WRN as the paper has it: an affine BN on the input,
        # Keras "same" pooling in the shortcut, He-normal convs; the zero
        # channels as the input times 0, so no shape is computed at run time.
        m = families.McDonnellWRN(p["widths"], 10, p["n"], in_channels=1, input_bn=True, pad_counts=False, zeros="mul")
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(mod.weight, mode="fan_in", nonlinearity="relu")
        return m
    if p["family"] == "tv18":
        return resnets.tv_resnet18(p["base"], num_classes=10, in_channels=1)
    return resnets.cifar_resnet(p["depth"], p["widths"], in_channels=1, num_classes=10)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    off = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, offset=off)
    if arr.size != int(np.prod(dims)):
        raise ValueError("%s: %d bytes of data, dims %s" % (path, arr.size, dims))
    return arr.reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, prefix + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA, prefix + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    x = (x - MEAN) / STD
    return x, torch.from_numpy(y.astype(np.int64))


def augment(xb, gen, pad=2):
    """Random pad-and-crop (zero = normalized black) and horizontal flip."""
    n, c, h, w = xb.shape
    bg = (0.0 - MEAN) / STD
    padded = F.pad(xb, (pad, pad, pad, pad), value=bg)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.empty_like(xb)
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
        out[i] = img.flip(-1) if flip[i] else img
    return out


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=sorted(PRESETS), default="resnet20")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--out", default="testdata/models")
    ap.add_argument("--max-steps", type=int, default=0, help="stop each epoch after N steps (timing only)")
    ap.add_argument("--state", default="", help="also save the trained weights and history here (torch.save)")
    ap.add_argument("--export-only", action="store_true", help="skip training: load --state and export it again")
    args = ap.parse_args()
    p = PRESETS[args.preset]
    epochs = args.epochs or p["epochs"]

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    xtr, ytr = load("train")
    xte, yte = load("test")
    model = build(p)
    if args.export_only:
        saved = torch.load(args.state)
        model.load_state_dict(saved["model"])
        export(model, p, args, saved["meta"], xte, yte)
        return
    decay, no_decay = [], []
    for name, prm in model.named_parameters():
        (decay if prm.dim() > 1 else no_decay).append(prm)
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
        lr=p["lr"], momentum=0.9, nesterov=True)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    if args.max_steps:
        steps_per_epoch = min(steps_per_epoch, args.max_steps)
    total = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, total) / total)))

    t0 = time.time()
    c0 = time.process_time()
    history = []
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        te = time.time()
        loss_sum, seen, correct = 0.0, 0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            xb = augment(xtr[idx], gen)
            yb = ytr[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            seen += len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            if s % 50 == 0:
                print("epoch %d step %d/%d loss %.4f %.1f img/s" % (
                    ep + 1, s, steps_per_epoch, loss.item(), seen / (time.time() - te)), flush=True)
        acc = evaluate(model, xte, yte)
        rec = dict(epoch=ep + 1, train_loss=loss_sum / seen, train_acc=correct / seen,
                   test_acc=acc, epoch_seconds=round(time.time() - te, 1))
        history.append(rec)
        print(json.dumps(rec), flush=True)
    meta = dict(history=history, epochs=epochs, wall_seconds=round(time.time() - t0, 1),
                cpu_seconds=round(time.process_time() - c0, 1))
    if args.state:
        torch.save(dict(model=model.state_dict(), meta=meta), args.state)
    export(model, p, args, meta, xte, yte)


def export(model, p, args, meta, xte, yte):
    """Writes the ONNX model, the reference input/output pair and the JSON record."""
    history = meta["history"]
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, p["name"])
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(model, dummy, base + ".onnx", opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=p.get("fold", False))
    xin = xte[:2].numpy().astype(np.float32)
    with torch.no_grad():
        yout = model(xte[:2]).numpy().astype(np.float32)
    np.save(base + ".input.npy", xin)
    np.save(base + ".torch_output.npy", yout)
    info = dict(
        model=p["name"] + ".onnx", preset=args.preset,
        **{k: v for k, v in p.items() if k in ("family", "depth", "widths", "n", "base")},
        params=sum(t.numel() for t in model.parameters()),
        test_accuracy=history[-1]["test_acc"], test_images=len(xte),
        epochs=meta["epochs"], batch=args.batch, lr_max=p["lr"], schedule="cosine per batch, SGD momentum 0.9 nesterov, wd 5e-4",
        augmentation="pad-2 random crop + horizontal flip", mean=MEAN, std=STD,
        seed=args.seed, threads=args.threads, wall_seconds=meta["wall_seconds"], cpu_seconds=meta["cpu_seconds"],
        torch=torch.__version__, python=platform.python_version(), history=history,
        opset=13, input="input [N,1,28,28] float32", output="logits [N,10] float32",
        data=DATA)
    with open(base + ".json", "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(json.dumps({k: info[k] for k in ("model", "test_accuracy", "epochs", "wall_seconds")}))


if __name__ == "__main__":
    main()
