"""Model definitions shared by export_models.py and train_fmnist.py.

cifar_resnet: the CIFAR-style ResNet of He et al. 2016 (section 4.2): a 3x3 stem,
three stages of basic blocks with widths w, 2w, 4w, global average pooling and
a linear classifier. Shortcuts that change shape are option B (1x1 conv + BN),
so the exported graph holds only Conv, BatchNormalization, Relu, Add,
GlobalAveragePool, Flatten and Gemm.

tv_resnet: the torchvision ResNet-18/50 topology (7x7 stem, max pool, four
stages of BasicBlock/Bottleneck from torchvision itself) at a chosen base width
instead of the fixed 64.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tvr


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False),
                nn.BatchNorm2d(cout),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + sc)


class CifarResNet(nn.Module):
    """depth = 6n+2; widths = (w, 2w, 4w)."""

    def __init__(self, depth=20, widths=(16, 32, 64), in_channels=3, num_classes=10):
        super().__init__()
        if (depth - 2) % 6 != 0:
            raise ValueError("depth must be 6n+2")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers = []
        cin = widths[0]
        for i, w in enumerate(widths):
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(BasicBlock(cin, w, stride))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return self.fc(x)


def cifar_resnet(depth=20, widths=(16, 32, 64), in_channels=3, num_classes=10):
    return CifarResNet(depth, widths, in_channels, num_classes)


class _TVResNet(tvr.ResNet):
    """torchvision.models.resnet.ResNet with base width `base` instead of 64."""

    def __init__(self, block, layers, base=64, num_classes=1000, in_channels=3):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = base
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # Bottleneck inner width = planes * base_width/64
        self.conv1 = nn.Conv2d(in_channels, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, base, layers[0])
        self.layer2 = self._make_layer(block, base * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, base * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, base * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def tv_resnet18(base=16, num_classes=1000, in_channels=3):
    return _TVResNet(tvr.BasicBlock, [2, 2, 2, 2], base, num_classes, in_channels)


def tv_resnet50(base=8, num_classes=1000):
    return _TVResNet(tvr.Bottleneck, [3, 4, 6, 3], base, num_classes)
