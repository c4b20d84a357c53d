// Softmax, cross-entropy and distillation, as the CPU backend computes
// them: the softmax of each row in double, the batch sums in row order.
// (exp and log are CUDA's, correctly rounded to within an ulp of Go's, so
// probabilities agree with the CPU's to rounding.)

// The index of the first maximum of a row.
__device__ __forceinline__ int row_argmax(const float* z, int k) {
  int best = 0;
  for (int j = 1; j < k; j++)
    if (z[j] > z[best]) best = j;
  return best;
}

// p = softmax(z/temp) per row of z [n][k], one thread per row.
extern "C" __global__ void softmax_rows(const float* z, float* p, int n, int k, float temp) {
  GRID_LOOP(r, n) {
    const float* row = z + r * k;
    double t = (double)temp, m = (double)row[row_argmax(row, k)] / t, s = 0;
    for (int j = 0; j < k; j++) s += exp((double)row[j] / t - m);
    for (int j = 0; j < k; j++) p[r * k + j] = (float)(exp((double)row[j] / t - m) / s);
  }
}

// The cross-entropy of softmax rows p (written by softmax_rows) and the
// labels: target one-hot, and with one thread (the sum runs in row order)
// loss[0] = float(Σ −log max(p[label], 1e-30))·weight/n and hits[0] the
// rows whose first maximum of the logits is the label.
extern "C" __global__ void cross_entropy(const float* p, const float* logits, const int* labels, float* target,
                                         float* loss, int* hits, int n, int k, float weight) {
  GRID_LOOP(e, (i64)n * k) { target[e] = (int)(e % k) == labels[e / k] ? 1.0f : 0.0f; }
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    double s = 0;
    int h = 0;
    for (int r = 0; r < n; r++) {
      double q = (double)p[r * k + labels[r]];
      s -= log(q != q || q > 1e-30 ? q : 1e-30);  // NaN stays NaN, as Go's math.Max
      h += row_argmax(logits + r * k, k) == labels[r];
    }
    loss[0] = (float)s * weight / (float)n;
    hits[0] = h;
  }
}

// loss[0] = float(Σ pt·(log pt − log max(ps, 1e-30)) over pt > 0)·weight·T²/n.
extern "C" __global__ void kl_divergence(const float* ps, const float* pt, float* loss, i64 len, int n,
                                         float temp, float weight) {
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    double kl = 0;
    for (i64 i = 0; i < len; i++) {
      float t = pt[i];
      if (t > 0.0f) {
        double q = (double)ps[i];
        kl += (double)t * (log((double)t) - log(q != q || q > 1e-30 ? q : 1e-30));
      }
    }
    float t2 = temp * temp;
    loss[0] = (float)kl * weight * t2 / (float)n;
  }
}

// d += coef*dy[0]*(p − target).
extern "C" __global__ void loss_grad(float* d, const float* p, const float* target, const float* dy, float coef,
                                     i64 n) {
  float c = coef * dy[0];
  GRID_LOOP(i, n) { d[i] = d[i] + c * (p[i] - target[i]); }
}
