#!/usr/bin/env bash
# The one prepared GPU check (issue 7), for a session that is lent a device.
# Prepare here first (builds build/gpu/gpu.test; the device has no Go):
#
#   scripts/gpu/prepare.sh
#   run(command="bash scripts/gpu/device_check.sh", carry=["build/gpu"], timeout_s=540)
#
# Phases, each under its own timeout so one failure keeps the others:
#   (a) the parity suite on the GPU (TestDeviceParity: every op and three
#       training steps of a small residual net against the CPU reference);
#   (b) Go training throughput: ResNet-20 (batch 128, 32x32) and the ResNet-18
#       topology (batch 64, 224x224), exact and compressed backward, TF32 off
#       and on, with peak device memory (TestDeviceBenchmark);
#   (c) PyTorch eager on the same GPU, same topologies (torch_bench.py);
#   (d) one JSON summary on stdout and in $OUT/summary.json.
# If the library search finds no CUDA (the Go error names what is missing),
# phase (a) is retried once with BINCOMPRESS_CUDA_LIBS taken from python's
# nvidia wheels, and the summary records both attempts.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
LOG="$OUT/log.txt"
STEPS=${BINCOMPRESS_GPU_BENCH_STEPS:-20}
export BINCOMPRESS_GPU_BENCH_STEPS=$STEPS
PY=$(command -v python3)

BIN="$ROOT/build/gpu/gpu.test"
if [ ! -x "$BIN" ] && command -v go >/dev/null; then
	(CGO_ENABLED=0 go test -c -o "$BIN" ./internal/gpu) >>"$LOG" 2>&1
fi
if [ ! -x "$BIN" ]; then
	echo '{"error":"no build/gpu/gpu.test: run scripts/gpu/prepare.sh and carry build/gpu"}' | tee "$OUT/summary.json"
	exit 1
fi

{ echo "== $(date -u)"; nvidia-smi 2>&1 | head -15; echo "python3: $PY"; } >>"$LOG"

phase() { # name timeout_s command...
	local name=$1 t=$2
	shift 2
	echo "== phase $name: $*" >>"$LOG"
	local s=$SECONDS
	(cd "$ROOT/internal/gpu" && timeout "$t" "$@") >>"$LOG" 2>&1
	local rc=$?
	echo "== phase $name: rc=$rc in $((SECONDS - s)) s" >>"$LOG"
	echo "$rc"
}

# (a) parity
RC_A=$(BINCOMPRESS_GPU_REPORT="$OUT/parity.json" phase parity 120 "$BIN" -test.run 'TestDeviceParity$' -test.v -test.count=1)
HINT=""
if [ ! -s "$OUT/parity.json" ]; then
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
		RC_A=$(BINCOMPRESS_CUDA_LIBS="$HINT" BINCOMPRESS_GPU_REPORT="$OUT/parity.json" phase parity-hinted 120 "$BIN" -test.run 'TestDeviceParity$' -test.v -test.count=1)
		export BINCOMPRESS_CUDA_LIBS="$HINT"
	fi
fi

# (b) Go benchmark
RC_B=$(BINCOMPRESS_GPU_BENCH="$OUT/go_bench.json" phase go-bench 220 "$BIN" -test.run 'TestDeviceBenchmark$' -test.v -test.count=1 -test.timeout 215s)

# (c) PyTorch
RC_C=$(phase torch-bench 150 "$PY" "$ROOT/scripts/gpu/torch_bench.py" --out "$OUT/torch_bench.json" --steps "$STEPS")

# (d) summary
"$PY" - "$OUT" "$RC_A" "$RC_B" "$RC_C" "$HINT" <<'PYEOF' | tee "$OUT/summary.json"
import json, os, sys
out, rca, rcb, rcc, hint = sys.argv[1:6]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception as e:
        return {"missing": repr(e)}
parity, gob, tb = load("parity.json"), load("go_bench.json"), load("torch_bench.json")
s = {"rc": {"parity": int(rca), "go_bench": int(rcb), "torch_bench": int(rcc)},
     "library_hint_used": hint or None,
     "device": parity.get("device") or gob.get("device"), "libraries": parity.get("libraries"),
     "parity_failed": [r for r in parity.get("parity", []) if not r.get("ok")],
     "parity_cases": len(parity.get("parity", [])),
     "torch": {k: tb.get(k) for k in ("torch", "cuda", "cudnn", "device", "error")}}
torch_by = {(r["model"], r["tf32"]): r for r in tb.get("results", [])}
rows = []
for g in gob.get("go", []):
    t = torch_by.get((g["model"], g["tf32"]), {})
    rows.append({"model": g["model"], "tf32": g["tf32"], "compressed": g["compressed"],
                 "go_images_per_s": round(g["images_per_s"], 1),
                 "torch_images_per_s": round(t.get("images_per_s", 0), 1),
                 "ratio_go_over_torch": round(g["images_per_s"] / t["images_per_s"], 3) if t.get("images_per_s") else None,
                 "go_peak_allocated_MiB": round(g["peak_allocated_bytes"] / 2**20, 1),
                 "go_peak_reserved_MiB": round(g["peak_reserved_bytes"] / 2**20, 1),
                 "torch_peak_allocated_MiB": round(t.get("peak_allocated_bytes", 0) / 2**20, 1),
                 "saved_for_backward_KiB_per_image": round(g["saved_for_backward_bytes_per_image"] / 1024, 1),
                 "go_loss_first_last": [g["first_loss"], g["last_loss"]], "error": g.get("error")})
s["benchmark"] = rows
try:
    s["no_gpu"] = sorted({l.strip() for l in open(os.path.join(out, "log.txt")) if "no GPU:" in l})
except OSError:
    pass
print(json.dumps(s, indent=1))
PYEOF
