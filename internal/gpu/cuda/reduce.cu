// Per-channel reductions over [n][c][inner] tensors. The ranges run in two
// stages so that a few channels still fill the GPU: a channel's m =
// n*inner values are cut into S contiguous slices; block b (RBLOCK threads)
// reduces slice b % S of channel b / S in shared memory into a partial, and
// a final kernel (one thread per channel) combines the S partials in order.

// The slice [*lo, *hi) of m values that block b reduces.
__device__ __forceinline__ void slice_of(i64 m, int S, int b, i64* lo, i64* hi) {
  i64 len = (m + S - 1) / S, s = b % S;
  *lo = s * len;
  *hi = (s + 1) * len < m ? (s + 1) * len : m;
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
    float v = x[chan_index(j, ch, c, inner)];
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

// Σ over n and inner per channel of x [n][c][inner], in double in index
// order (one thread per channel, as the CPU sums it): a conv's bias gradient.
extern "C" __global__ void channel_sums(const float* x, float* out, int n, int c, i64 inner) {
  GRID_LOOP(ch, c) {
    double s = 0;
    for (int b = 0; b < n; b++)
      for (i64 i = 0; i < inner; i++) s += (double)x[((i64)b * c + ch) * inner + i];
    out[ch] = (float)s;
  }
}
