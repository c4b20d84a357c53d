// im2col and col2im for convolution as one GEMM per layer (groups = 1).
// col is [C*KH*KW][N*OH*OW]: row r = (ci, ky, kx), column (n, oy, ox), so
// the forward is Y' = W[K][C*KH*KW] · col with Y' in [K][N][OH*OW] layout
// (permute01 turns it into NCHW), dW = dY'·colᵀ and dcol = Wᵀ·dY'.


extern "C" __global__ void im2col(const float* x, float* col, int n, int c, int h, int w, int kh, int kw, int sh,
                                  int sw, int pt, int pl, int dh, int dw, int oh, int ow) {
  i64 q = (i64)n * oh * ow;
  GRID_LOOP(j, (i64)c * kh * kw * q) {
    i64 r = j / q, cq = j % q;
    int b = (int)(cq / ((i64)oh * ow)), pix = (int)(cq % ((i64)oh * ow));
    int oy = pix / ow, ox = pix % ow;
    int ci = (int)(r / (kh * kw)), kk = (int)(r % (kh * kw)), ky = kk / kw, kx = kk % kw;
    int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
    float v = 0.0f;
    if (iy >= 0 && iy < h && ix >= 0 && ix < w) v = x[(((i64)b * c + ci) * h + iy) * w + ix];
    col[j] = v;
  }
}

// dx[b][ci][iy][ix] = Σ col entries that read it, in (ky, kx) order.
extern "C" __global__ void col2im(const float* col, float* dx, int n, int c, int h, int w, int kh, int kw, int sh,
                                  int sw, int pt, int pl, int dh, int dw, int oh, int ow) {
  i64 q = (i64)n * oh * ow;
  GRID_LOOP(j, (i64)n * c * h * w) {
    int ix = (int)(j % w), iy = (int)((j / w) % h), ci = (int)((j / ((i64)w * h)) % c);
    int b = (int)(j / ((i64)w * h * c));
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
    dx[j] = s;
  }
}
