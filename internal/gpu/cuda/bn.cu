// Batch normalization in training mode (batch statistics, biased
// variance), as finetune/autograd's CPU backend computes it.
//
// Statistics: the sums of internal/kernels' ShiftedMoments, 16 float64
// lanes (element j of a row in lane j % 16, a fused multiply-add for the
// squares) folded in a fixed tree. After a convolution the CPU takes them
// per output plane around the plane's first element and combines the
// planes (kernels.CombineMoments); otherwise per channel around its first
// element. Both are done here the same way, so the statistics are the
// CPU's bits.

#define LANES 16

// lane_sums adds lane l of a row of inner values to Σ(x−shift) and
// Σ(x−shift)² (kernels.ShiftedMoments' per-lane step).
__device__ __forceinline__ void lane_sums(const float* row, i64 l, i64 inner, double shift, double* s, double* ss) {
  for (i64 j = l; j < inner; j += LANES) {
    double d = (double)row[j] - shift;
    *s += d;
    *ss = fma(d, d, *ss);
  }
}

// plane_lanes: thread t = plane*16 + lane sums, over plane p (inner values
// at p*inner), Σ(x−shift) and Σ(x−shift)² of its lane, shift = x[p*inner].
extern "C" __global__ void plane_lanes(const float* x, double* lanes, i64 planes, i64 inner) {
  GRID_LOOP(t, planes * LANES) {
    const float* row = x + t / LANES * inner;
    double s = 0, ss = 0;
    lane_sums(row, t % LANES, inner, inner > 0 ? (double)row[0] : 0.0, &s, &ss);
    lanes[2 * t] = s;
    lanes[2 * t + 1] = ss;
  }
}

// chan_lanes: the same per channel (rows n, stride c*inner), shift the
// channel's first element.
extern "C" __global__ void chan_lanes(const float* x, double* lanes, int n, int c, i64 inner) {
  GRID_LOOP(t, (i64)c * LANES) {
    int ch = (int)(t / LANES);
    i64 l = t % LANES;
    double shift = inner > 0 && n > 0 ? (double)x[(i64)ch * inner] : 0.0, s = 0, ss = 0;
    for (int b = 0; b < n; b++) lane_sums(x + ((i64)b * c + ch) * inner, l, inner, shift, &s, &ss);
    lanes[2 * t] = s;
    lanes[2 * t + 1] = ss;
  }
}

// fold_lanes adds each group's 16 lanes of two quantities pairwise, lane l
// with lane l + w for w = 8, 4, 2, 1 (kernels' foldLanes).
extern "C" __global__ void fold_lanes(const double* lanes, double* out, i64 groups) {
  GRID_LOOP(gi, groups) {
    for (int q = 0; q < 2; q++) {
      double a[LANES];
      for (int l = 0; l < LANES; l++) a[l] = lanes[2 * (gi * LANES + l) + q];
      for (int w = LANES / 2; w > 0; w /= 2)
        for (int l = 0; l < w; l++) a[l] = a[l] + a[l + w];
      out[2 * gi + q] = a[0];
    }
  }
}

// Go's max(v, 0) for a float64.
__device__ __forceinline__ double go_max0(double v) { return v != v ? v : (v <= 0.0 ? 0.0 : v); }

__device__ __forceinline__ void put_stats(float* mean, float* var, float* invstd, int ch, double m, double v,
                                          float eps) {
  mean[ch] = (float)m;
  float vf = (float)v;
  var[ch] = vf;
  invstd[ch] = (float)(1.0 / sqrt((double)vf + (double)eps));
}

