#!/usr/bin/python3
"""PyTorch CPU yardstick for bincompress's trainer: images/s of one training
step (forward + cross-entropy + backward + SGD momentum step) and of the
eval-mode forward, at each thread count; median of --steps timed steps after
--warmup untimed ones. Prints one JSON object.

  /usr/bin/python3 testdata/scripts/torch_train_step_bench.py [--threads 1,2]
      [--model resnet20] [--batch 128] [--input 3,32,32] [--steps 10]
      [--warmup 3] [--seed 1] [--channels-last] [--train-only]

--model picks the network, 10 classes each: resnet20 (default: the CIFAR
ResNet-20 of resnets.py, option-B shortcuts, widths 16/32/64), resnet18 and
resnet50 (torchvision's; use --input 3,224,224) or wrn20_4 (McDonnell's
WRN-20-4 of families.py, widths 64/128/256) — the models of
export_bench_models.py.

--channels-last runs model and batch in torch.channels_last (NHWC) memory
format, oneDNN's faster layout for these convolutions on this machine.

OMP_WAIT_POLICY defaults to PASSIVE (set before torch loads): with libgomp's
spinning barrier, 2 threads on a loaded 2-core machine run several times
slower than 1 (docs: shared/research/anchors-perf.md section 5).
Use --input 1,28,28 for the Fashion-MNIST ResNet-20 step.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resnets  # noqa: E402


def build(name, in_channels):
    """The --model network with 10 classes."""
    if name == "resnet20":
        return resnets.cifar_resnet(20, (16, 32, 64), in_channels=in_channels, num_classes=10)
    if name in ("resnet18", "resnet50"):
        from torchvision import models
        return getattr(models, name)(num_classes=10)
    if name == "wrn20_4":
        import families
        return families.McDonnellWRN(widths=(64, 128, 256), n=3)
    raise SystemExit(f"unknown --model {name}")


def timed(fn, warmup, steps):
    """Wall and process CPU milliseconds of each timed call."""
    for _ in range(warmup):
        fn()
    ms, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return ms, cpu


def summary(times, batch):
    """Medians; images per CPU-second (all threads) stays readable on a
    loaded machine, where wall time does not."""
    ms, cpu = times
    med = statistics.median(ms)
    return dict(median_ms=round(med, 2), min_ms=round(min(ms), 2), max_ms=round(max(ms), 2),
                images_per_s=round(batch * 1e3 / med, 1),
                images_per_cpu_s=round(batch * 1e3 / statistics.median(cpu), 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--input", default="3,32,32")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--train-only", action="store_true", help="skip the eval-mode forward")
    args = ap.parse_args()
    shape = tuple(int(s) for s in args.input.split(","))
    gen = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)
    model = build(args.model, shape[0])
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn((args.batch,) + shape, generator=gen)
    y = torch.randint(0, 10, (args.batch,), generator=gen)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)

    def train_step():
        model.train()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def forward():
        model.eval()
        with torch.no_grad():
            model(x)

    results = []
    for th in (int(s) for s in args.threads.split(",")):
        torch.set_num_threads(th)
        res = dict(threads=th, train_step=summary(timed(train_step, args.warmup, args.steps), args.batch))
        if not args.train_only:
            res["eval_forward"] = summary(timed(forward, args.warmup, args.steps), args.batch)
        results.append(res)
    print(json.dumps(dict(
        runtime="pytorch", torch=torch.__version__, model=args.model,
        params=sum(p.numel() for p in model.parameters()), input=[args.batch] + list(shape),
        step="forward + cross-entropy + backward + SGD(momentum 0.9, wd 5e-4)",
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), warmup=args.warmup, steps=args.steps,
        memory_format="channels_last" if args.channels_last else "contiguous",
        cpu_count=os.cpu_count(), load_avg_1m=round(os.getloadavg()[0], 2), results=results)))


if __name__ == "__main__":
    main()
