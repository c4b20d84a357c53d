// Element-wise kernels: each computes what finetune/autograd's CPU backend
// computes, with the same float operations in the same order, so the
// results are the same bits.

extern "C" __global__ void fill(float* y, float v, i64 n) {
  GRID_LOOP(i, n) { y[i] = v; }
}

// y = x, or 0 where x < 0 (NaN and -0 pass), as kernels.Relu.
extern "C" __global__ void relu_fwd(const float* x, float* y, i64 n) {
  GRID_LOOP(i, n) {
    float v = x[i];
    y[i] = v < 0.0f ? 0.0f : v;
  }
}

// ReLU and its mask (y > 0) in one pass, 64 elements per thread.
extern "C" __global__ void relu_mask(const float* x, float* y, u64* mask, i64 n) {
  GRID_LOOP(w, (n + 63) / 64) {
    u64 m = 0;
    i64 end = (w + 1) * 64 < n ? (w + 1) * 64 : n;
    for (i64 i = w * 64; i < end; i++) {
      float v = x[i];
      v = v < 0.0f ? 0.0f : v;
      y[i] = v;
      if (v > 0.0f && v < 3.4028234663852886e38f) m |= 1ULL << (i - w * 64);
    }
    mask[w] = m;
  }
}

// mask bit i = lo < ref[i] < hi (false for NaN), kernels.MaskInRange.
extern "C" __global__ void mask_in_range(const float* ref, u64* mask, float lo, float hi, i64 n) {
  GRID_LOOP(w, (n + 63) / 64) {
    u64 m = 0;
    i64 end = (w + 1) * 64 < n ? (w + 1) * 64 : n;
    for (i64 i = w * 64; i < end; i++)
      if (ref[i] > lo && ref[i] < hi) m |= 1ULL << (i - w * 64);
    mask[w] = m;
  }
}

// dy = 0 where the mask's bit is clear (in place).
extern "C" __global__ void zero_unmasked(const u64* mask, float* dy, i64 n) {
  GRID_LOOP(i, n) {
    if (!((mask[i >> 6] >> (i & 63)) & 1ULL)) dy[i] = 0.0f;
  }
}

// dy = 0 where ref is not strictly between lo and hi (kernels.ZeroOutside).
extern "C" __global__ void zero_outside(float* dy, const float* ref, float lo, float hi, i64 n) {
  GRID_LOOP(i, n) {
    float r = ref[i];
    if (!(r > lo && r < hi)) dy[i] = 0.0f;
  }
}

// y = min(max(x, lo), hi) with Go's min and max.
extern "C" __global__ void clip(const float* x, float* y, float lo, float hi, i64 n) {
  GRID_LOOP(i, n) { y[i] = go_min(go_max(x[i], lo), hi); }
}

extern "C" __global__ void accumulate(float* acc, const float* g, i64 n) {
  GRID_LOOP(i, n) { acc[i] = acc[i] + g[i]; }
}

