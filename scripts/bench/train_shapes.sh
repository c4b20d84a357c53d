#!/usr/bin/env bash
# Training speed on the shapes users bring: one training step (forward,
# loss, backward, SGD update) of bincompress's trainer (GOMAXPROCS=2, exact
# and compressed backward) against PyTorch CPU (Debian python3-torch) at 1
# and 2 threads in both memory formats, interleaved per round so machine
# noise hits all of them; then medians, and each mode's ratio to PyTorch's
# best setting of that shape.
#
#   scripts/bench/train_shapes.sh [ROUNDS] [SHAPE ...]
#
# Shapes (10 classes each; default: all four):
#   resnet20  CIFAR ResNet-20 (testdata), 3x32x32, batch 128
#   resnet18  torchvision ResNet-18, 3x224x224, batch 32
#   resnet50  torchvision ResNet-50, 3x224x224, batch 32
#   wrn20_4   McDonnell's WRN-20-4 (widths 64/128/256), 3x32x32, batch 128
# The full-size ONNX models are built into $BNN_MODELS (/work/models) by
# testdata/scripts/export_bench_models.py when missing.
#
# Environment:
#   BNN_MODELS=DIR       where the full-size models live (built when missing)
#   PROFILE=DIR          also write per-layer profiles of each shape and mode
#                        (DIR/SHAPE.exact, DIR/SHAPE.compressed; last round)
#   EPOCH=R              in round R, also time one whole epoch per shape and
#                        mode through the CLI (data pipeline included) on an
#                        npy pair of uint8 images (256 at 224x224, 1024 at
#                        32x32), and for resnet18 on a folder of 256x256
#                        JPEGs with --resize 256 --center-crop 224
#   TORCH="1:nchw 1:cl 2:nchw 2:cl"   the PyTorch settings to run
#
# Output: one JSON line per measurement, then the summary table on stderr.
# images_per_cpu_s (images per CPU-second of the whole process) is the
# figure that survives a loaded machine; images_per_s is wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
shift || true
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(resnet20 resnet18 resnet50 wrn20_4)
models=${BNN_MODELS:-/work/models}
torch_settings=${TORCH:-1:nchw 1:cl 2:nchw 2:cl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shape → ONNX file, batch, input, Go steps per measurement, torch steps
spec() {
  case $1 in
  resnet20) echo "testdata/models/resnet20_cifar_op17.onnx 128 3,32,32 6 4" ;;
  resnet18) echo "$models/resnet18_op13.onnx 32 3,224,224 2 2" ;;
  resnet50) echo "$models/resnet50_op13.onnx 32 3,224,224 2 2" ;;
  wrn20_4) echo "$models/wrn20_4_op13.onnx 128 3,32,32 2 2" ;;
  *) echo "unknown shape $1" >&2; exit 2 ;;
  esac
}

for s in "${shapes[@]}"; do
  read -r onnx _ <<<"$(spec "$s")"
  if [ ! -f "$onnx" ]; then
    echo "building $onnx" >&2
    /usr/bin/python3 testdata/scripts/export_bench_models.py --out "$models" --only "${s}_op13" >&2
  fi
done

go test -c -o "$tmp/finetune.test" ./finetune
go build -o "$tmp/bincompress" ./cmd/bincompress
out=$tmp/results.jsonl
touch "$out"

load() { cut -d' ' -f1 /proc/loadavg; }

go_step() { # shape round onnx batch steps profile-dir
  local prof=()
  [ -n "$6" ] && prof=(BNN_BENCH_PROFILE="$6/$1")
  (cd finetune && env GOMAXPROCS=2 BNN_BENCH_MODEL="$(realpath "../$3" 2>/dev/null || realpath "$3")" BNN_BENCH_BATCH="$4" "${prof[@]}" \
    "$tmp/finetune.test" -test.run '^$' -test.bench '^BenchmarkTrainModel$' -test.benchtime "${5}x") |
    awk -v s="$1" -v r="$2" -v l="$(load)" '/^BenchmarkTrainModel\//{mode=$1; sub(/.*\//,"",mode); sub(/-[0-9]+$/,"",mode);
      for(i=1;i<=NF;i++){ if($i=="images/s") ips=$(i-1); if($i=="images/cpu-s") cps=$(i-1); if($i=="exact-B/img") e=$(i-1);
        if($i=="compressed-B/img") c=$(i-1); if($i=="peak-heap-MiB") h=$(i-1) }
      printf "{\"shape\":\"%s\",\"who\":\"ours-%s\",\"round\":%d,\"images_per_s\":%s,\"images_per_cpu_s\":%s,\"exact_bytes_per_image\":%s,\"compressed_bytes_per_image\":%s,\"peak_heap_mib\":%s,\"load_avg_1m\":%s}\n",
        s, mode, r, ips, cps, e, c, h, l}'
}

torch_step() { # shape round batch input steps threads layout
  local layout=()
  [ "$7" = cl ] && layout=(--channels-last)
  /usr/bin/python3 testdata/scripts/torch_train_step_bench.py --model "$1" --batch "$3" --input "$4" \
    --threads "$6" --steps "$5" --warmup 1 --train-only "${layout[@]}" |
    jq -c --arg s "$1" --argjson r "$2" --arg l "$7" '{shape:$s, who:"pytorch-\(.results[0].threads)t-\($l)", round:$r,
      images_per_s:.results[0].train_step.images_per_s, images_per_cpu_s:.results[0].train_step.images_per_cpu_s, load_avg_1m}'
}

