#!/usr/bin/env bash
# test-arm64.sh: cross-builds the packed-model tests for linux/arm64 with
# CGO_ENABLED=0 and runs them under qemu-user, so the .bnn runtime is proven
# on the architecture of edge boards (issue 8). Run from anywhere:
#
#   scripts/test-arm64.sh            # the default package/test selection
#   ARM64_TESTS="infer:. export:." scripts/test-arm64.sh
#
# Each entry of ARM64_TESTS is PACKAGE:REGEX (a -test.run pattern). Tests run
# in -short mode inside their package folder (for testdata), with CI unset
# and an empty PATH: tests that need host tools (gcc for the C export, node
# for onnxruntime) then skip with their reason instead of running x86-64
# tools from inside the emulated process.
set -euo pipefail
cd "$(dirname "$0")/.."

qemu=${QEMU:-$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)}
if [ -z "$qemu" ]; then
  echo "test-arm64: qemu-aarch64-static not found (Debian: apt-get install qemu-user-static)" >&2
  exit 1
fi

# The packed-model execution path: the bit convention, the binary kernels
# (portable Go on arm64), the .bnn reader/writer, the executor's binary and
# QONNX ops, and the exporters' pure-Go tests.
default_tests="internal/bits:. internal/kernels:Binary pack:. infer:Binary|Bincompress|BNN|Bnn|Packed|QONNX|Bipolar|TorchExports export:."
tests=${ARM64_TESTS:-$default_tests}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir "$out/empty-path"
root=$(pwd)
status=0
for entry in $tests; do
  pkg=${entry%%:*}
  run=${entry#*:}
  bin="$out/$(echo "$pkg" | tr / _).test"
  echo "== arm64: $pkg (-run '$run')"
  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go test -c -o "$bin" "./$pkg"
  if ! (cd "$root/$pkg" && env -u CI PATH="$out/empty-path" GOARCH=arm64 \
        "$qemu" "$bin" -test.run "$run" -test.short -test.count=1 -test.timeout=20m); then
    echo "test-arm64: $pkg FAILED under $qemu" >&2
    status=1
  fi
done

# The bincompress binary itself, cross-built, binarizes a model and runs the
# .bnn under qemu; its top classes and scores must equal the amd64 build's.
# The binary loads the CUDA libraries at run time (purego), so it has an ELF
# interpreter like any glibc program: qemu takes the arm64 glibc of Debian's
# libc6-arm64-cross, as an edge board has its own.
echo "== arm64: bincompress binary"
sysroot=${ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
if [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  echo "test-arm64: no arm64 glibc under $sysroot (Debian: apt-get install libc6-arm64-cross)" >&2
  exit 1
fi
qemu="$qemu -L $sysroot"
GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o "$out/bincompress-arm64" ./cmd/bincompress
go build -o "$out/bincompress-host" ./cmd/bincompress
model=testdata/models/fmnist_tiny.onnx
input=testdata/models/fmnist_tiny.input.npy
$qemu "$out/bincompress-arm64" "$model" "$out/arm64.bnn" 2>/dev/null
"$out/bincompress-host" "$model" "$out/host.bnn" 2>/dev/null
if ! cmp -s "$out/arm64.bnn" "$out/host.bnn"; then
  echo "test-arm64: the arm64 build wrote a different .bnn than the host build" >&2
  status=1
fi
$qemu "$out/bincompress-arm64" run "$out/arm64.bnn" --input "$input" --top 3 >"$out/arm64.top"
"$out/bincompress-host" run "$out/host.bnn" --input "$input" --top 3 >"$out/host.top"
if ! diff "$out/arm64.top" "$out/host.top"; then
  echo "test-arm64: the arm64 build's top-3 classes and scores differ from the host's" >&2
  status=1
fi
[ "$status" = 0 ] && echo "PASS: bincompress (linux/arm64) writes the same .bnn and gives the same top-3 as the host build"
exit $status