// combine_planes: kernels.CombineMoments of channel ch's n planes (folded
// plane sums, shift x[p*inner]), then mean, variance and 1/sqrt(var+eps).
extern "C" __global__ void combine_planes(const double* sums, const float* x, float* mean, float* var,
                                          float* invstd, int n, int c, i64 inner, float eps) {
  GRID_LOOP(ch, c) {
    double total = 0, sum = 0;
    for (int b = 0; b < n; b++) {
      i64 p = (i64)b * c + ch;
      double shift = inner > 0 ? (double)x[p * inner] : 0.0, N = inner > 0 ? (double)inner : 0.0;
      total += N;
      sum += shift * N + sums[2 * p];
    }
    double m = 0, v = 0;
    if (total != 0) {
      m = sum / total;
      double sq = 0;
      for (int b = 0; b < n; b++) {
        i64 p = (i64)b * c + ch;
        double shift = inner > 0 ? (double)x[p * inner] : 0.0, N = inner > 0 ? (double)inner : 0.0;
        double d = shift - m;
        sq += sums[2 * p + 1] + 2 * d * sums[2 * p] + N * d * d;
      }
      v = go_max0(sq / total);
    }
    put_stats(mean, var, invstd, (int)ch, m, v, eps);
  }
}

// chan_stats: channelMoments from the folded channel sums.
extern "C" __global__ void chan_stats(const double* sums, const float* x, float* mean, float* var, float* invstd,
                                      int n, int c, i64 inner, float eps) {
  GRID_LOOP(ch, c) {
    double m = 0, v = 0;
    if ((i64)n * inner > 0) {
      double shift = (double)x[ch * inner], M = (double)((i64)n * inner);
      double s = sums[2 * ch], ss = sums[2 * ch + 1];
      m = shift + s / M;
      v = go_max0(ss / M - (s / M) * (s / M));
    }
    put_stats(mean, var, invstd, (int)ch, m, v, eps);
  }
}

// y = a*x + b with a = gamma*invstd, b = beta - a*mean, then with relu
// max(y, 0) as y < 0 ? 0 : y (kernels.ScaleAddRows).
extern "C" __global__ void bn_apply(const float* x, float* y, const float* mean, const float* invstd,
                                    const float* gamma, const float* beta, int n, int c, i64 inner, int relu) {
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float a = gamma[ch] * invstd[ch];
    float b = beta[ch] - a * mean[ch];
    float v = a * x[j] + b;
    if (relu && v < 0.0f) v = 0.0f;
    y[j] = v;
  }
}

// xh = invstd*x + (-invstd*mean): the normalized input a compressing tape
// encodes.
extern "C" __global__ void bn_normalize(const float* x, float* xh, const float* mean, const float* invstd,
                                        int n, int c, i64 inner) {
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float b = -invstd[ch] * mean[ch];
    xh[j] = invstd[ch] * x[j] + b;
  }
}

// Inference-mode BN with running statistics.
extern "C" __global__ void bn_eval(const float* x, float* y, const float* gamma, const float* beta,
                                   const float* mean, const float* var, int n, int c, i64 inner, float eps) {
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float a = gamma[ch] / (float)sqrt((double)var[ch] + (double)eps);
    float b = beta[ch] - a * mean[ch];
    y[j] = a * x[j] + b;
  }
}

// run = run*momentum + batch*(1 - momentum).
extern "C" __global__ void running_update(float* run, const float* batch, float m, i64 n) {
  GRID_LOOP(i, n) { run[i] = run[i] * m + batch[i] * (1.0f - m); }
}

// ---- The fused BN+ReLU code (autograd's bnReluCode): per channel the x̂
// range [Lo, Hi] and the ReLU threshold T; per element bit 0 the exact
// mask, the other bits x̂ rounded stochastically within its half.

// The half of channel ch that an element lies in: start and width.
__device__ __forceinline__ void relu_half(float lo, float hi, float t, float g, int on, float* start, float* width) {
  if (on == (g >= 0.0f)) {
    *start = t;
    *width = hi - t;
  } else {
    *start = lo;
    *width = t - lo;
  }
}