# make_npy DIR N C H W: npy pairs of N random uint8 training images and
# labels, and a test split of 32 (the run verifies on it).
make_npy() {
  /usr/bin/python3 - "$@" <<'EOF'
import sys, numpy as np
d, n, c, h, w = sys.argv[1], *map(int, sys.argv[2:])
r = np.random.default_rng(1)
for split, k in (("train", n), ("test", 32)):
    np.save(f"{d}/x_{split}.npy", r.integers(0, 256, (k, c, h, w), dtype=np.uint8))
    np.save(f"{d}/y_{split}.npy", r.integers(0, 10, k).astype(np.int64))
EOF
}

# make_jpegs DIR N: N 256x256 JPEGs in 10 class folders (smooth noise, so
# that they decode at a realistic cost), and 32 more as the test split.
make_jpegs() {
  /usr/bin/python3 - "$@" <<'EOF'
import os, sys, numpy as np
from PIL import Image
d, n = sys.argv[1], int(sys.argv[2])
r = np.random.default_rng(1)
for i in range(n + 32):
    split = "train" if i < n else "test"
    os.makedirs(f"{d}/{split}/c{i % 10}", exist_ok=True)
    small = r.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((256, 256), Image.BILINEAR)
    img.save(f"{d}/{split}/c{i % 10}/{i:05d}.jpg", quality=90)
EOF
}

epoch() { # shape round onnx batch data-dir mode extra-flags...
  local s=$1 r=$2 onnx=$3 batch=$4 data=$5 mode=$6
  shift 6
  local flag=()
  [ "$mode" = exact ] && flag=(--exact-backward)
  GOMAXPROCS=2 "$tmp/bincompress" "$onnx" "$tmp/out.bnn" --data "$data" --epochs 1 --batch-size "$batch" \
    --calib-batches 1 --json "${flag[@]}" "$@" 2>/dev/null |
    jq -c --arg s "$s" --argjson r "$r" --arg w "ours-$mode-epoch-$(basename "$data" | cut -d- -f1)" --argjson l "$(load)" \
      'select(.event=="epoch") | {shape:$s, who:$w, round:$r, images_per_s:.images_per_sec, load_avg_1m:$l}' || true
}

for r in $(seq "$rounds"); do
  for s in "${shapes[@]}"; do
    read -r onnx batch input gosteps tsteps <<<"$(spec "$s")"
    prof=""
    if [ -n "${PROFILE:-}" ] && [ "$r" = "$rounds" ]; then
      mkdir -p "$PROFILE"
      prof=$(realpath "$PROFILE")
    fi
    go_step "$s" "$r" "$onnx" "$batch" "$gosteps" "$prof" | tee -a "$out"
    for t in $torch_settings; do
      torch_step "$s" "$r" "$batch" "$input" "$tsteps" "${t%%:*}" "${t##*:}" | tee -a "$out"
    done
    if [ "${EPOCH:-0}" = "$r" ]; then
      IFS=, read -r c h w <<<"$input"
      n=$([ "$h" -ge 224 ] && echo 256 || echo 1024)
      if [ ! -d "$tmp/npy-$s" ]; then
        mkdir -p "$tmp/npy-$s" && make_npy "$tmp/npy-$s" "$n" "$c" "$h" "$w"
      fi
      for mode in exact compressed; do
        epoch "$s" "$r" "$onnx" "$batch" "$tmp/npy-$s" "$mode" | tee -a "$out"
      done
      if [ "$s" = resnet18 ]; then
        [ -d "$tmp/jpeg" ] || make_jpegs "$tmp/jpeg" 256
        for mode in exact compressed; do
          epoch "$s" "$r" "$onnx" "$batch" "$tmp/jpeg" "$mode" --resize 256 --center-crop 224 | tee -a "$out"
        done
      fi
    fi
  done
done

# Summary: medians per shape and runner, ratios to PyTorch's best setting
# (the one with the highest median wall rate) on both measures.
/usr/bin/python3 - "$out" >&2 <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["shape"], {}).setdefault(r["who"], []).append(r)
for shape, runs in by.items():
    med = {w: (statistics.median(x["images_per_s"] for x in v),
               statistics.median(x.get("images_per_cpu_s") or 0 for x in v)) for w, v in runs.items()}
    torch = {w: m for w, m in med.items() if w.startswith("pytorch")}
    best = max(torch, key=lambda w: torch[w][0]) if torch else None
    loads = [x["load_avg_1m"] for v in runs.values() for x in v]
    print(f"\n{shape} (rounds {len(next(iter(runs.values())))}, load {min(loads)}-{max(loads)}; peer {best})")
    print(f"{'who':<34} {'img/s':>8} {'img/cpu-s':>10} {'vs peer':>8} {'vs peer (cpu)':>14}")
    for w, (ips, cps) in sorted(med.items()):
        vs = f"{ips / torch[best][0]:.2f}x" if best else "-"
        vc = f"{cps / torch[best][1]:.2f}x" if best and cps and torch[best][1] else "-"
        cs = f"{cps:.2f}" if cps else "-"
        print(f"{w:<34} {ips:>8.2f} {cs:>10} {vs:>8} {vc:>14}")
EOF
