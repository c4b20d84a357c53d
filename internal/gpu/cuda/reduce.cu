// Per-channel reductions over [n][c][inner] tensors: one block of RBLOCK
// threads per channel, double accumulation, fixed order.

__device__ __forceinline__ const float* chan_ptr(const float* x, int b, int ch, int c, i64 inner) {
  return x + ((i64)b * c + ch) * inner;
}

// Batch mean and biased variance per channel (two passes), and
// invstd = 1/sqrt(var + eps) computed in double from the float variance.
extern "C" __global__ void channel_moments(const float* x, float* mean, float* var, float* invstd, int n,
                                           int c, i64 inner, float eps) {
  __shared__ double sh[RBLOCK];
  int ch = blockIdx.x;
  i64 m = (i64)n * inner;
  double s = 0;
  for (i64 j = threadIdx.x; j < m; j += RBLOCK) s += (double)chan_ptr(x, (int)(j / inner), ch, c, inner)[j % inner];
  double mu = block_sum(s, sh) / (double)m;
  double ss = 0;
  for (i64 j = threadIdx.x; j < m; j += RBLOCK) {
    double d = (double)chan_ptr(x, (int)(j / inner), ch, c, inner)[j % inner] - mu;
    ss += d * d;
  }
  ss = block_sum(ss, sh);
  if (threadIdx.x == 0) {
    float v = (float)(ss / (double)m);
    mean[ch] = (float)mu;
    var[ch] = v;
    invstd[ch] = (float)(1.0 / sqrt((double)v + (double)eps));
  }
}

// Σg and Σg·xh per channel, as doubles (for the BN backward) and floats
// (dbeta, dgamma). xh may be null: then only Σg (a bias gradient).
extern "C" __global__ void channel_dot(const float* g, const float* xh, double* sg, double* sgx, float* dbeta,
                                       float* dgamma, int n, int c, i64 inner) {
  __shared__ double sh[RBLOCK];
  int ch = blockIdx.x;
  i64 m = (i64)n * inner;
  double a = 0, b = 0;
  for (i64 j = threadIdx.x; j < m; j += RBLOCK) {
    i64 off = ((i64)(j / inner) * c + ch) * inner + j % inner;
    a += (double)g[off];
    if (xh) b += (double)g[off] * (double)xh[off];
  }
  a = block_sum(a, sh);
  b = block_sum(b, sh);
  if (threadIdx.x == 0) {
    if (sg) sg[ch] = a;
    if (sgx) sgx[ch] = b;
    if (dbeta) dbeta[ch] = (float)a;
    if (dgamma) dgamma[ch] = (float)b;
  }
}

// Minimum and maximum per channel (comparisons skip NaN); [0, 0] if empty.
extern "C" __global__ void channel_minmax(const float* x, float* lo, float* hi, int n, int c, i64 inner) {
  __shared__ float slo[RBLOCK], shi[RBLOCK];
  int ch = blockIdx.x;
  i64 m = (i64)n * inner;
  float l = __int_as_float(0x7f800000), h = -__int_as_float(0x7f800000);
  for (i64 j = threadIdx.x; j < m; j += RBLOCK) {
    float v = chan_ptr(x, (int)(j / inner), ch, c, inner)[j % inner];
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
    bool empty = slo[0] > shi[0];
    lo[ch] = empty ? 0.0f : slo[0];
    hi[ch] = empty ? 0.0f : shi[0];
  }
}

// Mean |w| per row of a [rows][cols] matrix (BWN's per-channel scale).
extern "C" __global__ void row_absmean(const float* w, float* scale, int rows, i64 cols) {
  __shared__ double sh[RBLOCK];
  int r = blockIdx.x;
  double s = 0;
  for (i64 j = threadIdx.x; j < cols; j += RBLOCK) s += fabs((double)w[(i64)r * cols + j]);
  s = block_sum(s, sh);
  if (threadIdx.x == 0) scale[r] = cols > 0 ? (float)(s / (double)cols) : 0.0f;
}
