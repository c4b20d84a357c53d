#!/usr/bin/env bash
# Builds what the device run needs, on this (GPU-less) machine: the test
# binaries of internal/gpu and finetune and the bincompress binary
# (CGO_ENABLED=0, single files; the device machine has no Go toolchain).
# They land in build/gpu/ (gzipped, to travel light), which git ignores,
# so the device call must carry it:
#
#   scripts/gpu/prepare.sh
#   run(command='bash scripts/gpu/device_check.sh "$OUT"', carry=["build/gpu"], timeout_s=540)
#
# Then it runs the device check itself, shrunk (DEVICE_CHECK_SMOKE=1), on the
# CPU emulation of the device (internal/gpu/emu), so that every phase and
# the summary are known to work before a GPU is spent on them.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/gpu
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
strip=(-ldflags=-s\ -w) # no symbol tables: the three files travel (64 MiB for the whole tree)
go test -c "${strip[@]}" -o build/gpu/gpu.test ./internal/gpu
go test -c "${strip[@]}" -o build/gpu/finetune.test ./finetune
go build "${strip[@]}" -o build/gpu/bincompress ./cmd/bincompress
ls -l build/gpu
unset GOOS GOARCH
emu=$(mktemp)
trap 'rm -f "$emu"' EXIT
EMU_LIBDIR_FILE="$emu" go test -count=1 -run 'TestLibDir$' ./internal/gpu/emu >/dev/null
dry=$(mktemp -d)
DEVICE_CHECK_SMOKE=1 BINCOMPRESS_CUDA_LIBS=$(cat "$emu") bash scripts/gpu/device_check.sh "$dry" >/dev/null
python3 - "$dry/summary.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
bad = [k for k, v in s["rc"].items() if v != 0 and not (k == "torch_bench" and s["torch"].get("error"))]
assert not bad, f"phases failed on the emulation: {bad}; see the log"
assert s["parity_cases"] > 40 and not s["parity_failed"], s["parity_failed"]
assert len(s["benchmark"]) == 8 and all(r["go_images_per_s"] > 0 for r in s["benchmark"]), s["benchmark"]
assert s["product"]["cuda"]["verified_accuracy"] is not None, s["product"]
print("prepare: the device check ran on the emulation:", s["parity_cases"], "parity cases,",
      len(s["benchmark"]), "benchmark rows, product accuracy cuda/cpu",
      s["product"]["cuda"]["verified_accuracy"], s["product"]["cpu"]["verified_accuracy"])
PYEOF
rm -rf "$dry"
gzip -f -9 build/gpu/gpu.test build/gpu/finetune.test build/gpu/bincompress # device_check.sh unpacks them
ls -l build/gpu
