#!/usr/bin/python3
"""Exports the small ResNets of every family of issue 14 to testdata/models/families.

Deterministic: each model is built from a fixed seed with random weights (no
downloads), its BatchNorm layers get random statistics the way
export_models.py does (calibrate_bn), and its input is seeded. For each
model NAME this writes, like export_models.py:
  NAME.onnx               dynamic batch dimension ("batch"), input "input", output "logits"
  NAME.input.npy          float32 batch of 2, seeded standard normal ([2, C, H, W],
                          or [2, H, W, C] for the NHWC model)
  NAME.torch_output.npy   PyTorch's float32 logits for NAME.input.npy (eval mode)
and prints one JSON line per model, then the README's table.

Run from the repo root with Debian's python (torch 1.13, torchvision 0.14, onnx 1.12):
  /usr/bin/python3 testdata/scripts/export_families.py [--out testdata/models/families] [--only NAME,...]
"""

import os
import sys

import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models  # noqa: E402
import families as fam  # noqa: E402

CIFAR = (3, 32, 32)
SMALL = (3, 16, 16)

# name, builder, input shape (without batch), opset, seed, what it stands for
MODELS = [
    ("tv_basic_op7", lambda: fam.tv_resnet(fam.tvr.BasicBlock, 8), CIFAR, 7, 701,
     "torchvision ResNet, BasicBlock [1,1,1,1], base 8 (model-zoo opset 7)"),
    ("tv_bottleneck_op17", lambda: fam.tv_resnet(fam.tvr.Bottleneck, 4), CIFAR, 17, 1701,
     "torchvision ResNet, Bottleneck [1,1,1,1], base 4 (x4 expansion)"),
    ("resnext_op13", lambda: fam.tv_resnet(fam.tvr.Bottleneck, 4, groups=4, width_per_group=32), CIFAR, 13, 1301,
     "torchvision ResNeXt: Bottleneck, 4 groups, width 2x planes"),
    ("preact_op9", lambda: fam.preact_resnet(), (3, 24, 24), 9, 901,
     "timm-style pre-activation ResNet (BN-ReLU-conv, final BN-ReLU)"),
    ("se_silu_op17", lambda: fam.attn_resnet(fam.SE, nn.SiLU), CIFAR, 17, 1702,
     "squeeze-and-excitation blocks, SiLU everywhere"),
    ("eca_op11", lambda: fam.attn_resnet(fam.ECA), CIFAR, 11, 1101,
     "efficient channel attention (Conv1d over channels, run-time shapes)"),
    ("resnet_d_op13", lambda: fam.resnet_d(), (3, 28, 28), 13, 1302,
     "ResNet-D: deep stem, avg-pool (ceil, no pad count) + 1x1 shortcut"),
    ("wrn_mcdonnell_op11", lambda: fam.McDonnellWRN(), CIFAR, 11, 1102,
     "McDonnell's wide ResNet: pre-act, affine-free BN, avg-pool + zero-channel shortcut, conv head"),
    ("wrn_convhead_rgbd_op13", lambda: fam.ConvHeadWRN(widths=(8, 16, 32), in_channels=4), (4, 16, 16), 13, 1307,
     "4-channel (RGB-D) input; 1x1-conv head whose logits stay [N, 10, 1, 1] (no flatten)"),
    ("cifar_option_a_op13", lambda: fam.option_a_resnet(), CIFAR, 13, 1303,
     "He's CIFAR ResNet-8, option-A shortcuts (strided Slice + channel Pad)"),
    ("tf_nhwc_op13", lambda: fam.TFStyleResNet(), (32, 32, 3), 13, 1304,
     "tf2onnx style: NHWC input + Transpose, explicit Pad, MatMul + Add"),
    ("act_silu_op13", lambda: fam.cifar_act(fam.ACTIVATIONS["silu"]), SMALL, 13, 1305,
     "CIFAR ResNet-8 with SiLU"),
    ("act_hardswish_op17", lambda: fam.cifar_act(fam.ACTIVATIONS["hardswish"]), SMALL, 17, 1703,
     "CIFAR ResNet-8 with HardSwish"),
    ("act_hardsigmoid_op11", lambda: fam.cifar_act(fam.ACTIVATIONS["hardsigmoid"]), SMALL, 11, 1103,
     "CIFAR ResNet-8 with HardSigmoid"),
    ("act_leakyrelu_op9", lambda: fam.cifar_act(fam.ACTIVATIONS["leakyrelu"]), SMALL, 9, 902,
     "CIFAR ResNet-8 with LeakyReLU(0.1)"),
    ("act_prelu_op9", lambda: fam.cifar_act(fam.ACTIVATIONS["prelu"]), SMALL, 9, 903,
     "CIFAR ResNet-8 with per-channel PReLU"),
    ("act_gelu_op13", lambda: fam.cifar_act(fam.ACTIVATIONS["gelu"]), SMALL, 13, 1306,
     "CIFAR ResNet-8 with GELU (erf form)"),
]


def export(name, build, shape, opset, seed, what, out):
    """export_models.export without BN folding but with the exporter's
    constant folding on (torch.onnx.export's default, what users get), so
    only what depends on the input's shape is computed at run time; BN stays
    as inference-mode nodes (TrainingMode.PRESERVE)."""
    s = export_models.export(name, build, shape, opset, False, seed, out, constant_folding=True)
    s["what"] = what
    return s


def table_row(s):
    ops = ", ".join("%d %s" % (n, op) if n > 1 else op for op, n in s["ops"].items())
    dims = "×".join(str(d) for d in s["input"][1:])
    return "| %s | %s | %d | %s | %s | %s | %s |" % (
        s["name"] + ".onnx", s["what"], s["opset"], dims, format(s["params"], ","), format(s["bytes"], ","), ops)


def main():
    rows = [table_row(s) for s in export_models.main(MODELS, "testdata/models/families", export)]
    print("| file | family | opset | input | params | bytes | ops |")
    print("|---|---|---:|---|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