// bnrelu_prep: from the raw input's range, the statistics, γ and β, each
// channel's Lo, Hi, T and the coefficients of the level within each half,
// coef[4ch..4ch+3] = mul[0], mul[1], add[0], add[1].
extern "C" __global__ void bnrelu_prep(const float* rlo, const float* rhi, const float* mean, const float* invstd,
                                       const float* gamma, const float* beta, float* Lo, float* Hi, float* T,
                                       float* coef, int c, int bits) {
  GRID_LOOP(ch, c) {
    float mu = mean[ch], inv = invstd[ch];
    float lo = (rlo[ch] - mu) * inv, hi = (rhi[ch] - mu) * inv;
    float g = gamma[ch], b = beta[ch], t = lo;
    if (g != 0.0f)
      t = go_min(go_max(-b / g, lo), hi);
    else if (b <= 0.0f)
      t = hi;
    Lo[ch] = lo;
    Hi[ch] = hi;
    T[ch] = t;
    float levels = (float)((1 << (bits - 1)) - 1);
    for (int on = 0; on < 2; on++) {
      float p, s, mul = 0.0f, add = 0.0f;
      relu_half(lo, hi, t, g, on, &p, &s);
      if (s > 0.0f) {
        mul = inv * levels / s;
        add = -(mu * inv + p) * levels / s;
      }
      coef[4 * ch + on] = mul;
      coef[4 * ch + 2 + on] = add;
    }
  }
}

// bnrelu_encode: one thread per word of codes, channel ch's words at
// [ch*wpc, (ch+1)*wpc), code j of a channel for element (j/inner, j%inner):
// on | level(x*mul[on] + add[on] + U, levels) << 1, on = y > 0.
extern "C" __global__ void bnrelu_encode(const float* x, const float* y, const float* coef, u64* words, int bits,
                                         int n, int c, i64 inner, u64 key, u64 stream) {
  i64 per = (i64)n * inner, wpc = (per * bits + 63) / 64;
  int levels = (1 << (bits - 1)) - 1, cpw = 64 / bits;
  GRID_LOOP(wi, (i64)c * wpc) {
    int ch = (int)(wi / wpc);
    i64 j0 = (wi % wpc) * cpw;
    u64 start = stream_start(key, stream, (u64)ch), m = 0;
    for (i64 j = j0; j < j0 + cpw && j < per; j++) {
      i64 idx = chan_index(j, ch, c, inner);
      int on = y[idx] > 0.0f;
      float f = x[idx] * coef[4 * ch + on];
      f = f + coef[4 * ch + 2 + on];
      f = f + uniform_at(start, j);
      m |= ((u64)on | level(f, levels) << 1) << ((j - j0) * bits);
    }
    words[wi] = m;
  }
}

// The value of code `code` of channel ch: x̂ within its half.
__device__ __forceinline__ float bnrelu_xhat(u64 code, float lo, float hi, float t, float g, int bits) {
  float levels = (float)((1 << (bits - 1)) - 1), p, s;
  int on = (int)(code & 1);
  relu_half(lo, hi, t, g, on, &p, &s);
  float step = s / levels;
  return p + (float)(code >> 1) * step;
}

__device__ __forceinline__ u64 code_at(const u64* words, i64 wpc, int ch, i64 j, int bits) {
  i64 pos = j * bits;
  return (words[ch * wpc + (pos >> 6)] >> (pos & 63)) & ((1ULL << bits) - 1);
}

// bnrelu_decode: x̂ for BN's backward, and g = 0 where the mask is clear.
extern "C" __global__ void bnrelu_decode(const u64* words, const float* Lo, const float* Hi, const float* T,
                                         const float* gamma, float* xh, float* g, int bits, int n, int c, i64 inner) {
  i64 per = (i64)n * inner, wpc = (per * bits + 63) / 64;
  GRID_LOOP(e, (i64)n * c * inner) {
    i64 i = e % inner, bc = e / inner;
    int ch = (int)(bc % c);
    u64 code = code_at(words, wpc, ch, (bc / c) * inner + i, bits);
    xh[e] = bnrelu_xhat(code, Lo[ch], Hi[ch], T[ch], gamma[ch], bits);
    if (!(code & 1)) g[e] = 0.0f;
  }
}

