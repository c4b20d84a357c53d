"""Small ResNets of every family issue 14 names, for export_families.py.

Each builder returns an nn.Module taking a [N, C, H, W] batch (NHWC for the
tf2onnx-style model) and giving [N, classes] logits. Widths are small on
purpose: the models are test fixtures, not classifiers.

Families:
  tv_resnet       torchvision's own ResNet/BasicBlock/Bottleneck at a narrow
                  base width (resnets._TVResNet); groups/width_per_group make
                  it a ResNeXt.
  PreActResNet    pre-activation basic blocks (He et al. 2016b, timm's
                  PreActBasic): BN-act-conv twice, projection from the
                  pre-activated input, final BN-act before pooling.
  SEResNet        basic blocks with squeeze-and-excitation (timm's SEModule:
                  mean over H,W, 1x1 conv, act, 1x1 conv, sigmoid, multiply).
  ECAResNet       basic blocks with efficient channel attention (timm's
                  EcaModule: mean, view, Conv1d over channels, sigmoid, view,
                  expand_as, multiply): the graph computes shapes at run time.
  ResNetD         deep 3-conv stem and average-pool-then-1x1 downsample
                  shortcuts (Bag of Tricks, timm's avg_down), ceil-mode pooling
                  that excludes padding, on an odd input size.
  McDonnellWRN    the wide ResNet of McDonnell 2018: pre-activation blocks,
                  BN without affine parameters, downsample shortcut = 3x3/2
                  average pool + concatenation with zeros (zeros_like, so the
                  export has Shape + ConstantOfShape), 1x1 conv classifier +
                  BN + global average pool instead of a dense layer.
  OptionAResNet   He's CIFAR ResNet with option-A shortcuts: x[:, :, ::2, ::2]
                  padded with zero channels (strided Slice + Pad).
  TFStyleResNet   what tf2onnx writes for a Keras ResNet: NHWC input and a
                  Transpose, explicit (asymmetric, SAME-style) Pad before each
                  strided conv, mean over H,W, MatMul + Add classifier.
  cifar_act       a CIFAR ResNet-8 (option B) with ReLU replaced by an
                  activation module (SiLU, Hardswish, Hardsigmoid, LeakyReLU,
                  PReLU, GELU).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tvr

import resnets


def conv3(cin, cout, stride=1, groups=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=False)


def conv1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride, 0, bias=False)


class _Net(nn.Module):
    """stem, blocks, global average pool, flatten, linear."""

    def __init__(self, stem, blocks, width, classes, head_norm=None):
        super().__init__()
        self.stem = stem
        self.blocks = nn.Sequential(*blocks)
        self.head_norm = head_norm if head_norm is not None else nn.Identity()
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.head_norm(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def _stages(block, widths, cin, n=1, **kw):
    """n blocks per width; every stage after the first starts at stride 2."""
    out = []
    for i, w in enumerate(widths):
        for j in range(n):
            out.append(block(cin, w, 2 if i and not j else 1, **kw))
            cin = w
    return out


# --- torchvision ResNet / ResNeXt -------------------------------------------

def tv_resnet(block, base, groups=1, width_per_group=64, classes=10):
    """torchvision ResNet, one block per stage, 7x7/2 stem and max pool."""
    m = resnets._TVResNet(block, [1, 1, 1, 1], base, classes)
    if groups != 1 or width_per_group != 64:
        # Rebuild the stages the way torchvision's ResNet.__init__ does for
        # resnext*: _make_layer reads groups and base_width.
        m.groups, m.base_width, m.inplanes = groups, width_per_group, base
        m.layer1 = m._make_layer(block, base, 1)
        m.layer2 = m._make_layer(block, base * 2, 1, stride=2)
        m.layer3 = m._make_layer(block, base * 4, 1, stride=2)
        m.layer4 = m._make_layer(block, base * 8, 1, stride=2)
    return m


# --- pre-activation ----------------------------------------------------------

class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride, act=nn.ReLU):
        super().__init__()
        self.bn1, self.act1 = nn.BatchNorm2d(cin), act()
        self.conv1 = conv3(cin, cout, stride)
        self.bn2, self.act2 = nn.BatchNorm2d(cout), act()
        self.conv2 = conv3(cout, cout)
        self.down = conv1(cin, cout, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        pre = self.act1(self.bn1(x))
        sc = x if self.down is None else self.down(pre)
        return self.conv2(self.act2(self.bn2(self.conv1(pre)))) + sc


def preact_resnet(widths=(8, 16, 32), classes=10):
    stem = conv3(3, widths[0])
    head = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU())
    return _Net(stem, _stages(PreActBlock, widths, widths[0]), widths[-1], classes, head)


# --- attention blocks --------------------------------------------------------

class SE(nn.Module):
    """timm SEModule: x * sigmoid(fc2(act(fc1(mean_hw(x)))))."""

    def __init__(self, c, act, rd=4):
        super().__init__()
        self.fc1 = nn.Conv2d(c, max(c // rd, 2), 1)
        self.act = act()
        self.fc2 = nn.Conv2d(max(c // rd, 2), c, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(s))))


class ECA(nn.Module):
    """timm EcaModule (kernel 3)."""

    def __init__(self, c, act=None):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x):
        y = x.mean((2, 3)).view(x.shape[0], 1, -1)
        y = torch.sigmoid(self.conv(y)).view(x.shape[0], -1, 1, 1)
        return x * y.expand_as(x)


class AttnBlock(nn.Module):
    """Basic block with an attention module on the residual branch (timm's
    placement: after bn2, before the addition)."""

    def __init__(self, cin, cout, stride, attn, act=nn.ReLU):
        super().__init__()
        self.conv1, self.bn1, self.act1 = conv3(cin, cout, stride), nn.BatchNorm2d(cout), act()
        self.conv2, self.bn2 = conv3(cout, cout), nn.BatchNorm2d(cout)
        self.attn = attn(cout, act)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(conv1(cin, cout, stride), nn.BatchNorm2d(cout))
        self.act2 = act()

    def forward(self, x):
        y = self.attn(self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))
        return self.act2(y + (x if self.down is None else self.down(x)))


def attn_resnet(attn, act=nn.ReLU, widths=(8, 16, 32), classes=10):
    stem = nn.Sequential(conv3(3, widths[0]), nn.BatchNorm2d(widths[0]), act())
    blocks = _stages(AttnBlock, widths, widths[0], attn=attn, act=act)
    return _Net(stem, blocks, widths[-1], classes)


# --- ResNet-D ----------------------------------------------------------------

class DBlock(nn.Module):
    """Basic block whose downsample shortcut is avg-pool 2x2/2 + 1x1 conv."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv3(cout, cout), nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride != 1 else nn.Identity()
            self.down = nn.Sequential(pool, conv1(cin, cout), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


def resnet_d(widths=(8, 16, 32), stem=8, classes=10):
    s = nn.Sequential(
        conv3(3, stem // 2), nn.BatchNorm2d(stem // 2), nn.ReLU(),
        conv3(stem // 2, stem // 2), nn.BatchNorm2d(stem // 2), nn.ReLU(),
        conv3(stem // 2, stem), nn.BatchNorm2d(stem), nn.ReLU())
    return _Net(s, _stages(DBlock, widths, stem), widths[-1], classes)


# --- McDonnell's wide ResNet -------------------------------------------------

class WRNBlock(nn.Module):
    """Pre-activation block with affine-free BN; a downsampling block's
    shortcut is avg-pool 3x3/2 (pad 1; pad_counts=False leaves the padding
    out of the average, as Keras' "same" pooling does) and zero channels,
    exported as a Concat with Shape + ConstantOfShape, or with zeros="mul"
    as a Concat with the input times 0 (no shape computed at run time)."""

    def __init__(self, cin, cout, stride, pad_counts=True, zeros="like"):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, affine=False)
        self.conv1 = conv3(cin, cout, stride)
        self.bn2 = nn.BatchNorm2d(cout, affine=False)
        self.conv2 = conv3(cout, cout)
        self.downsample = stride != 1
        self.pad_counts, self.zeros = pad_counts, zeros
        assert cin == cout or cout == 2 * cin

    def forward(self, x):
        y = self.conv2(F.relu(self.bn2(self.conv1(F.relu(self.bn1(x))))))
        if self.downsample:
            x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=self.pad_counts)
            x = torch.cat((x, x * 0 if self.zeros == "mul" else torch.zeros_like(x)), 1)
        return y + x


class McDonnellWRN(nn.Module):
    """n blocks per stage: depth 6n+2 counting the stem and the 1x1 head
    (WRN-20-4 of the paper: n=3, widths 64/128/256). input_bn puts the
    paper's affine BatchNormalization before the stem; pad_counts and zeros
    go to every WRNBlock."""

    def __init__(self, widths=(16, 32, 64), classes=10, n=1, in_channels=3, input_bn=False, pad_counts=True, zeros="like"):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(in_channels) if input_bn else nn.Identity()
        self.stem = conv3(in_channels, widths[0])
        self.blocks = nn.Sequential(*_stages(WRNBlock, widths, widths[0], n=n, pad_counts=pad_counts, zeros=zeros))
        self.bn = nn.BatchNorm2d(widths[-1], affine=False)
        self.head = conv1(widths[-1], classes)
        self.bn_out = nn.BatchNorm2d(classes, affine=False)

    def forward(self, x):
        x = F.relu(self.bn(self.blocks(self.stem(self.bn_in(x)))))
        x = self.bn_out(self.head(x))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class ConvHeadWRN(McDonnellWRN):
    """McDonnellWRN as NiN and SqueezeNet end: the 1x1 head's pooled
    output is the logits, [N, classes, 1, 1], with no flatten."""

    def forward(self, x):
        x = F.relu(self.bn(self.blocks(self.stem(self.bn_in(x)))))
        return F.adaptive_avg_pool2d(self.bn_out(self.head(x)), 1)


# --- He's option-A CIFAR ResNet ----------------------------------------------

class OptionABlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv3(cout, cout), nn.BatchNorm2d(cout)
        self.pad = (cout - cin) // 2 if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.pad is not None:
            x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad), "constant", 0)
        return F.relu(y + x)


def option_a_resnet(widths=(8, 16, 32), classes=10):
    stem = nn.Sequential(conv3(3, widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU())
    return _Net(stem, _stages(OptionABlock, widths, widths[0]), widths[-1], classes)


# --- tf2onnx-style -----------------------------------------------------------

class ExplicitPad(torch.autograd.Function):
    """F.pad(x, (0, right, 0, bottom)) exported as one Pad with constant
    pads, as tf2onnx writes it (torch's own export builds the pads with a
    ConstantOfShape/Concat/Slice subgraph, as cifar_option_a shows)."""

    @staticmethod
    def forward(ctx, x, pads):
        return F.pad(x, pads)

    @staticmethod
    def symbolic(g, x, pads):
        left, right, top, bottom = pads
        onnx_pads = torch.tensor([0, 0, top, left, 0, 0, bottom, right], dtype=torch.int64)
        return g.op("Pad", x, g.op("Constant", value_t=onnx_pads), mode_s="constant")


def tf_pad(x, pads):
    return ExplicitPad.apply(x, pads)


class TFBlock(nn.Module):
    """Basic block with TF 'SAME' padding made explicit: a strided conv gets
    an asymmetric Pad (0 before, 1 after) and padding 0, as tf2onnx writes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 0 if stride == 2 else 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv3(cout, cout), nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(conv1(cin, cout, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = tf_pad(x, (0, 1, 0, 1)) if self.stride == 2 else x
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(y)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class TFStyleResNet(nn.Module):
    def __init__(self, widths=(8, 16, 32), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 0, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.blocks = nn.Sequential(*_stages(TFBlock, widths, widths[0]))
        self.w = nn.Parameter(torch.randn(widths[-1], classes) / widths[-1] ** 0.5)
        self.b = nn.Parameter(torch.randn(classes) * 0.1)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)  # NHWC -> NCHW: the Transpose after the input
        x = self.blocks(self.stem(tf_pad(x, (1, 1, 1, 1))))
        return x.mean((2, 3)) @ self.w + self.b


# --- activations -------------------------------------------------------------

class ActBlock(resnets.BasicBlock):
    """resnets.BasicBlock (option B) with its ReLUs replaced by act."""

    def __init__(self, cin, cout, stride, act):
        super().__init__(cin, cout, stride)
        self.act1, self.act2 = act(cout), act(cout)

    def forward(self, x):
        out = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
        return self.act2(out + (x if self.shortcut is None else self.shortcut(x)))


def cifar_act(act, widths=(8, 16, 32), classes=10):
    """act(channels) -> module. A ResNet-8: stem and one block per stage."""
    stem = nn.Sequential(conv3(3, widths[0]), nn.BatchNorm2d(widths[0]), act(widths[0]))
    return _Net(stem, _stages(ActBlock, widths, widths[0], act=act), widths[-1], classes)


def prelu(c):
    """PReLU with one slope per channel, randomized in [0, 0.5) so the
    slopes matter (the default is 0.25 everywhere)."""
    m = nn.PReLU(c)
    with torch.no_grad():
        m.weight.copy_(torch.rand(c) * 0.5)
    return m


ACTIVATIONS = {
    "silu": lambda c: nn.SiLU(),
    "hardswish": lambda c: nn.Hardswish(),
    "hardsigmoid": lambda c: nn.Hardsigmoid(),
    "leakyrelu": lambda c: nn.LeakyReLU(0.1),
    "prelu": prelu,
    "gelu": lambda c: nn.GELU(),
}


__all__ = ["tv_resnet", "tvr", "preact_resnet", "attn_resnet", "SE", "ECA", "resnet_d",
           "McDonnellWRN", "option_a_resnet", "TFStyleResNet", "cifar_act", "ACTIVATIONS"]
