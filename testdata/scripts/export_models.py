#!/usr/bin/python3
"""Builds the reference ResNets of testdata/models and exports them to ONNX.

Deterministic: every model is built from a fixed seed, its BatchNorm layers get
random affine parameters and running statistics estimated from a few seeded
random batches in training mode (so they are neither 0/1 nor trivial), and
the fixed input is seeded too. For each model NAME this writes
  NAME.onnx               dynamic batch dimension ("batch"), input "input", output "logits"
  NAME.input.npy          float32 [2, C, H, W], seeded standard normal
  NAME.torch_output.npy   PyTorch's float32 logits for NAME.input.npy (eval mode)
and prints a JSON summary line per model (params, bytes, op histogram).

Run from the repo root with Debian's python (torch 1.13, torchvision 0.14):
  /usr/bin/python3 testdata/scripts/export_models.py [--out testdata/models]
"""

import argparse
import collections
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resnets  # noqa: E402

# name, builder, input shape (C, H, W), opset, fold BN into Conv, seed
MODELS = [
    ("resnet20_cifar_op11", lambda: resnets.cifar_resnet(20, (16, 32, 64)), (3, 32, 32), 11, False, 11),
    ("resnet20_cifar_op17", lambda: resnets.cifar_resnet(20, (16, 32, 64)), (3, 32, 32), 17, False, 11),
    ("resnet20_cifar_folded_op13", lambda: resnets.cifar_resnet(20, (16, 32, 64)), (3, 32, 32), 13, True, 11),
    ("resnet18_w16_op13", lambda: resnets.tv_resnet18(16, 1000), (3, 224, 224), 13, False, 18),
    ("resnet18_w8_op11", lambda: resnets.tv_resnet18(8, 1000), (3, 224, 224), 11, False, 81),
    ("resnet50_w8_op17", lambda: resnets.tv_resnet50(8, 1000), (3, 224, 224), 17, False, 50),
]


def calibrate_bn(model, shape, gen, batches=4, batch=8):
    """Random BN affine parameters; running stats = the exact average over a
    few random batches in training mode (momentum None), scaled so that they
    differ from the batch statistics the net will see at test time."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                if m.affine:  # affine=False BN (McDonnell's nets) has no scale/shift
                    m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                    m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.reset_running_stats()
                m.momentum = None
        model.train()
        for _ in range(batches):
            model(torch.randn((batch,) + shape, generator=gen))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.momentum = 0.1
                m.running_mean.add_(torch.randn(c, generator=gen) * 0.05)
                m.running_var.mul_(torch.rand(c, generator=gen) * 0.4 + 0.8)
    model.eval()


def op_histogram(path):
    try:
        import onnx
    except ImportError:
        return None
    g = onnx.load(path).graph
    return dict(sorted(collections.Counter(n.op_type for n in g.node).items()))


def export(name, build, shape, opset, fold, seed, out, constant_folding=None):
    """constant_folding defaults to fold (see below); export_families.py
    turns it on for unfolded models, as torch.onnx.export's default does."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = build()
    calibrate_bn(model, shape, gen)
    x = torch.randn((2,) + shape, generator=gen)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(
        model, x, path, opset_version=opset,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        # EVAL makes the exporter fold each BatchNormalization into its Conv;
        # PRESERVE (model in eval mode) keeps them as inference-mode BN nodes.
        training=torch.onnx.TrainingMode.EVAL if fold else torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=fold if constant_folding is None else constant_folding)
    np.save(os.path.join(out, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, name + ".torch_output.npy"), y.numpy().astype(np.float32))
    ops = op_histogram(path)
    if ops is not None and fold == ("BatchNormalization" in ops):
        raise SystemExit("%s: fold=%s but ops are %s" % (name, fold, ops))
    return dict(
        name=name, opset=opset, input=[-1] + list(shape), bn_folded=fold, seed=seed,
        params=sum(p.numel() for p in model.parameters()), bytes=os.path.getsize(path),
        logits_absmax=float(y.abs().max()), ops=ops)


def main(models=MODELS, default_out="testdata/models", export_fn=export):
    """Exports models (or those --only names) with export_fn into --out,
    printing one JSON summary line each; returns the summaries."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--only", default="", help="comma-separated model names")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    only = set(filter(None, args.only.split(",")))
    summaries = []
    for spec in models:
        if only and spec[0] not in only:
            continue
        summaries.append(export_fn(*spec, out=args.out))
        print(json.dumps(summaries[-1]), flush=True)
    return summaries


if __name__ == "__main__":
    main()
