#!/usr/bin/env bash
# Builds what the device run needs, on this (GPU-less) machine: the test
# binary of internal/gpu (CGO_ENABLED=0, one file; the device machine has no
# Go toolchain). It lands in build/gpu/, which is ignored by git, so the
# device call must carry it:
#
#   scripts/gpu/prepare.sh
#   run(command="bash scripts/gpu/device_check.sh", carry=["build/gpu"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/gpu
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go test -c -o build/gpu/gpu.test ./internal/gpu
# Run the CPU side once more here: the parity suite against itself, the
# emulated device, the loader tests.
go test -count=1 ./internal/gpu/
ls -l build/gpu/gpu.test
