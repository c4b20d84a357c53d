// Global average pooling and max pooling over NCHW planes.

// y[p] = Σ x[p][i] / hw, summed in float in index order (as the CPU).
extern "C" __global__ void gap_fwd(const float* x, float* y, i64 planes, int hw) {
  GRID_LOOP(p, planes) {
    float s = 0.0f;
    for (int i = 0; i < hw; i++) s = s + x[p * hw + i];
    y[p] = s / (float)hw;
  }
}

extern "C" __global__ void gap_bwd(const float* dy, float* dx, i64 planes, int hw) {
  GRID_LOOP(j, planes * hw) { dx[j] = dy[j / hw] / (float)hw; }
}

// Max over each window (padding never wins; the first maximum in window
// order is kept); arg is the window offset ky*kw+kx of the maximum.
extern "C" __global__ void maxpool_fwd(const float* x, float* y, u8* arg, i64 planes, int h, int w, int oh,
                                       int ow, int kh, int kw, int sh, int sw, int pt, int pl) {
  GRID_LOOP(j, planes * oh * ow) {
    i64 p = j / ((i64)oh * ow);
    int q = (int)(j % ((i64)oh * ow)), oy = q / ow, ox = q % ow;
    const float* xp = x + p * h * w;
    float best = -__int_as_float(0x7f800000);
    int bi = 0;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - pt + ky;
      if (iy < 0 || iy >= h) continue;
      for (int kx = 0; kx < kw; kx++) {
        int ix = ox * sw - pl + kx;
        if (ix < 0 || ix >= w) continue;
        if (xp[iy * w + ix] > best) {
          best = xp[iy * w + ix];
          bi = ky * kw + kx;
        }
      }
    }
    y[j] = best;
    arg[j] = (u8)bi;
  }
}

// dx gathers dy from every output whose argmax is this input, in output
// order (the CPU's scatter order), so the sums are bit-identical.
extern "C" __global__ void maxpool_bwd(const float* dy, const u8* arg, float* dx, i64 planes, int h, int w,
                                       int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl) {
  GRID_LOOP(j, planes * h * w) {
    i64 p = j / ((i64)h * w);
    int r = (int)(j % ((i64)h * w)), iy = r / w, ix = r % w;
    float s = 0.0f;
    int oy0 = iy + pt - kh + 1 > 0 ? (iy + pt - kh + 1 + sh - 1) / sh : 0;
    int ox0 = ix + pl - kw + 1 > 0 ? (ix + pl - kw + 1 + sw - 1) / sw : 0;
    for (int oy = oy0; oy < oh && oy * sh - pt <= iy; oy++) {
      for (int ox = ox0; ox < ow && ox * sw - pl <= ix; ox++) {
        i64 o = p * oh * ow + oy * ow + ox;
        if ((int)arg[o] == (iy - (oy * sh - pt)) * kw + (ix - (ox * sw - pl))) s = s + dy[o];
      }
    }
    dx[j] = s;
  }
}
