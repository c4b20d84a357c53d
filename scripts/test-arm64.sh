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
exit $status
