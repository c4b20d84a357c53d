#!/usr/bin/env bash
# Inference images/s of the ResNet-18 topology (full width, 3x224x224):
# onnxruntime (onnxruntime-node, 2 intra-op threads, all graph optimizations)
# on the float ONNX, against bincompress's float executor on the same file,
# its .bnn executor, and the .bnn with 8-bit activations, at batch 1 and 32.
# Runs are interleaved (ort, ours, ort, ours ...) so machine noise hits both;
# every figure is a median. Prints JSON lines, one per measurement.
#
#   scripts/bench/inference.sh [OUT_DIR] [ROUNDS]
#
# Needs /usr/bin/python3 with torch + torchvision (to export the full-width
# model; not committed: 47 MB) and `npm ci` for onnxruntime-node.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/bincompress-bench}
rounds=${2:-3}
mkdir -p "$out"
[ -f "$out/models/resnet18.onnx" ] || /usr/bin/python3 testdata/bnn/export_full_resnets.py "$out/models" >&2
go build -o "$out/bincompress" ./cmd/bincompress
b="$out/bincompress"
[ -f "$out/resnet18.bnn" ] || "$b" "$out/models/resnet18.onnx" "$out/resnet18.bnn" 2>/dev/null
for batch in 1 32; do
  runs=$(( batch == 1 ? 20 : 5 ))
  for r in $(seq "$rounds"); do
    node tools/ort/bench.js "$out/models/resnet18.onnx" --batch "$batch" --threads 2 --runs "$runs" |
      sed "s/^{/{\"who\":\"onnxruntime\",\"round\":$r,/"
    "$b" bench "$out/models/resnet18.onnx" --batch "$batch" --runs "$runs" --json |
      jq -c "{who:\"bincompress-float\",round:$r,batch,median_ms,images_per_s:.images_per_sec}"
    "$b" bench "$out/resnet18.bnn" --batch "$batch" --runs "$runs" --json |
      jq -c "{who:\"bincompress-bnn\",round:$r,batch,median_ms,images_per_s:.images_per_sec}"
    "$b" bench "$out/resnet18.bnn" --batch "$batch" --runs "$runs" --int8-activations --json |
      jq -c "{who:\"bincompress-bnn-int8\",round:$r,batch,median_ms,images_per_s:.images_per_sec}"
  done
done
