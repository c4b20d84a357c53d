#!/usr/bin/python3
"""Exports the full-size models of the training benchmarks (issue 19).

Too big to commit: they go to /work/models by default. Same conventions and
export function as export_families.py (random weights from a fixed seed, BN
statistics from calibrate_bn, dynamic batch, input "input", output
"logits", NAME.input.npy and NAME.torch_output.npy beside each model):

  resnet18_op13     torchvision resnet18(num_classes=10), 3x224x224   (11.2 M params)
  resnet50_op13     torchvision resnet50(num_classes=10), 3x224x224   (23.5 M params)
  wrn20_4_op13      McDonnell's WRN-20-4 (the paper's CIFAR net: widths
                    64/128/256, pre-activation, affine-free BN, avg-pool +
                    zero-channel shortcuts, 1x1 conv head), 3x32x32 (4.3 M)

Run from the repo root with Debian's python (torch 1.13, torchvision 0.14):
  /usr/bin/python3 testdata/scripts/export_bench_models.py [--out /work/models] [--only NAME,...]
"""

import os
import sys

from torchvision import models

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_families  # noqa: E402
import export_models  # noqa: E402
import families as fam  # noqa: E402

MODELS = [
    ("resnet18_op13", lambda: models.resnet18(num_classes=10), (3, 224, 224), 13, 18,
     "torchvision ResNet-18, 10 classes"),
    ("resnet50_op13", lambda: models.resnet50(num_classes=10), (3, 224, 224), 13, 50,
     "torchvision ResNet-50, 10 classes"),
    ("wrn20_4_op13", lambda: fam.McDonnellWRN(widths=(64, 128, 256), n=3), (3, 32, 32), 13, 204,
     "McDonnell's WRN-20-4, 10 classes"),
]


def main():
    export_models.main(MODELS, "/work/models", export_families.export)


if __name__ == "__main__":
    main()
