// Batch normalization in training mode (batch statistics, biased
// variance). channel_moments (reduce.cu) gives mean and invstd.

// y = a*x + b with a = gamma*invstd, b = beta - a*mean.
extern "C" __global__ void bn_apply(const float* x, float* y, const float* mean, const float* invstd,
                                    const float* gamma, const float* beta, int n, int c, i64 inner) {
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float a = gamma[ch] * invstd[ch];
    float b = beta[ch] - a * mean[ch];
    y[j] = a * x[j] + b;
  }
}

// xh = invstd*x + (-invstd*mean): the normalized input saved for backward.
extern "C" __global__ void bn_normalize(const float* x, float* xh, const float* mean, const float* invstd,
                                        int n, int c, i64 inner) {
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float b = -invstd[ch] * mean[ch];
    xh[j] = invstd[ch] * x[j] + b;
  }
}

// dx = gamma*invstd*(g - Σg/M - xh*Σ(g*xh)/M), M = n*inner; the sums come
// from channel_dot.
extern "C" __global__ void bn_bwd_dx(const float* g, const float* xh, float* dx, const float* gamma,
                                     const float* invstd, const double* sg, const double* sgx, int n, int c,
                                     i64 inner) {
  double m = (double)n * (double)inner;
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float k = gamma[ch] * invstd[ch];
    float mg = (float)(sg[ch] / m), mgx = (float)(sgx[ch] / m);
    dx[j] = k * (g[j] - mg - xh[j] * mgx);
  }
}
