// Elementwise kernels: ReLU, add, accumulate, SGD, layout permutation.

extern "C" __global__ void relu_fwd(const float* x, float* y, i64 n) {
  GRID_LOOP(i, n) { y[i] = x[i] > 0.0f ? x[i] : 0.0f; }
}

// mask bit i = x[i] > 0, packed 64 to a word, least significant first.
extern "C" __global__ void relu_mask(const float* x, u64* mask, i64 n) {
  GRID_LOOP(w, (n + 63) / 64) {
    u64 m = 0;
    i64 end = (w + 1) * 64 < n ? (w + 1) * 64 : n;
    for (i64 i = w * 64; i < end; i++) {
      if (x[i] > 0.0f) m |= 1ULL << (i - w * 64);
    }
    mask[w] = m;
  }
}

extern "C" __global__ void relu_bwd_mask(const u64* mask, const float* dy, float* dx, i64 n) {
  GRID_LOOP(i, n) { dx[i] = ((mask[i >> 6] >> (i & 63)) & 1ULL) ? dy[i] : 0.0f; }
}

extern "C" __global__ void add(const float* a, const float* b, float* y, i64 n) {
  GRID_LOOP(i, n) { y[i] = a[i] + b[i]; }
}

extern "C" __global__ void accumulate(float* acc, const float* g, i64 n) {
  GRID_LOOP(i, n) { acc[i] = acc[i] + g[i]; }
}

// SGD with momentum as PyTorch defines it (dampening 0):
// d = g + wd*w; b = mu*b + d; d = nesterov ? d + mu*b : b; w = w - lr*d.
extern "C" __global__ void sgd_update(float* w, const float* g, float* buf, i64 n, float lr, float wd,
                                      float mu, int nesterov) {
  GRID_LOOP(i, n) {
    float d = g[i] + wd * w[i];
    float b = mu * buf[i] + d;
    buf[i] = b;
    d = nesterov ? d + mu * b : b;
    w[i] = w[i] - lr * d;
  }
}

// y[b][a][i] = x[a][b][i] for x [A][B][inner]: NCHW <-> CNHW.
extern "C" __global__ void permute01(const float* x, float* y, int A, int B, i64 inner) {
  GRID_LOOP(j, (i64)A * B * inner) {
    i64 i = j % inner;
    i64 ab = j / inner;
    int b = (int)(ab % B), a = (int)(ab / B);
    y[((i64)b * A + a) * inner + i] = x[j];
  }
}

// y[b][ch][i] += bias[ch] for y [n][c][inner].
extern "C" __global__ void bias_add(float* y, const float* bias, int n, int c, i64 inner) {
  GRID_LOOP(j, (i64)n * c * inner) { y[j] = y[j] + bias[(j / inner) % c]; }
}
