#!/usr/bin/env bash
# One training step (forward, loss, backward, SGD update) of the CIFAR
# ResNet-20 at batch 128 on 3x32x32: bincompress's trainer (exact and
# compressed backward) against PyTorch CPU (Debian python3-torch), in one
# run, alternating ROUNDS times so machine noise hits both. Medians.
# PyTorch runs in both memory formats (NCHW and channels_last); the faster
# one is its best setting. Ours runs the step on labels alone (exact,
# compressed: the work of PyTorch's step) and the default recipe's step,
# which adds the teacher's forward pass for distillation (exact-distill,
# compressed-distill); PyTorch's distill_images_per_s is its step plus its
# eval-mode forward of the same batch (the teacher's work), from the two
# rates it measures.
#
# The last lines summarize: per setting, the median rate, and for ours the
# median over rounds of the ratio to PyTorch's best setting (the one with
# the highest median) in the same round; the distill cases are set against
# that setting's step plus its teacher forward. The host's speed drifts by tens
# of percent within minutes; a ratio taken within one round cancels most
# of that drift, which a ratio of two medians does not.
#
#   scripts/bench/train_step.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/finetune.test" ./finetune
# Ours and PyTorch take turns going first (ABBA), so a drift of the
# host's speed within a round does not favour either.
ours() {
  (cd finetune && GOMAXPROCS=2 "$tmp/finetune.test" -test.run '^$' -test.bench '^BenchmarkTrainStep$' -test.benchtime 8x) |
    awk -v r="$r" '/^BenchmarkTrainStep\//{mode=$1; sub(/.*\//,"",mode); sub(/-[0-9]+$/,"",mode);
      for(i=1;i<=NF;i++){ if($i=="images/s") ips=$(i-1); if($i=="exact-B/img") e=$(i-1); if($i=="compressed-B/img") c=$(i-1); if($i=="peak-heap-MiB") h=$(i-1) }
      printf "{\"who\":\"bincompress-%s\",\"round\":%d,\"images_per_s\":%s,\"exact_bytes_per_image\":%s,\"compressed_bytes_per_image\":%s,\"peak_heap_mib\":%s}\n", mode, r, ips, e, c, h}'
}
pytorch() {
  for threads in 1 2; do
    for layout in "" --channels-last; do
      /usr/bin/python3 testdata/scripts/torch_train_step_bench.py --threads "$threads" --steps 8 --warmup 2 $layout |
        jq -c --argjson r "$r" '.results[0] as $x | {who:"pytorch-\($x.threads)t-\(.memory_format)", round:$r, images_per_s:$x.train_step.images_per_s,
          distill_images_per_s:(1 / (1 / $x.train_step.images_per_s + 1 / $x.eval_forward.images_per_s) * 10 | round / 10), load_avg_1m}'
    done
  done
}
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then { ours; pytorch; }; else { pytorch; ours; }; fi | tee -a "$tmp/rounds.jsonl"
done
jq -sc 'def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  (map(select(.who | startswith("pytorch"))) | group_by(.who) | map({who: .[0].who, m: map(.images_per_s) | median}) | max_by(.m).who) as $best
  | (map(select(.who == $best)) | map({key: (.round | tostring), value: .}) | from_entries) as $peer
  | group_by(.who)[] | {summary: .[0].who, median_images_per_s: (map(.images_per_s) | median)}
  + if (.[0].who | startswith("bincompress")) then {peer: $best}
      + if .[0].who | endswith("distill") then
          {median_round_ratio: (map(.images_per_s / $peer[.round | tostring].distill_images_per_s) | median * 1000 | round / 1000)}
        else
          {median_round_ratio: (map(.images_per_s / $peer[.round | tostring].images_per_s) | median * 1000 | round / 1000)}
        end
    else {} end' "$tmp/rounds.jsonl"
