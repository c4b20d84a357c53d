#!/usr/bin/env bash
# The recipe table of docs/BENCHMARKS.md ("Recipe defaults"): the main
# command with the defaults only (plus --epochs and --seed 1) on the full
# Fashion-MNIST (Debian dataset-fashion-mnist: 60k train, 10k test),
# compressed backward, for each model and epoch budget given, and the
# all-binary .bnn of each model (no data, --keep-float none) for the size
# bound. Each run's JSON summary and log land in OUT_DIR; recipe_table.py
# turns them into the table.
#
#   scripts/bench/recipe.sh OUT_DIR RUN... [-- EXTRA FLAGS]
#
# RUN is MODEL:EPOCHS[:NAME] with MODEL a file in testdata/models, e.g.
#   scripts/bench/recipe.sh /tmp/recipe fmnist_resnet20.onnx:4 fmnist_resnet20.onnx:8
# Extra flags after -- go to every run and name a variant, e.g.
#   scripts/bench/recipe.sh /tmp/recipe fmnist_resnet20.onnx:4:r20_auto050 -- --keep-float auto --max-drop 0.005
# Runs whose JSON is already there are skipped, so a stopped campaign resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
shift
runs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do runs+=("$1"); shift; done
[ $# -gt 0 ] && shift
data=/usr/share/datasets/fashion-mnist
mkdir -p "$out"
b="$out/bincompress"
[ -x "$b" ] || go build -o "$b" ./cmd/bincompress
git rev-parse HEAD > "$out/commit.txt"
for run in "${runs[@]}"; do
  IFS=: read -r model epochs name <<< "$run"
  name=${name:-${model%.onnx}_e$epochs}
  base=${model%.onnx}
  if [ ! -s "$out/$base.allbinary.json" ]; then
    "$b" "testdata/models/$model" "$out/$base.allbinary.bnn" --keep-float none --json > "$out/$base.allbinary.json" 2> "$out/$base.allbinary.log"
  fi
  [ -s "$out/$name.json" ] && continue
  echo "$(date +%T) $name: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/campaign.log"
  /usr/bin/time -v "$b" "testdata/models/$model" "$out/$name.bnn" --data "$data" --mean 0.2860 --std 0.3530 \
    --epochs "$epochs" --seed 1 --json "$@" > "$out/$name.json.tmp" 2> "$out/$name.log" || true
  mv "$out/$name.json.tmp" "$out/$name.json"
done
python3 scripts/bench/recipe_table.py "$out"
