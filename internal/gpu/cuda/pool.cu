// Max and average pooling over NCHW planes, as the CPU backend computes
// them. Backward passes gather: each input element adds the contributions
// of the outputs whose window holds it, in output order, onto its current
// gradient, which is the order in which the CPU's scatter adds them.

struct pgeom {
  i64 planes;
  int h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, count_pad;
};

// The taps of output (oy, ox) inside the input, as autograd's geom.window.
__device__ __forceinline__ bool tap(const pgeom* g, int oy, int ox, int ky, int kx, int* iy, int* ix) {
  *iy = oy * g->sh - g->pt + ky;
  *ix = ox * g->sw - g->pl + kx;
  return *iy >= 0 && *iy < g->h && *ix >= 0 && *ix < g->w;
}

// Max over each window (padding never wins; the first maximum in window
// order is kept); arg is the window offset ky*kw+kx of the maximum, one
// byte each (wide = 0) or four.
extern "C" __global__ void maxpool_fwd(const float* x, float* y, void* arg, pgeom g, int wide) {
  GRID_LOOP(j, g.planes * g.oh * g.ow) {
    i64 p = j / ((i64)g.oh * g.ow);
    int q = (int)(j % ((i64)g.oh * g.ow)), oy = q / g.ow, ox = q % g.ow;
    const float* xp = x + p * g.h * g.w;
    float best = -__int_as_float(0x7f800000);
    int bi = 0, iy, ix;
    for (int ky = 0; ky < g.kh; ky++)
      for (int kx = 0; kx < g.kw; kx++)
        if (tap(&g, oy, ox, ky, kx, &iy, &ix) && xp[iy * g.w + ix] > best) {
          best = xp[iy * g.w + ix];
          bi = ky * g.kw + kx;
        }
    y[j] = best;
    if (wide)
      ((int*)arg)[j] = bi;
    else
      ((u8*)arg)[j] = (u8)bi;
  }
}

// The outputs whose window can hold input (iy, ix): rows [*oy0, *oy1) and
// columns [*ox0, *ox1).
__device__ __forceinline__ void reach(const pgeom* g, int iy, int ix, int* oy0, int* oy1, int* ox0, int* ox1) {
  int a = iy + g->pt - g->kh + 1, b = ix + g->pl - g->kw + 1;
  *oy0 = a > 0 ? (a + g->sh - 1) / g->sh : 0;
  *ox0 = b > 0 ? (b + g->sw - 1) / g->sw : 0;
  int ylast = (iy + g->pt) / g->sh, xlast = (ix + g->pl) / g->sw;
  *oy1 = ylast + 1 < g->oh ? ylast + 1 : g->oh;
  *ox1 = xlast + 1 < g->ow ? xlast + 1 : g->ow;
}

// dx += dy at each window's maximum.
extern "C" __global__ void maxpool_bwd(const float* dy, const void* arg, float* dx, pgeom g, int wide) {
  GRID_LOOP(j, g.planes * g.h * g.w) {
    i64 p = j / ((i64)g.h * g.w);
    int r = (int)(j % ((i64)g.h * g.w)), iy = r / g.w, ix = r % g.w;
    int oy0, oy1, ox0, ox1;
    reach(&g, iy, ix, &oy0, &oy1, &ox0, &ox1);
    float s = dx[j];
    for (int oy = oy0; oy < oy1; oy++)
      for (int ox = ox0; ox < ox1; ox++) {
        i64 o = p * g.oh * g.ow + oy * g.ow + ox;
        int a = wide ? ((const int*)arg)[o] : (int)((const u8*)arg)[o];
        if (a == (iy - (oy * g.sh - g.pt)) * g.kw + (ix - (ox * g.sw - g.pl))) s = s + dy[o];
      }
    dx[j] = s;
  }
}

// The divisor of output (oy, ox): the taps inside the input, or inside the
// padded input with count_pad (autograd's geom.divisor).
__device__ __forceinline__ float divisor(const pgeom* g, int oy, int ox) {
  if (!g->count_pad) {
    int n = 0, iy, ix;
    for (int ky = 0; ky < g->kh; ky++)
      for (int kx = 0; kx < g->kw; kx++) n += tap(g, oy, ox, ky, kx, &iy, &ix);
    return (float)(n > 1 ? n : 1);
  }
  int ylo = oy * g->sh - g->pt, xlo = ox * g->sw - g->pl;
  int yhi = ylo + g->kh < g->h + g->pb ? ylo + g->kh : g->h + g->pb;
  int xhi = xlo + g->kw < g->w + g->pr ? xlo + g->kw : g->w + g->pr;
  return (float)((yhi - ylo) * (xhi - xlo));
}

// The mean of each window, summed in window order.
extern "C" __global__ void avgpool_fwd(const float* x, float* y, pgeom g) {
  GRID_LOOP(j, g.planes * g.oh * g.ow) {
    i64 p = j / ((i64)g.oh * g.ow);
    int q = (int)(j % ((i64)g.oh * g.ow)), oy = q / g.ow, ox = q % g.ow, iy, ix;
    const float* xp = x + p * g.h * g.w;
    float s = 0.0f;
    for (int ky = 0; ky < g.kh; ky++)
      for (int kx = 0; kx < g.kw; kx++)
        if (tap(&g, oy, ox, ky, kx, &iy, &ix)) s = s + xp[iy * g.w + ix];
    y[j] = s / divisor(&g, oy, ox);
  }
}

// dx += dy/divisor over the windows that hold each input.
extern "C" __global__ void avgpool_bwd(const float* dy, float* dx, pgeom g) {
  GRID_LOOP(j, g.planes * g.h * g.w) {
    i64 p = j / ((i64)g.h * g.w);
    int r = (int)(j % ((i64)g.h * g.w)), iy = r / g.w, ix = r % g.w;
    int oy0, oy1, ox0, ox1;
    reach(&g, iy, ix, &oy0, &oy1, &ox0, &ox1);
    float s = dx[j];
    for (int oy = oy0; oy < oy1; oy++)
      for (int ox = ox0; ox < ox1; ox++) s = s + dy[p * g.oh * g.ow + oy * g.ow + ox] / divisor(&g, oy, ox);
    dx[j] = s;
  }
}