// y = a*x + b*z + c, each product rounded, the sums left to right
// (kernels.Combine); y may be x or z.
extern "C" __global__ void combine(float* y, const float* x, const float* z, float a, float b, float c, i64 n) {
  GRID_LOOP(i, n) {
    float p = a * x[i];
    float q = b * z[i];
    y[i] = (p + q) + c;
  }
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

// Broadcasting over up to 6 dimensions: out has shape s[0..5] (leading
// dimensions 1), operand k's stride along dimension d is sa[d] / sb[d] (0
// where broadcast). The shape and strides travel as kernel arguments.
struct bshape {
  i64 s[6], sa[6], sb[6];
};

__device__ __forceinline__ void bcast_index(const bshape* g, i64 o, i64* ia, i64* ib) {
  i64 a = 0, b = 0;
  for (int d = 5; d >= 0; d--) {
    i64 k = o % g->s[d];
    o /= g->s[d];
    a += k * g->sa[d];
    b += k * g->sb[d];
  }
  *ia = a;
  *ib = b;
}

// y = a + b (mul = 0) or a * b (mul = 1) under broadcasting.
extern "C" __global__ void broadcast_fwd(float* y, const float* a, const float* b, bshape g, int mul, i64 n) {
  GRID_LOOP(o, n) {
    i64 ia, ib;
    bcast_index(&g, o, &ia, &ib);
    y[o] = mul ? a[ia] * b[ib] : a[ia] + b[ib];
  }
}

// d[j] = Σ dy[o] (·other operand for a product) over the outputs o that
// read element j of operand `which` (0: a, 1: b), in output order, as the
// CPU's scatter adds them. One thread per element of the operand; n is
// its length.
extern "C" __global__ void broadcast_grad(float* d, const float* dy, const float* a, const float* b, bshape g,
                                          int mul, int which, i64 n) {
  const i64* st = which ? g.sb : g.sa;
  GRID_LOOP(j, n) {
    // The operand's index along each dimension it is not broadcast on, the
    // output's offset from those, and the broadcast dimensions to sweep.
    i64 base = 0, ostride = 1, span = 1;
    i64 bdim[6], bstride[6];
    int nb = 0;
    i64 os[6];
    for (int d = 5; d >= 0; d--) {
      os[d] = ostride;
      ostride *= g.s[d];
    }
    for (int d = 5; d >= 0; d--) {
      if (st[d] != 0 || g.s[d] == 1) {
        i64 k = g.s[d] == 1 ? 0 : (j / st[d]) % g.s[d];
        base += k * os[d];
      }
    }
    for (int d = 0; d < 6; d++) {
      if (st[d] == 0 && g.s[d] > 1) {
        bdim[nb] = g.s[d];
        bstride[nb] = os[d];
        span *= g.s[d];
        nb++;
      }
    }
    float acc = 0.0f;
    for (i64 k = 0; k < span; k++) {  // row-major over the broadcast dimensions
      i64 o = base, r = k;
      for (int e = nb - 1; e >= 0; e--) {
        o += (r % bdim[e]) * bstride[e];
        r /= bdim[e];
      }
      float v = dy[o];
      if (mul) {
        i64 ia, ib;
        bcast_index(&g, o, &ia, &ib);
        v = v * (which ? a[ia] : b[ib]);
      }
      acc = acc + v;
    }
    d[j] = acc;
  }
}

// y[b][ch][i] += bias[ch] for y [n][c][inner].
extern "C" __global__ void bias_add(float* y, const float* bias, int n, int c, i64 inner) {
  GRID_LOOP(j, (i64)n * c * inner) { y[j] = y[j] + bias[(j / inner) % c]; }
}

// y [m][n] += beta*C with C's (i, j) at i*rs + j*cs (Gemm's bias).
extern "C" __global__ void add_bias(float* y, const float* c, int m, int n, i64 rs, i64 cs, float beta) {
  GRID_LOOP(e, (i64)m * n) {
    i64 i = e / n, j = e % n;
    y[e] = y[e] + beta * c[i * rs + j * cs];
  }
}

// dc = Σ beta*dy over the (i, j) that read each element k = i*rs + j*cs
// of C, in (i, j) order as the CPU adds them; one thread per element of C
// (cl of them); rs and cs are 0 or 1, or rs = n with cs = 1.
extern "C" __global__ void bias_grad(float* dc, const float* dy, int m, int n, i64 rs, i64 cs, float beta, i64 cl) {
  GRID_LOOP(k, cl) {
    float acc = 0.0f;
    for (int i = 0; i < m; i++) {
      i64 rem = k - (i64)i * rs;
      if (rem < 0) break;
      if (cs != 0) {
        if (rem % cs == 0 && rem / cs < n) acc = acc + beta * dy[(i64)i * n + rem / cs];
      } else if (rem == 0) {
        for (int j = 0; j < n; j++) acc = acc + beta * dy[(i64)i * n + j];
      }
    }
    dc[k] = acc;
  }
}
