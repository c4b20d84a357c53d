// Convolution as GEMMs: for each group, im2col of its input channels into
// col [Cg*KH*KW][N*OH*OW] (row r = (ci, ky, kx), column (n, oy, ox)), then
// Y' = W_g[Kg][Cg*KH*KW] · col with Y' in [Kg][N][OH*OW] layout, which
// out_from_cols moves into the group's channels of NCHW y. Backward:
// dW_g = dY'·colᵀ, dcol = W_gᵀ·dY', col2im adds dcol back into dx.

// One thread per input channel and output pixel (ci, b, oy, ox) writes
// that pixel's column entries for every tap (ky, kx): consecutive threads
// write consecutive addresses. A chunk's column matrix holds at most 2^25
// floats (gpu.colLimit), so its indices are 32-bit.
extern "C" __global__ void im2col(const float* x, float* col, int n, int ctot, int c0, int cg, int h, int w, int kh,
                                  int kw, int sh, int sw, int pt, int pl, int dh, int dw, int oh, int ow) {
  int plane = oh * ow, q = n * plane;
  GRID_LOOP(j, (i64)cg * q) {
    int jj = (int)j, ci = jj / q, cq = jj - ci * q;
    int b = cq / plane, pix = cq - b * plane, oy = pix / ow, ox = pix - oy * ow;
    const float* xp = x + ((i64)b * ctot + c0 + ci) * h * w;
    float* cp = col + (i64)ci * kh * kw * q + cq;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - pt + ky * dh;
      for (int kx = 0; kx < kw; kx++, cp += q) {
        int ix = ox * sw - pl + kx * dw;
        *cp = iy >= 0 && iy < h && ix >= 0 && ix < w ? xp[iy * w + ix] : 0.0f;
      }
    }
  }
}

// dx[b][c0+ci][iy][ix] = Σ col entries that read it, in (ky, kx) order.
extern "C" __global__ void col2im(const float* col, float* dx, int n, int ctot, int c0, int cg, int h, int w, int kh,
                                  int kw, int sh, int sw, int pt, int pl, int dh, int dw, int oh, int ow) {
  i64 q = (i64)n * oh * ow;
  GRID_LOOP(j, (i64)n * cg * h * w) {
    int ix = (int)(j % w), iy = (int)((j / w) % h), ci = (int)((j / ((i64)w * h)) % cg);
    int b = (int)(j / ((i64)w * h * cg));
    float s = 0.0f;
    for (int ky = 0; ky < kh; ky++) {
      int ty = iy + pt - ky * dh;
      if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
      for (int kx = 0; kx < kw; kx++) {
        int tx = ix + pl - kx * dw;
        if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
        i64 r = ((i64)ci * kh + ky) * kw + kx;
        s = s + col[r * q + (i64)b * oh * ow + (ty / sh) * ow + tx / sw];
      }
    }
    dx[(((i64)b * ctot + c0 + ci) * h + iy) * w + ix] = s;
  }
}

// y[b][k0+kk][i] = yk[kk][b][i] for a group's Kg output channels of K.
extern "C" __global__ void out_from_cols(const float* yk, float* y, int n, int k, int kg, int k0, i64 plane) {
  GRID_LOOP(e, (i64)kg * n * plane) {
    i64 i = e % plane, rest = e / plane;
    int b = (int)(rest % n), kk = (int)(rest / n);
    y[((i64)b * k + k0 + kk) * plane + i] = yk[e];
  }
}

// yk[kk][b][i] = y[b][k0+kk][i]: out_from_cols' inverse (for dy).
extern "C" __global__ void cols_from_out(const float* y, float* yk, int n, int k, int kg, int k0, i64 plane) {
  GRID_LOOP(e, (i64)kg * n * plane) {
    i64 i = e % plane, rest = e / plane;
    int b = (int)(rest % n), kk = (int)(rest / n);
    yk[e] = y[((i64)b * k + k0 + kk) * plane + i];
  }
}
