#!/usr/bin/env bash
# Whole-epoch training rate (data pipeline included) against the step rate
# (the same steps on a batch already in memory), ResNet-18 at 224x224, batch
# 32, compressed backward, GOMAXPROCS=2 (finetune's BenchmarkEpochVsStep):
#   - from an image folder of ~500x375 JPEGs with --resize 256 --center-crop
#     224 (random 224 crops and flips in training, as the CLI does);
#   - from an x.npy/y.npy pair of uint8 3x224x224 images.
# The data is made by scripts/bench/make_image_data.py (N images, not
# committed); the model is torchvision's ResNet-18 with 10 classes
# (testdata/scripts/export_bench_models.py writes it into /work/models).
#
#   scripts/bench/epoch.sh [ROUNDS] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
n=${2:-256}
model=${MODEL:-/work/models/resnet18_op13.onnx}
data=${DATA:-/work/data/n$n}
[ -d "$data/jpeg" ] || /usr/bin/python3 scripts/bench/make_image_data.py --out "$data" --n "$n"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/finetune.test" ./finetune
for c in "jpeg|--resize 256 --center-crop 224" "npy|"; do
  echo "# $(date -u +%FT%TZ) ${c%%|*} ($(uptime | sed 's/.*load/load/'))"
  (cd finetune && EPOCH_BENCH_MODEL="$model" EPOCH_BENCH_DATA="$data/${c%%|*}" EPOCH_BENCH_PREP="${c#*|}" \
    EPOCH_BENCH_ROUNDS="$rounds" GOMAXPROCS=2 "$tmp/finetune.test" -test.run '^$' \
    -test.bench '^BenchmarkEpochVsStep$' -test.benchtime 1x -test.v -test.timeout 0) | grep -E 'Benchmark|per wall'
done
echo "# $(date -u +%FT%TZ) done ($(uptime | sed 's/.*load/load/'))"
