#!/bin/sh
# GEMM GFLOP/s of kernels.Sgemm against OpenBLAS (Debian numpy with the
# SkylakeX kernels) on the same shapes, threads matched, in one run.
#
#   internal/kernels/bench/gemm_vs_openblas.sh [THREADS] [ROUNDS]
#
# Each round runs the Go benchmark (ns/op of b.Loop, at least 1 s per shape)
# and then numpy (median of 5 timings); the table shows the median over
# rounds. Peak: THREADS × 172 GFLOP/s, the measured 1-core zmm FMA rate of
# this machine (2 FMA units × 16 lanes × 2 flop × ~2.7 GHz sustained;
# docs: shared/research/anchors-perf.md §1). The machine is shared: read
# absolute numbers as ±20 %, ratios within one run are steadier.
set -eu
threads=${1:-1}
rounds=${2:-3}
peak=$((threads * 172))
cd "$(dirname "$0")/../../.."
shapes="256x256x256 512x512x512 1024x1024x1024 16x131072x27 16x131072x144 32x32768x288 64x8192x576 10x128x64"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/kernels.test" ./internal/kernels/
r=1
while [ "$r" -le "$rounds" ]; do
	GOMAXPROCS=$threads "$tmp/kernels.test" -test.run '^$' -test.bench '^BenchmarkSgemm$' -test.benchtime 1s |
		awk '/^BenchmarkSgemm\//{split($1,a,"/"); sub(/-[0-9]+$/,"",a[2]); print a[2], $(NF-1)}' >>"$tmp/go.txt"
	env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
		/usr/bin/python3 internal/kernels/bench/sgemm_numpy.py $shapes >>"$tmp/blas.txt"
	r=$((r + 1))
done
median() { grep "^$1 " "$2" | awk '{print $2}' | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
echo "threads=$threads rounds=$rounds peak=${peak} GFLOP/s ($(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-16s %10s %10s %8s %8s %8s\n' "MxNxK" "Go" "OpenBLAS" "Go/BLAS" "Go%peak" "BLAS%pk"
for s in $shapes; do
	g=$(median "$s" "$tmp/go.txt")
	b=$(median "$s" "$tmp/blas.txt")
	awk -v s="$s" -v g="$g" -v b="$b" -v p="$peak" \
		'BEGIN{printf "%-16s %10.1f %10.1f %8.2f %7.0f%% %7.0f%%\n", s, g, b, g/b, 100*g/p, 100*b/p}'
done
