#!/usr/bin/python3
"""PyTorch reference gradients for one training step of a small network that
puts every op the ResNet families train through on one trained path.

OpsNet (below) takes an NHWC input and runs, among convs and
BatchNormalization: Transpose, reflect Pad, PReLU, SiLU (Sigmoid + Mul), an
SE gate (ReduceMean, HardSwish, Sigmoid, Expand, Mul), LeakyReLU, the option-A
shortcut (strided Slice + channel Pad), GELU in its erf form, ELU, an
average-pool + zero-channel Concat shortcut, GELU in its tanh form (Pow,
Tanh), HardSigmoid, Split and Concat, a spatial Softmax, ReduceMax, Sub,
Maximum and Minimum with constants, a root-mean-square normalization (Pow,
ReduceMean, Sqrt, Div), Where with a constant mask and Neg, Mish (Softplus,
Tanh), Selu, Exp, Reciprocal and a final ReduceMean + Linear.

Exported at opset 13 in eval mode without constant folding (so initializers
keep the parameters' names); the reference step runs it in train mode
(BatchNormalization with batch statistics) on one seeded batch with mean
cross-entropy, as finetune's TestOpsGradientsMatchPyTorch does. Writes, into
finetune/testdata/:

  ops_step.onnx        the model
  ops_step.x.npy       float32 [4, 12, 12, 3]
  ops_step.y.npy       int64   [4]
  ops_step.loss.npy    float32 [1]
  ops_step.grads.npy   float32, the gradient of every parameter, in the
                       order of ops_step.names.txt, concatenated
  ops_step.names.txt   one line per parameter: its initializer name

Run from the repository root with Debian's python (torch 1.13, onnx):
  /usr/bin/python3 testdata/scripts/torch_grads_ops.py
"""

import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "finetune", "testdata")


def bn(c):
    m = nn.BatchNorm2d(c)
    with torch.no_grad():  # non-trivial affine parameters and statistics
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.2, 0.2)
        m.running_mean.uniform_(-0.1, 0.1)
        m.running_var.uniform_(0.8, 1.2)
    return m


class OpsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, bias=False), bn(8)
        self.prelu = nn.PReLU(8, init=0.2)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), bn(8)
        self.se1, self.se2 = nn.Conv2d(8, 4, 1), nn.Conv2d(4, 8, 1)
        self.conv3, self.bn3 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), bn(16)
        self.conv4, self.bn4 = nn.Conv2d(16, 24, 3, stride=2, padding=1, bias=False), bn(24)
        self.fc = nn.Linear(24, 10)
        g = torch.Generator().manual_seed(3)
        self.register_buffer("mask", torch.rand((1, 24, 3, 3), generator=g) > 0.5)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        x = self.prelu(self.bn1(self.conv1(x)))
        y = F.silu(self.bn2(self.conv2(x)))
        s = y.mean((2, 3), keepdim=True)
        s = torch.sigmoid(self.se2(F.hardswish(self.se1(s))))
        y = y * s.expand_as(y)
        x = F.leaky_relu(x + y, 0.1)
        sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 4, 4))
        x = F.elu(F.gelu(self.bn3(self.conv3(x))) + sc)
        p = F.avg_pool2d(x, 2, ceil_mode=True)
        sc = torch.cat([p, torch.zeros_like(p)[:, :8]], 1)
        y = F.gelu(self.bn4(self.conv4(x)), approximate="tanh")
        x = F.hardsigmoid(y) * y + sc
        a, b = torch.split(x, [10, 14], dim=1)
        x = torch.cat([b, a], 1)
        w = torch.softmax(x.flatten(2), dim=-1).view_as(x)
        x = x * w * 9.0
        x = x - x.amax((2, 3), keepdim=True)
        x = torch.minimum(torch.maximum(x, torch.tensor(-3.0)), torch.tensor(0.5))
        x = x / torch.sqrt(x.pow(2).mean(1, keepdim=True) + 1e-3)
        x = torch.where(self.mask, x, x.neg())
        x = F.mish(x) + torch.selu(x)
        x = torch.exp(x * -0.5) + torch.reciprocal(x * x + 1.0)
        return self.fc(x.mean((2, 3)))


def main():
    torch.manual_seed(0)
    model = OpsNet()
    gen = torch.Generator().manual_seed(5)
    x = torch.randn((4, 12, 12, 3), generator=gen)
    y = torch.randint(0, 10, (4,), generator=gen)
    path = os.path.join(OUT, "ops_step.onnx")
    model.eval()
    torch.onnx.export(model, x, path, opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    inits = [t.name for t in onnx.load(path).graph.initializer]
    params = dict(model.named_parameters())
    model.train()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    names = [n for n in inits if n in params]
    assert set(names) == set(params), set(params) - set(names)
    np.save(os.path.join(OUT, "ops_step.x.npy"), x.numpy())
    np.save(os.path.join(OUT, "ops_step.y.npy"), y.numpy().astype(np.int64))
    np.save(os.path.join(OUT, "ops_step.loss.npy"), np.array([loss.item()], dtype=np.float32))
    grads = [params[n].grad.numpy().ravel() for n in names]
    np.save(os.path.join(OUT, "ops_step.grads.npy"), np.concatenate(grads).astype(np.float32))
    with open(os.path.join(OUT, "ops_step.names.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print("loss", loss.item(), "parameters", len(names), "ops", " ".join(ops))


if __name__ == "__main__":
    main()
