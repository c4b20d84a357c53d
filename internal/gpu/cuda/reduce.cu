// Per-channel reductions over [n][c][inner] tensors (and per-row ones over
// [rows][cols] matrices), in two stages so that a few channels still fill
// the GPU: a channel's m = n*inner values are cut into S contiguous slices;
// block b (RBLOCK threads) reduces slice b % S of channel b / S into a
// partial, and a final kernel (one thread per channel) adds the S partials
// in order. Sums are in double; every order is fixed, so results are the
// same on every run.

// Value j (0 <= j < m) of channel ch.
__device__ __forceinline__ float chan_at(const float* x, i64 j, int ch, int c, i64 inner) {
  return x[((j / inner) * c + ch) * inner + j % inner];
}

// The slice [*lo, *hi) of m values that block b reduces.
__device__ __forceinline__ void slice_of(i64 m, int S, int b, i64* lo, i64* hi) {
  i64 len = (m + S - 1) / S, s = b % S;
  *lo = s * len;
  *hi = (s + 1) * len < m ? (s + 1) * len : m;
}

// part[b] = Σ x over the slice, or Σ (x − center[ch])² when center is set.
extern "C" __global__ void moments_part(const float* x, const double* center, double* part, int n, int c, i64 inner,
                                        int S) {
  __shared__ double sh[RBLOCK];
  int ch = blockIdx.x / S;
  i64 lo, hi;
  slice_of((i64)n * inner, S, blockIdx.x, &lo, &hi);
  double s = 0;
  for (i64 j = lo + threadIdx.x; j < hi; j += RBLOCK) {
    double v = (double)chan_at(x, j, ch, c, inner);
    if (center) {
      v -= center[ch];
      v *= v;
    }
    s += v;
  }
  s = block_sum(s, sh);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

// Batch mean per channel, as double (for the second pass) and float.
extern "C" __global__ void moments_mean(const double* part, double* meand, float* mean, int c, int S, i64 m) {
  GRID_LOOP(ch, c) {
    double s = 0;
    for (int k = 0; k < S; k++) s += part[ch * S + k];
    meand[ch] = s / (double)m;
    mean[ch] = (float)meand[ch];
  }
}

// Biased variance and invstd = 1/sqrt(var + eps), computed in double from
// the float variance (as the CPU reference does).
extern "C" __global__ void moments_var(const double* part, float* var, float* invstd, int c, int S, i64 m, float eps) {
  GRID_LOOP(ch, c) {
    double s = 0;
    for (int k = 0; k < S; k++) s += part[ch * S + k];
    float v = (float)(s / (double)m);
    var[ch] = v;
    invstd[ch] = (float)(1.0 / sqrt((double)v + (double)eps));
  }
}

// pa[b] = Σ g and pb[b] = Σ g·xh over the slice (xh may be null).
extern "C" __global__ void dot_part(const float* g, const float* xh, double* pa, double* pb, int n, int c, i64 inner,
                                    int S) {
  __shared__ double sh[RBLOCK];
  int ch = blockIdx.x / S;
  i64 lo, hi;
  slice_of((i64)n * inner, S, blockIdx.x, &lo, &hi);
  double a = 0, b = 0;
  for (i64 j = lo + threadIdx.x; j < hi; j += RBLOCK) {
    i64 off = ((j / inner) * c + ch) * inner + j % inner;
    a += (double)g[off];
    if (xh) b += (double)g[off] * (double)xh[off];
  }
  a = block_sum(a, sh);
  b = block_sum(b, sh);
  if (threadIdx.x == 0) {
    pa[blockIdx.x] = a;
    pb[blockIdx.x] = b;
  }
}

// Σg and Σg·xh per channel as doubles (sg, sgx: for the BN backward) and
// floats (dbeta, dgamma); any output may be null.
extern "C" __global__ void dot_final(const double* pa, const double* pb, double* sg, double* sgx, float* dbeta,
                                     float* dgamma, int c, int S) {
  GRID_LOOP(ch, c) {
    double a = 0, b = 0;
    for (int k = 0; k < S; k++) {
      a += pa[ch * S + k];
      b += pb[ch * S + k];
    }
    if (sg) sg[ch] = a;
    if (sgx) sgx[ch] = b;
    if (dbeta) dbeta[ch] = (float)a;
    if (dgamma) dgamma[ch] = (float)b;
  }
}

// Minimum and maximum over the slice (comparisons skip NaN; an empty slice
// gives +inf, -inf).
extern "C" __global__ void minmax_part(const float* x, float* plo, float* phi, int n, int c, i64 inner, int S) {
  __shared__ float slo[RBLOCK], shi[RBLOCK];
  int ch = blockIdx.x / S;
  i64 lo, hi;
  slice_of((i64)n * inner, S, blockIdx.x, &lo, &hi);
  float l = __int_as_float(0x7f800000), h = -__int_as_float(0x7f800000);
  for (i64 j = lo + threadIdx.x; j < hi; j += RBLOCK) {
    float v = chan_at(x, j, ch, c, inner);
    if (v < l) l = v;
    if (v > h) h = v;
  }
  slo[threadIdx.x] = l;
  shi[threadIdx.x] = h;
  __syncthreads();
  for (int s = RBLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      if (slo[threadIdx.x + s] < slo[threadIdx.x]) slo[threadIdx.x] = slo[threadIdx.x + s];
      if (shi[threadIdx.x + s] > shi[threadIdx.x]) shi[threadIdx.x] = shi[threadIdx.x + s];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    plo[blockIdx.x] = slo[0];
    phi[blockIdx.x] = shi[0];
  }
}

// Channel range from the slices' ranges; [0, 0] for an empty channel.
extern "C" __global__ void minmax_final(const float* plo, const float* phi, float* lo, float* hi, int c, int S) {
  GRID_LOOP(ch, c) {
    float l = __int_as_float(0x7f800000), h = -__int_as_float(0x7f800000);
    for (int k = 0; k < S; k++) {
      if (plo[ch * S + k] < l) l = plo[ch * S + k];
      if (phi[ch * S + k] > h) h = phi[ch * S + k];
    }
    bool empty = l > h;
    lo[ch] = empty ? 0.0f : l;
    hi[ch] = empty ? 0.0f : h;
  }
}

// part[b] = Σ |w| over a slice of row b / S of w [rows][cols].
extern "C" __global__ void absmean_part(const float* w, double* part, int rows, i64 cols, int S) {
  __shared__ double sh[RBLOCK];
  int r = blockIdx.x / S;
  i64 lo, hi;
  slice_of(cols, S, blockIdx.x, &lo, &hi);
  double s = 0;
  for (i64 j = lo + threadIdx.x; j < hi; j += RBLOCK) s += fabs((double)w[(i64)r * cols + j]);
  s = block_sum(s, sh);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

// Mean |w| per row (BWN's per-channel scale).
extern "C" __global__ void absmean_final(const double* part, float* scale, int rows, int S, i64 cols) {
  GRID_LOOP(r, rows) {
    double s = 0;
    for (int k = 0; k < S; k++) s += part[r * S + k];
    scale[r] = cols > 0 ? (float)(s / (double)cols) : 0.0f;
  }
}
