package export

import "strings"

// cKernel is one C function a generated source may use; PFX stands for
// the prefix. Each loop is the plain definition of its op for one image in
// NCHW order.
type cKernel struct{ name, code string }

// cKernels are all of them in the order they are written (helpers first);
// only those a model calls are emitted (an unused static function would
// warn).
var cKernels = append(append(append([]cKernel(nil), helperKernels...), nnKernels...), opKernels...)

// nnKernels are the convolution, dense, pooling and basic element-wise
// kernels.
var nnKernels = []cKernel{
	{"window", `typedef struct {
    long c, h, w;        /* input channels, height, width */
    long k, oh, ow;      /* output channels, height, width */
    long kh, kw, sh, sw; /* kernel and stride */
    long ph, pw, dh, dw; /* leading pads and dilation */
    long group;
} PFX_window;
`},
	{"span", `/* The output columns [*lo, *hi) whose input column ox*sw - pw + kx*dw
   lies inside [0, w). */
static void PFX_span(const PFX_window *p, long kx, long *lo, long *hi)
{
    long a = p->pw - kx * p->dw, last = p->w - 1 + a;
    *lo = a <= 0 ? 0 : (a + p->sw - 1) / p->sw;
    *hi = last < 0 ? 0 : last / p->sw + 1;
    if (*hi > p->ow) *hi = p->ow;
}
`},
	{"conv_f32", `/* Convolution, one weight at a time over a whole output row (the loop over
   ox vectorizes); each output sums its terms in (ic, ky, kx) order. */
static void PFX_conv_f32(const PFX_window *p, const float *x, const float *w, const float *bias, float *y)
{
    long cg = p->c / p->group, kg = p->k / p->group, plane = p->oh * p->ow, oc, oy, ox, ic, ky, kx, lo, hi;
    for (oc = 0; oc < p->k; oc++) {
        const float *wk = w + oc * cg * p->kh * p->kw;
        const float *xg = x + (oc / kg) * cg * p->h * p->w;
        float *yo = y + oc * plane;
        for (ox = 0; ox < plane; ox++) yo[ox] = 0.0f;
        for (ic = 0; ic < cg; ic++) {
            for (ky = 0; ky < p->kh; ky++) {
                for (kx = 0; kx < p->kw; kx++) {
                    float s = wk[(ic * p->kh + ky) * p->kw + kx];
                    long off = kx * p->dw - p->pw;
                    PFX_span(p, kx, &lo, &hi);
                    for (oy = 0; oy < p->oh; oy++) {
                        long iy = oy * p->sh - p->ph + ky * p->dh;
                        const float *xr;
                        float *yr = yo + oy * p->ow;
                        if (iy < 0 || iy >= p->h) continue;
                        xr = xg + (ic * p->h + iy) * p->w;
                        for (ox = lo; ox < hi; ox++) yr[ox] += xr[ox * p->sw + off] * s;
                    }
                }
            }
        }
        if (bias)
            for (ox = 0; ox < plane; ox++) yo[ox] += bias[oc];
    }
}
`},
	{"conv_bin", `/* Binary convolution: weight element e of the bit stream is +1 when bit
   e % 8 of bits[e / 8] is set, else -1; y = mult[k] * sum + bias[k]. Loops
   as conv_f32: each output sums its terms in (ic, ky, kx) order. */
static void PFX_conv_bin(const PFX_window *p, const float *x, const unsigned char *bits,
                         const float *mult, const float *bias, float *y)
{
    long cg = p->c / p->group, kg = p->k / p->group, fan = cg * p->kh * p->kw, plane = p->oh * p->ow;
    long oc, oy, ox, ic, ky, kx, lo, hi;
    for (oc = 0; oc < p->k; oc++) {
        const float *xg = x + (oc / kg) * cg * p->h * p->w;
        float *yo = y + oc * plane;
        for (ox = 0; ox < plane; ox++) yo[ox] = 0.0f;
        for (ic = 0; ic < cg; ic++) {
            for (ky = 0; ky < p->kh; ky++) {
                for (kx = 0; kx < p->kw; kx++) {
                    long e = oc * fan + (ic * p->kh + ky) * p->kw + kx;
                    float s = ((bits[e >> 3] >> (e & 7)) & 1u) ? 1.0f : -1.0f;
                    long off = kx * p->dw - p->pw;
                    PFX_span(p, kx, &lo, &hi);
                    for (oy = 0; oy < p->oh; oy++) {
                        long iy = oy * p->sh - p->ph + ky * p->dh;
                        const float *xr;
                        float *yr = yo + oy * p->ow;
                        if (iy < 0 || iy >= p->h) continue;
                        xr = xg + (ic * p->h + iy) * p->w;
                        for (ox = lo; ox < hi; ox++) yr[ox] += xr[ox * p->sw + off] * s;
                    }
                }
            }
        }
        for (ox = 0; ox < plane; ox++) yo[ox] = mult[oc] * yo[ox] + bias[oc];
    }
}
`},
	{"gemm_f32", `/* Y[m, n] = alpha * sum_k A[m, k] * B[k, n] + beta * C[m % cm, n % cn]
   (A and B transposed when ta, tb; C may be NULL). */
static void PFX_gemm_f32(long m, long n, long k, int ta, int tb, float alpha, float beta,
                         const float *a, const float *b, const float *c, long cm, long cn, float *y)
{
    long i, o, j;
    for (i = 0; i < m; i++) {
        for (o = 0; o < n; o++) {
            float acc = 0.0f;
            for (j = 0; j < k; j++) {
                float av = ta ? a[j * m + i] : a[i * k + j];
                float bv = tb ? b[o * k + j] : b[j * n + o];
                acc += av * bv;
            }
            acc *= alpha;
            if (c) acc += beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : o)];
            y[i * n + o] = acc;
        }
    }
}
`},
	{"gemm_bin", `/* Binary dense layer: Y[m, n] = mult[n] * sum_k A[m, k] * sign(W[n, k]) + bias[n],
   W[n, k] is bit e % 8 of bits[e / 8] with e = n * k_total + k. */
static void PFX_gemm_bin(long m, long n, long k, int ta, const float *a, const unsigned char *bits,
                         const float *mult, const float *bias, float *y)
{
    long i, o, j;
    for (i = 0; i < m; i++) {
        for (o = 0; o < n; o++) {
            float acc = 0.0f;
            for (j = 0; j < k; j++) {
                long e = o * k + j;
                float v = ta ? a[j * m + i] : a[i * k + j];
                acc += ((bits[e >> 3] >> (e & 7)) & 1u) ? v : -v;
            }
            y[i * n + o] = mult[o] * acc + bias[o];
        }
    }
}
`},
	{"maxpool", `/* The window maximum; a NaN in the window gives NaN (the first one wins),
   as our executor and onnxruntime give it: a plain v > best would skip it. */
static void PFX_maxpool(const PFX_window *p, const float *x, float *y)
{
    long c, oy, ox, ky, kx;
    for (c = 0; c < p->c; c++) {
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                float best = -INFINITY;
                for (ky = 0; ky < p->kh; ky++) {
                    long iy = oy * p->sh - p->ph + ky * p->dh;
                    if (iy < 0 || iy >= p->h) continue;
                    for (kx = 0; kx < p->kw; kx++) {
                        long ix = ox * p->sw - p->pw + kx * p->dw;
                        float v;
                        if (ix < 0 || ix >= p->w) continue;
                        v = x[(c * p->h + iy) * p->w + ix];
                        if (v > best || (v != v && best == best)) best = v;
                    }
                }
                y[(c * p->oh + oy) * p->ow + ox] = best;
            }
        }
    }
}
`},
	{"avgpool", `/* Average pool; with include_pad the divisor counts the kernel positions
   inside the padded input (pads eh, ew at the end), else only real ones. */
static void PFX_avgpool(const PFX_window *p, int include_pad, long eh, long ew, const float *x, float *y)
{
    long c, oy, ox, ky, kx;
    for (c = 0; c < p->c; c++) {
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                float acc = 0.0f;
                long count = 0;
                for (ky = 0; ky < p->kh; ky++) {
                    long iy = oy * p->sh - p->ph + ky * p->dh;
                    if (iy < -p->ph || iy >= p->h + eh) continue;
                    for (kx = 0; kx < p->kw; kx++) {
                        long ix = ox * p->sw - p->pw + kx * p->dw;
                        int inside = iy >= 0 && iy < p->h && ix >= 0 && ix < p->w;
                        if (ix < -p->pw || ix >= p->w + ew) continue;
                        if (inside) acc += x[(c * p->h + iy) * p->w + ix];
                        if (inside || include_pad) count++;
                    }
                }
                y[(c * p->oh + oy) * p->ow + ox] = count ? acc / (float)count : 0.0f;
            }
        }
    }
}
`},
	{"global_avgpool", `static void PFX_global_avgpool(long c, long hw, const float *x, float *y)
{
    long i, j;
    for (i = 0; i < c; i++) {
        float acc = 0.0f;
        for (j = 0; j < hw; j++) acc += x[i * hw + j];
        y[i] = acc / (float)hw;
    }
}
`},
	{"global_maxpool", `/* NaN propagates as in maxpool. */
static void PFX_global_maxpool(long c, long hw, const float *x, float *y)
{
    long i, j;
    for (i = 0; i < c; i++) {
        float best = x[i * hw];
        for (j = 1; j < hw; j++) {
            float v = x[i * hw + j];
            if (v > best || (v != v && best == best)) best = v;
        }
        y[i] = best;
    }
}
`},
	{"relu", `/* max(x, 0) as our executor computes it: NaN stays NaN (x > 0 alone would
   make it 0 and hide a bad input behind plausible outputs), -0 becomes 0. */
static void PFX_relu(long n, const float *x, float *y)
{
    long i;
    for (i = 0; i < n; i++) y[i] = x[i] > 0.0f || x[i] != x[i] ? x[i] : 0.0f;
}
`},
	{"leaky_relu", `static void PFX_leaky_relu(long n, float alpha, const float *x, float *y)
{
    long i;
    for (i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
}
`},
	{"sigmoid", `static void PFX_sigmoid(long n, const float *x, float *y)
{
    long i;
    for (i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
`},
	{"clip", `/* NaN fails both comparisons and stays NaN, as in our executor. */
static void PFX_clip(long n, float lo, float hi, const float *x, float *y)
{
    long i;
    for (i = 0; i < n; i++) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}
`},
	{"channel_affine", `/* y = x * a[c] + b[c] per channel (inference BatchNormalization). */
static void PFX_channel_affine(long c, long hw, const float *a, const float *b, const float *x, float *y)
{
    long i, j;
    for (i = 0; i < c; i++)
        for (j = 0; j < hw; j++) y[i * hw + j] = x[i * hw + j] * a[i] + b[i];
}
`},
	{"arith", `/* binop on equal shapes. */
static void PFX_arith(int op, long n, const float *a, const float *b, float *y)
{
    long i;
    for (i = 0; i < n; i++) y[i] = PFX_binop(op, a[i], b[i]);
}
`},
	{"broadcast", `/* binop with numpy broadcasting: sa, sb are the inputs' strides per
   output dim (0 where an input broadcasts). */
static void PFX_broadcast(int op, int rank, const long *dims, const long *sa, const long *sb,
                          const float *a, const float *b, float *y)
{
    long n = 1, i;
    int d;
    for (d = 0; d < rank; d++) n *= dims[d];
    for (i = 0; i < n; i++) {
        long r = i, ia = 0, ib = 0;
        for (d = rank - 1; d >= 0; d--) {
            long q = r % dims[d];
            r /= dims[d];
            ia += q * sa[d];
            ib += q * sb[d];
        }
        y[i] = PFX_binop(op, a[ia], b[ib]);
    }
}
`},
	{"softmax", `/* Softmax (logp: LogSoftmax) over n elements inner apart. */
static void PFX_softmax(long outer, long n, long inner, int logp, const float *x, float *y)
{
    long o, i, j;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xs = x + o * n * inner + i;
            float *ys = y + o * n * inner + i;
            float mx = xs[0], sum = 0.0f;
            for (j = 1; j < n; j++) if (xs[j * inner] > mx) mx = xs[j * inner];
            for (j = 0; j < n; j++) {
                ys[j * inner] = expf(xs[j * inner] - mx);
                sum += ys[j * inner];
            }
            for (j = 0; j < n; j++) ys[j * inner] = logp ? xs[j * inner] - mx - logf(sum) : ys[j * inner] / sum;
        }
    }
}
`},
	{"concat_part", `static void PFX_concat_part(long outer, long chunk, long total, long at, const float *x, float *y)
{
    long o;
    for (o = 0; o < outer; o++) memcpy(y + o * total + at, x + o * chunk, (size_t)chunk * sizeof(float));
}
`},
}

// kernelText returns the kernels g uses with the prefix filled in.
func (g *cgen) kernelText() string {
	var b strings.Builder
	for _, k := range cKernels {
		if g.kernels[k.name] {
			b.WriteString(strings.ReplaceAll(k.code, "PFX", g.prefix))
			b.WriteByte('\n')
		}
	}
	return b.String()
}
