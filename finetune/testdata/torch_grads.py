#!/usr/bin/python3
"""PyTorch reference for one training-mode step of testdata/models/fmnist_tiny.onnx.

The model is copied beside the references (fmnist_tiny_step.onnx), so that
retraining testdata/models/fmnist_tiny.onnx does not invalidate them.

Loads the ONNX weights into resnets.cifar_resnet(8, (8, 16, 32), 1 channel),
pairing the graph's Conv / BatchNormalization / Gemm nodes with the model's
Conv2d / BatchNorm2d / Linear modules in order (the exporter traced them in
that order; an Identity forwarding a merged initializer is followed). Runs
one batch of 8 seeded inputs in train mode (BN with batch statistics) with
mean cross-entropy and writes, for finetune's TestGradientsMatchPyTorch:

  fmnist_tiny_step.onnx       the model the references are for
  fmnist_tiny_step.x.npy      float32 [8, 1, 28, 28]
  fmnist_tiny_step.y.npy      int64   [8]
  fmnist_tiny_step.loss.npy   float32 [1]
  fmnist_tiny_step.grads.npy  float32, the gradients of every module's weight
                              (and bias, when it has one) in module order,
                              concatenated

Run from the repository root with Debian's python (torch 1.13, onnx):
  /usr/bin/python3 finetune/testdata/torch_grads.py
"""

import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "testdata", "scripts"))
import resnets  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


def onnx_layers(path):
    g = onnx.load(path).graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    alias = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity"}
    value = lambda name: inits[alias.get(name, name)]  # noqa: E731
    layers = []
    for n in g.node:
        if n.op_type in ("Conv", "Gemm", "BatchNormalization"):
            layers.append((n.op_type, [value(i) for i in n.input[1:] if i]))
    return layers


def load(model, layers):
    kinds = {nn.Conv2d: "Conv", nn.Linear: "Gemm", nn.BatchNorm2d: "BatchNormalization"}
    mods = [m for m in model.modules() if type(m) in kinds]
    assert len(mods) == len(layers), (len(mods), len(layers))
    with torch.no_grad():
        for m, (kind, vals) in zip(mods, layers):
            assert kinds[type(m)] == kind, (m, kind)
            if kind == "BatchNormalization":
                for p, v in zip((m.weight, m.bias, m.running_mean, m.running_var), vals):
                    p.copy_(torch.from_numpy(v))
            else:
                m.weight.copy_(torch.from_numpy(vals[0]))
                if m.bias is not None:
                    m.bias.copy_(torch.from_numpy(vals[1]))
    return mods


def main():
    torch.manual_seed(0)
    model = resnets.cifar_resnet(8, (8, 16, 32), in_channels=1, num_classes=10)
    src = os.path.join(ROOT, "testdata", "models", "fmnist_tiny.onnx")
    shutil.copyfile(src, os.path.join(OUT, "fmnist_tiny_step.onnx"))
    mods = load(model, onnx_layers(src))
    gen = torch.Generator().manual_seed(5)
    x = torch.randn((8, 1, 28, 28), generator=gen)
    y = torch.randint(0, 10, (8,), generator=gen)
    model.train()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    grads = []
    for m in mods:
        grads.append(m.weight.grad.numpy().ravel())
        if m.bias is not None:
            grads.append(m.bias.grad.numpy().ravel())
    np.save(os.path.join(OUT, "fmnist_tiny_step.x.npy"), x.numpy())
    np.save(os.path.join(OUT, "fmnist_tiny_step.y.npy"), y.numpy().astype(np.int64))
    np.save(os.path.join(OUT, "fmnist_tiny_step.loss.npy"), np.array([loss.item()], dtype=np.float32))
    np.save(os.path.join(OUT, "fmnist_tiny_step.grads.npy"), np.concatenate(grads).astype(np.float32))
    print("loss", loss.item(), "grad values", sum(g.size for g in grads))


if __name__ == "__main__":
    main()
