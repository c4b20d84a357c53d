#!/usr/bin/python3
"""Exports full-width torchvision ResNet-18 and ResNet-50 (random init, seed 0)
for the .bnn size measurement; the files (47 MB, 102 MB) are not committed.

    /usr/bin/python3 testdata/bnn/export_full_resnets.py /tmp/fullres
    BNN_SIZE_MODELS=/tmp/fullres/resnet18.onnx:/tmp/fullres/resnet50.onnx go test ./pack -run TestSizes -v
"""
import os
import sys

import torch
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, ctor in [("resnet18", torchvision.models.resnet18), ("resnet50", torchvision.models.resnet50)]:
    m = ctor().eval()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(m, x, os.path.join(out, f"{name}.onnx"), opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    print(name, "ok")
