#!/bin/sh
# GEMM GFLOP/s of kernels.Sgemm against OpenBLAS (Debian numpy with the
# SkylakeX kernels) on the same shapes, threads matched, in one run.
#
#   internal/kernels/bench/gemm_vs_openblas.sh [THREADS] [ROUNDS]
#
# Each round runs the Go benchmark (b.Loop, at least 1 s per shape) and then
# numpy (median of 5 timings); the table shows the median over rounds.
# Two measures: wall-clock GFLOP/s, and, with THREADS=1 only, GFLOP/s per
# CPU-second of the working thread (Go: getrusage RUSAGE_THREAD; numpy:
# time.thread_time), which is what a kernel reaches when the core is its own
# and stays readable on a loaded, shared machine.
#
# Peak: THREADS × 172 GFLOP/s, the measured sustained 1-core zmm FMA rate of
# this machine: 2 FMA units × 16 fp32 lanes × 2 flop × ~2.7 GHz (the 2.3 GHz
# nominal clock gives 147); shared/research/anchors-perf.md §1.
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
		awk '/^BenchmarkSgemm\//{split($1,a,"/"); sub(/-[0-9]+$/,"",a[2]); w="-"; c="-";
			for(i=1;i<=NF;i++){ if($i=="GFLOP/s") w=$(i-1); if($i=="cpu-GFLOP/s") c=$(i-1) } print a[2], w, c}' >>"$tmp/go.txt"
	env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
		/usr/bin/python3 internal/kernels/bench/sgemm_numpy.py $shapes >>"$tmp/blas.txt"
	r=$((r + 1))
done
# median FIELD SHAPE FILE
median() { grep "^$2 " "$3" | awk -v f="$1" '{print $f}' | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
echo "threads=$threads rounds=$rounds peak=$peak GFLOP/s  $(date -u +%FT%TZ)  loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s | %8s %8s %6s %6s | %8s %8s %6s %6s\n' "MxNxK" "Go wall" "BLAS" "ratio" "%peak" "Go cpu" "BLAS" "ratio" "%peak"
for s in $shapes; do
	awk -v s="$s" -v g="$(median 2 "$s" "$tmp/go.txt")" -v b="$(median 2 "$s" "$tmp/blas.txt")" \
		-v gc="$(median 3 "$s" "$tmp/go.txt")" -v bc="$(median 3 "$s" "$tmp/blas.txt")" -v p="$peak" -v t="$threads" \
		'BEGIN{printf "%-16s | %8.1f %8.1f %6.2f %5.0f%% |", s, g, b, g/b, 100*g/p;
		if (t == 1 && gc+0 > 0) printf " %8.1f %8.1f %6.2f %5.0f%%\n", gc, bc, gc/bc, 100*gc/p; else printf "      n/a\n"}'
done
