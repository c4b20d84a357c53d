#!/usr/bin/env bash
# Accuracy on the full Fashion-MNIST (Debian dataset-fashion-mnist: 60k train,
# 10k test) of the PyTorch-trained ResNet-20 in testdata: the fp32 model, then
# the main command fine-tuning with exact and with compressed backward. Each
# run's JSON summary holds the accuracy right after binarizing, after BN
# re-estimation and after fine-tuning (on the held-out training images: the
# full test set only verifies, under .verify), the epochs, the wall time and
# the bytes saved for backward per image. The runs take the recipe defaults
# (docs/BENCHMARKS.md, "Recipe defaults"); the older tables there used
# --holdout 0 --keep-float none --distill 0.
#
#   scripts/bench/fmnist.sh [OUT_DIR] [EPOCHS] [EXTRA FLAGS...]
#
# Extra flags go to both fine-tuning runs, e.g. --keep-float first,last --distill 0.5
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/bincompress-fmnist}
epochs=${2:-1}
shift $(( $# < 2 ? $# : 2 ))
data=/usr/share/datasets/fashion-mnist
model=testdata/models/fmnist_resnet20.onnx
mkdir -p "$out"
go build -o "$out/bincompress" ./cmd/bincompress
b="$out/bincompress"
git rev-parse HEAD > "$out/commit.txt"
"$b" verify "$model" --data "$data" --mean 0.2860 --std 0.3530 --json > "$out/fp32.json" 2> "$out/fp32.log"
for mode in exact compressed; do
  flag=""
  [ "$mode" = exact ] && flag=--exact-backward
  /usr/bin/time -v "$b" "$model" "$out/$mode.bnn" --data "$data" --mean 0.2860 --std 0.3530 \
    --epochs "$epochs" --t0 "$epochs" --seed 1 $flag "$@" --json > "$out/$mode.json" 2> "$out/$mode.log"
done
jq -c '{fp32: .accuracy}' "$out/fp32.json"
for mode in exact compressed; do
  tail -n 1 "$out/$mode.json" | jq -c "{mode: \"$mode\", binarized: .binarized_accuracy, reestimated: .reestimated_accuracy, finetuned: .finetuned_accuracy, bnn: .verify.accuracy, drop: .verify.drop, train_seconds, memory}"
  grep "Maximum resident" "$out/$mode.log"
done
