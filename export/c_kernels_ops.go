package export

// helperKernels come first: other kernels call them.
var helperKernels = []cKernel{
	{"binop", `/* The binary element-wise ops: 0 + , 1 -, 2 *, 3 /, 4 max, 5 min (both
   NaN-propagating), 6 pow, 7 PRelu (b is the slope). */
static float PFX_binop(int op, float u, float v)
{
    switch (op) {
    case 0: return u + v;
    case 1: return u - v;
    case 2: return u * v;
    case 3: return u / v;
    case 4: return u != u || u > v ? u : v;
    case 5: return u != u || u < v ? u : v;
    case 6: return v == 2.0f ? u * u : v == 3.0f ? u * u * u : powf(u, v);
    default: return u < 0.0f ? u * v : u;
    }
}
`},
}

// opKernels are the element-wise functions, the gathers (Transpose,
// Slice, Pad, Expand, Tile) and the reductions.
var opKernels = []cKernel{
	{"unary", `/* The element-wise functions without parameters (op codes: cUnary). */
static void PFX_unary(int op, long n, const float *x, float *y)
{
    long i;
    for (i = 0; i < n; i++) {
        float v = x[i], r;
        switch (op) {
        case 0: r = tanhf(v); break;
        case 1: r = erff(v); break;
        case 2: r = expf(v); break;
        case 3: r = sqrtf(v); break;
        case 4: r = fabsf(v); break;
        case 5: r = -v; break;
        case 6: r = 1.0f / v; break;
        case 7: r = floorf(v); break;
        case 8: r = ceilf(v); break;
        case 9: r = logf(v); break;
        case 10: r = v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v)); break;
        case 11: r = v / (1.0f + fabsf(v)); break;
        case 12: r = v < -3.0f ? 0.0f : v > 3.0f ? v : v * (v / 6.0f + 0.5f); break;
        case 13: r = v * tanhf(v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v))); break;
        case 14: r = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); break;
        default: r = 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v))); break;
        }
        y[i] = r;
    }
}
`},
	{"unary2", `/* The element-wise functions with parameters a, b (op codes: cUnary2). */
static void PFX_unary2(int op, long n, float a, float b, const float *x, float *y)
{
    long i;
    for (i = 0; i < n; i++) {
        float v = x[i], r;
        switch (op) {
        case 0: r = v < 0.0f ? a * expm1f(v) : v; break;         /* Elu */
        case 1: r = v <= 0.0f ? b * a * expm1f(v) : b * v; break; /* Selu: a alpha, b gamma */
        case 2: r = v < 0.0f ? a * expm1f(v / a) : v; break;     /* Celu */
        case 3: r = v > a ? v : 0.0f; break;                      /* ThresholdedRelu */
        default: r = a * v + b; r = r < 0.0f ? 0.0f : r > 1.0f ? 1.0f : r; break; /* HardSigmoid */
        }
        y[i] = r;
    }
}
`},
	{"gather", `/* y over an output of rank dims: element o reads x at the sum over axes d
   of map[base_d + o_d] (base_d: the dims before d summed), or is fill when
   any of those is -1. Transpose, Slice, Pad, Expand and Tile are tables. */
static void PFX_gather(int rank, const long *dims, const long *map, float fill, const float *x, float *y)
{
    long n = 1, total = 0, i;
    int d;
    for (d = 0; d < rank; d++) {
        n *= dims[d];
        total += dims[d];
    }
    for (i = 0; i < n; i++) {
        long r = i, base = total, off = 0;
        int out = 0;
        for (d = rank - 1; d >= 0; d--) {
            long q = r % dims[d], v;
            r /= dims[d];
            base -= dims[d];
            v = map[base + q];
            if (v < 0) out = 1;
            off += v;
        }
        y[i] = out ? fill : x[off];
    }
}
`},
	{"reduce", `/* Reduce over an input of rank dims into nout outputs; ostr is the
   output stride of each input dim (0 where reduced), count the elements per
   output. kind: 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 L1, 6 L2, 7 sum of
   squares. */
static void PFX_reduce(int kind, int rank, const long *dims, const long *ostr, long count, long nout,
                       const float *x, float *y)
{
    long n = 1, i;
    int d;
    for (d = 0; d < rank; d++) n *= dims[d];
    for (i = 0; i < nout; i++) y[i] = kind == 2 ? -INFINITY : kind == 3 ? INFINITY : kind == 4 ? 1.0f : 0.0f;
    for (i = 0; i < n; i++) {
        long r = i, o = 0;
        float v = x[i], *a;
        for (d = rank - 1; d >= 0; d--) {
            o += (r % dims[d]) * ostr[d];
            r /= dims[d];
        }
        a = y + o;
        switch (kind) {
        case 2: if (v != v || v > *a) *a = v; break;
        case 3: if (v != v || v < *a) *a = v; break;
        case 4: *a *= v; break;
        case 5: *a += fabsf(v); break;
        case 6: case 7: *a += v * v; break;
        default: *a += v; break;
        }
    }
    for (i = 0; i < nout; i++) {
        if (kind == 1) y[i] /= (float)count;
        if (kind == 6) y[i] = sqrtf(y[i]);
    }
}
`},
}
