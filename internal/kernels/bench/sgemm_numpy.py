"""Times float32 matmul through numpy (OpenBLAS) for the shapes given as
MxNxK arguments; prints one line per shape: "MxNxK GFLOP/s" (median of 5
timings, each at least 0.2 s of repeated calls). Used by gemm_vs_openblas.sh."""
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
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        times.append((time.perf_counter() - t0) / reps)
    times.sort()
    return 2.0 * m * n * k / times[2] / 1e9


for shape in sys.argv[1:]:
    m, n, k = (int(v) for v in shape.split("x"))
    print(f"{shape} {rate(m, n, k):.1f}", flush=True)
