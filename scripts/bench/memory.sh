#!/usr/bin/env bash
# Peak memory of one fine-tuning epoch, exact against compressed backward,
# in one run: the main command in each mode under /usr/bin/time -v (peak
# RSS of the whole process), with the memory the run planned before
# training (--json summary) beside it.
#
#   scripts/bench/memory.sh OUT MODEL DATA BATCH [EXTRA FLAGS...]
#
# e.g. the Fashion-MNIST ResNet-20 at batch 1024 on 8,192 images:
#   scripts/bench/memory.sh /tmp/mem testdata/models/fmnist_resnet20.onnx \
#     /usr/share/datasets/fashion-mnist 1024 --limit 8192 --mean 0.2860 --std 0.3530
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1 model=$2 data=$3 batch=$4
shift 4
mkdir -p "$out"
go build -o "$out/bincompress" ./cmd/bincompress
git rev-parse HEAD > "$out/commit.txt"
for mode in exact compressed; do
  flag=""
  [ "$mode" = exact ] && flag=--exact-backward
  uptime > "$out/$mode.uptime"
  /usr/bin/time -v "$out/bincompress" "$model" "$out/$mode.bnn" --data "$data" --epochs 1 --t0 1 --seed 1 \
    --batch-size "$batch" $flag "$@" --json > "$out/$mode.json" 2> "$out/$mode.log"
  rss=$(awk '/Maximum resident/{print $NF}' "$out/$mode.log")
  plan=$([ "$mode" = exact ] && echo PlanExact || echo PlanCompressed)
  tail -n 1 "$out/$mode.json" | jq -c --arg mode "$mode" --argjson rss "$rss" --arg load "$(cat "$out/$mode.uptime")" \
    "{mode: \$mode, batch: .memory.Batch, peak_rss_mib: (\$rss / 1024 | floor), planned_peak_mib: (.memory.$plan.Peak / 1048576 | floor),
      floor_mib: (.memory.$plan.Floor / 1048576 | floor), plan_error: ((.memory.$plan.Peak / 1024 - \$rss) / \$rss * 1000 | round / 10),
      saved_per_image: .memory.$plan.SavedPerImage, train_seconds, finetuned: .finetuned_accuracy, load: \$load}"
done
