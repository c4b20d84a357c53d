#!/usr/bin/python3
"""Exports one small classifier three times: taking NCHW input, taking NHWC
input (a permute at the start, as tf2onnx exports of TensorFlow-trained models
begin with a Transpose), and taking NCHW input of any height and width (the
exporter's dynamic_axes on H and W too, as many users export). Same weights,
so for the same images laid out each way they give the same logits: the CLI
tests hold the data pipeline's NHWC layout, and the input size that
--center-crop gives a model of symbolic size, to that.

Writes into --out (default testdata/models):
  layout_nchw.onnx   input "input" [batch, 3, 20, 20], output "logits" [batch, 4]
  layout_nhwc.onnx   input "input" [batch, 20, 20, 3], same weights
  layout_dynhw.onnx  input "input" [batch, 3, height, width], same weights
  layout_{nchw,nhwc,dynhw}.input.npy         one seeded batch of 2, each layout
  layout_{nchw,nhwc,dynhw}.torch_output.npy  PyTorch's logits (equal)

Run from the repo root with Debian's python (torch 1.13):
  /usr/bin/python3 testdata/scripts/export_layouts.py
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import calibrate_bn  # noqa: E402

SHAPE = (3, 20, 20)
CLASSES = 4


class Net(nn.Module):
    """conv-BN-ReLU, a strided conv-BN-ReLU, global pooling, a linear layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, CLASSES))
        self.nhwc = False

    def forward(self, x):
        if self.nhwc:
            x = x.permute(0, 3, 1, 2)
        return self.body(x)


def export(model, x, path, axes):
    torch.onnx.export(
        model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": axes, "logits": {0: "batch"}},
        training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="testdata/models")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(20)
    gen = torch.Generator().manual_seed(20)
    model = Net()
    calibrate_bn(model, SHAPE, gen)
    x = torch.rand((2,) + SHAPE, generator=gen)
    with torch.no_grad():
        y = model(x)
    batch = {0: "batch"}
    anysize = {0: "batch", 2: "height", 3: "width"}
    for name, nhwc, inp, axes in [("layout_nchw", False, x, batch),
                                  ("layout_nhwc", True, x.permute(0, 2, 3, 1).contiguous(), batch),
                                  ("layout_dynhw", False, x, anysize)]:
        model.nhwc = nhwc
        with torch.no_grad():
            if not torch.allclose(model(inp), y, rtol=1e-5, atol=1e-6):
                raise SystemExit("%s: logits differ between layouts" % name)
        export(model, inp, os.path.join(args.out, name + ".onnx"), axes)
        np.save(os.path.join(args.out, name + ".input.npy"), inp.numpy().astype(np.float32))
        np.save(os.path.join(args.out, name + ".torch_output.npy"), y.numpy().astype(np.float32))
        print(name, list(inp.shape[1:]), os.path.getsize(os.path.join(args.out, name + ".onnx")), "bytes")


if __name__ == "__main__":
    main()
