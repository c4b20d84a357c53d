"""Times float32 matmul through numpy (OpenBLAS) for the shapes given as
MxNxK arguments. Prints one line per shape: "MxNxK WALL CPU", the GFLOP/s
by wall time and by the calling thread's CPU time (time.thread_time, valid
when OpenBLAS runs on that one thread), each the median of 5 timings of at
least 0.2 s of repeated calls. Used by gemm_vs_openblas.sh."""
import sys
import time

import numpy as np


def rate(m, n, k):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        if time.perf_counter() - t0 >= 0.2:
            break
        reps *= 2
    wall, cpu = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        wall.append((time.perf_counter() - t0) / reps)
        cpu.append(max(time.thread_time() - c0, 1e-9) / reps)
    flop = 2.0 * m * n * k / 1e9
    return flop / sorted(wall)[2], flop / sorted(cpu)[2]


for shape in sys.argv[1:]:
    m, n, k = (int(v) for v in shape.split("x"))
    w, c = rate(m, n, k)
    print(f"{shape} {w:.1f} {c:.1f}", flush=True)