// relu_input_decode: the ReLU's output relu(γ·x̂ + β) (0 where the mask is
// clear), what a binary layer reading it saved.
extern "C" __global__ void relu_input_decode(const u64* words, const float* Lo, const float* Hi, const float* T,
                                             const float* gamma, const float* beta, float* dst, int bits, int n,
                                             int c, i64 inner) {
  i64 per = (i64)n * inner, wpc = (per * bits + 63) / 64;
  GRID_LOOP(e, (i64)n * c * inner) {
    i64 i = e % inner, bc = e / inner;
    int ch = (int)(bc % c);
    u64 code = code_at(words, wpc, ch, (bc / c) * inner + i, bits);
    float v = 0.0f;
    if (code & 1) {
      float xh = bnrelu_xhat(code, Lo[ch], Hi[ch], T[ch], gamma[ch], bits);
      float a = gamma[ch] * xh;
      v = go_max(a + beta[ch], 0.0f);
    }
    dst[e] = v;
  }
}

// ---- Backward: per-plane lane sums of g and g·(x − shift) (shift the
// channel's mean for a raw input, 0 for x̂), folded, then added plane by
// plane in batch order per channel. (The CPU's lanes run across a channel's
// rows, so these sums agree with its to rounding, not bit for bit.)
extern "C" __global__ void grad_lanes(const float* g, const float* x, const float* mean, double* lanes, int n,
                                      int c, i64 inner) {
  GRID_LOOP(t, (i64)n * c * LANES) {
    i64 p = t / LANES, l = t % LANES;
    int ch = (int)(p % c);
    double shift = mean ? (double)mean[ch] : 0.0, s = 0, sx = 0;
    for (i64 j = l; j < inner; j += LANES) {
      double v = (double)g[p * inner + j];
      s += v;
      sx = fma(v, (double)x[p * inner + j] - shift, sx);
    }
    lanes[2 * t] = s;
    lanes[2 * t + 1] = sx;
  }
}

// bn_grad_coef: the channel's sums from its folded plane sums, dβ and dγ,
// and the coefficients of dx = k·g + b·x + c (kbc[3ch..3ch+2]).
extern "C" __global__ void bn_grad_coef(const double* sums, const float* gamma, const float* mean,
                                        const float* invstd, int raw, float* dgamma, float* dbeta, float* kbc, int n,
                                        int c, i64 inner) {
  GRID_LOOP(ch, c) {
    double sg = 0, sgx = 0;
    for (int b = 0; b < n; b++) {
      sg += sums[2 * ((i64)b * c + ch)];
      sgx += sums[2 * ((i64)b * c + ch) + 1];
    }
    double mu = 0, inv = 1;
    if (raw) {
      mu = (double)mean[ch];
      inv = (double)invstd[ch];
    }
    sgx *= inv;
    dbeta[ch] = (float)sg;
    dgamma[ch] = (float)sgx;
    double m = (double)((i64)n * inner);
    double k = (double)gamma[ch] * (double)invstd[ch];
    double b = -k * sgx / m * inv;
    double cc = -k * sg / m - b * mu;
    kbc[3 * ch] = (float)k;
    kbc[3 * ch + 1] = (float)b;
    kbc[3 * ch + 2] = (float)cc;
  }
}

// dx = k*g + b*x + c per channel, products rounded, sums left to right.
extern "C" __global__ void bn_grad_dx(float* dx, const float* g, const float* x, const float* kbc, int n, int c,
                                      i64 inner) {
  GRID_LOOP(j, (i64)n * c * inner) {
    int ch = (int)((j / inner) % c);
    float p = kbc[3 * ch] * g[j];
    float q = kbc[3 * ch + 1] * x[j];
    dx[j] = (p + q) + kbc[3 * ch + 2];
  }
}
