#!/usr/bin/env bash
# The one prepared GPU check (issue 17), for a session that is lent a
# device. Prepare here first (the device has no Go toolchain):
#
#   scripts/gpu/prepare.sh
#   run(command='bash scripts/gpu/device_check.sh "$OUT"', carry=["build/gpu"], timeout_s=540)
#
# Results go, as JSON, into the folder named by the first argument. Phases,
# each under its own timeout so one failure keeps the others (about 8
# minutes at most in all):
#   (a) parity: TestDeviceParity, every op of the backend, forward and
#       backward, and whole training steps, GPU against the CPU backend;
#   (b) product: the main command fine-tunes fmnist_tiny on testdata's
#       Fashion-MNIST sample with --device cuda and with --device cpu;
#   (c) Go throughput: TestDeviceTrainStep, the trainer's step on ResNet-20
#       (batch 128, 32x32) and the ResNet-18 topology (batch 64, 224x224),
#       exact and compressed backward, TF32 off and on, with peak device
#       memory and a per-kernel profile;
#   (d) PyTorch eager on the same GPU, same topologies (torch_bench.py);
#   (e) summary.json: Go/PyTorch ratios, memory, parity failures.
# If the library search finds no CUDA, phase (a) is retried once with
# BINCOMPRESS_CUDA_LIBS taken from python's nvidia wheels, and the later
# phases use it too; the summary records the hint.
# DEVICE_CHECK_SMOKE=1 shrinks (c) and (d) to toy sizes: prepare.sh runs the
# whole script that way on the CPU emulation of the device.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=${1:-${OUT:-/tmp/gpu_check}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG="$OUT/log.txt"
: >"$LOG"
STEPS=${BINCOMPRESS_GPU_BENCH_STEPS:-20}
export BINCOMPRESS_GPU_BENCH_STEPS=$STEPS
SMOKE=${DEVICE_CHECK_SMOKE:-}
TORCH_ARGS=()
LIMIT=0
if [ -n "$SMOKE" ]; then
	export BINCOMPRESS_GPU_BENCH_SMALL=1 BINCOMPRESS_GPU_BENCH_STEPS=1
	TORCH_ARGS=(--smoke)
	LIMIT=128
fi
PY=$(command -v python3)
BIN="$ROOT/build/gpu"
for f in gpu.test finetune.test bincompress; do
	if [ -f "$BIN/$f.gz" ]; then
		gunzip -f "$BIN/$f.gz"
	fi
	if [ ! -x "$BIN/$f" ]; then
		echo "{\"error\":\"no build/gpu/$f: run scripts/gpu/prepare.sh and carry build/gpu\"}" | tee "$OUT/summary.json"
		exit 1
	fi
done

{ echo "== $(date -u)"; nvidia-smi 2>&1 | head -15; echo "python3: $PY"; } >>"$LOG"

phase() { # name timeout_s dir command...
	local name=$1 t=$2 dir=$3
	shift 3
	echo "== phase $name: $*" >>"$LOG"
	local s=$SECONDS
	(cd "$dir" && timeout "$t" "$@") >>"$LOG" 2>&1
	local rc=$?
	echo "== phase $name: rc=$rc in $((SECONDS - s)) s" >>"$LOG"
	echo "$rc"
}

# (a) parity
RC_A=$(BINCOMPRESS_GPU_REPORT="$OUT/parity.json" phase parity 90 "$ROOT/internal/gpu" "$BIN/gpu.test" -test.run 'TestDeviceParity$' -test.v -test.count=1)
HINT=""
if [ ! -s "$OUT/parity.json" ] && [ -z "${BINCOMPRESS_CUDA_LIBS:-}" ]; then
	HINT=$("$PY" - <<'PYEOF' 2>/dev/null
import glob, os
import nvidia
dirs = []
for base in nvidia.__path__:
    for sub in ("cu13/lib", "cublas/lib", "cuda_nvrtc/lib", "cuda_runtime/lib"):
        d = os.path.join(base, sub)
        if glob.glob(os.path.join(d, "lib*.so*")):
            dirs.append(d)
print(":".join(dirs))
PYEOF
)
	if [ -n "$HINT" ]; then
		export BINCOMPRESS_CUDA_LIBS="$HINT"
		RC_A=$(BINCOMPRESS_GPU_REPORT="$OUT/parity.json" phase parity-hinted 90 "$ROOT/internal/gpu" "$BIN/gpu.test" -test.run 'TestDeviceParity$' -test.v -test.count=1)
	fi
fi

# (b) the product path: the summary line of each run
PRODUCT='"$0" testdata/models/fmnist_tiny.onnx "$1/$2.bnn" --data testdata/data/fmnist-mini --mean 0.2860 --std 0.3530 --epochs 1 --limit "$3" --device "$2" --json | tail -1 >"$1/product_$2.json"; rc=${PIPESTATUS[0]}; rm -f "$1/$2".*; exit $rc'
RC_B=$(phase product-cuda 90 "$ROOT" bash -c "$PRODUCT" "$BIN/bincompress" "$OUT" cuda "$LIMIT")
RC_B2=$(phase product-cpu 60 "$ROOT" bash -c "$PRODUCT" "$BIN/bincompress" "$OUT" cpu "$LIMIT")

# (c) Go throughput
RC_C=$(BINCOMPRESS_GPU_BENCH="$OUT/go_bench.json" phase go-bench 180 "$ROOT/finetune" "$BIN/finetune.test" -test.run 'TestDeviceTrainStep$' -test.v -test.count=1 -test.timeout 175s)

# (d) PyTorch
RC_D=$(phase torch-bench 100 "$ROOT" "$PY" scripts/gpu/torch_bench.py --out "$OUT/torch_bench.json" --steps "$STEPS" "${TORCH_ARGS[@]}")

# (e) summary
"$PY" scripts/gpu/summary.py "$OUT" "$RC_A" "$RC_B" "$RC_B2" "$RC_C" "$RC_D" "$HINT" | tee "$OUT/summary.json"
