#!/usr/bin/env python3
"""PyTorch eager baseline for the GPU benchmark (scripts/gpu/device_check.sh).

Times training steps (forward, cross-entropy, backward, SGD momentum 0.9 with
weight decay 5e-4) of the same topologies the Go side trains
(finetune/device_bench_test.go: testdata's PyTorch export of ResNet-20 and
resnet18Model, torchvision's ResNet-18 topology):

  resnet20: CIFAR ResNet-20, widths 16/32/64, 3 basic blocks per stage,
            1x1 conv + BN projection shortcuts, batch 128, 32x32, 10 classes
  resnet18: the ResNet-18 topology (7x7/2 stem, 3x3/2 max pool, widths
            64..512, 2 blocks per stage), batch 64, 224x224, 1000 classes

in float32, with TF32 off and on (PyTorch's default lets cuDNN use TF32 for
convolutions), on random data already on the GPU. Prints and writes JSON.
--smoke runs every path once at toy sizes (on the CPU where there is no GPU),
to check the script itself.
"""
import argparse
import json
import sys
import time


def build(torch, model):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.short = nn.Sequential()
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = torch.relu(self.b1(self.c1(x)))
            return torch.relu(self.b2(self.c2(y)) + self.short(x))

    if model == "resnet20":
        widths, blocks, classes = [16, 32, 64], 3, 10
        stem = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
    else:
        widths, blocks, classes = [64, 128, 256, 512], 2, 1000
        stem = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1)]
    layers, cin = list(stem), widths[0]
    for s, w in enumerate(widths):
        for i in range(blocks):
            layers.append(Block(cin, w, 2 if (i == 0 and s > 0) else 1))
            cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers), classes


def run(torch, model, batch, hw, tf32, steps):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    torch.manual_seed(0)
    net, classes = build(torch, model)
    net = net.to(dev).train()
    decay = [p for n, p in net.named_parameters() if p.dim() > 1]
    rest = [p for n, p in net.named_parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0}],
                          lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, hw, hw, device=dev)
    y = torch.randint(0, classes, (batch,), device=dev)
    lossf = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()
        return loss

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    first = float(step())
    for _ in range(2):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync()
    dt = time.perf_counter() - t0
    return {"model": model, "batch": batch, "hw": hw, "classes": classes, "tf32": tf32, "steps": steps,
            "images_per_s": steps * batch / dt, "first_loss": first, "last_loss": float(loss),
            "peak_allocated_bytes": torch.cuda.max_memory_allocated() if cuda else 0,
            "peak_reserved_bytes": torch.cuda.max_memory_reserved() if cuda else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="torch_bench.json")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--smoke", action="store_true", help="toy sizes, one step: checks the script")
    a = ap.parse_args()
    out = {"results": []}
    sizes = (("resnet20", 128, 32), ("resnet18", 64, 224))
    if a.smoke:
        sizes, a.steps = (("resnet20", 2, 32), ("resnet18", 2, 64)), 1
    try:
        import torch
        out.update(torch=torch.__version__, cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                   device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                   cudnn_benchmark=torch.backends.cudnn.benchmark)
        for tf32 in (False, True):
            for model, batch, hw in sizes:
                r = run(torch, model, batch, hw, tf32, a.steps)
                print(json.dumps(r), flush=True)
                out["results"].append(r)
                save(a.out, out)  # after each run: a timeout keeps what ran
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
    except Exception as e:  # record, do not lose the other phases' results
        out["error"] = repr(e)
        print("torch_bench:", repr(e), file=sys.stderr)
    save(a.out, out)


def save(path, out):
    with open(path, "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
