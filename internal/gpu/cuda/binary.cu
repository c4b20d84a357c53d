// Binary weights and the stochastic activation codes.

// Per output channel o, s = mean |w| over its fanIn values (rows of w, or
// columns when cols), summed in double in order: internal/bits.RowScales'
// "channel" mode.
extern "C" __global__ void scale_rows(const float* w, float* scale, int out, i64 fan, int cols) {
  GRID_LOOP(o, out) {
    double s = 0;
    for (i64 j = 0; j < fan; j++) s += fabs((double)w[cols ? j * out + o : o * fan + j]);
    scale[o] = (float)(s / (double)fan);
  }
}

// One s = mean |w| over the whole weight for every channel ("layer" mode),
// summed by one thread in order.
extern "C" __global__ void scale_layer(const float* w, float* scale, int out, i64 len) {
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    double s = 0;
    for (i64 i = 0; i < len; i++) s += fabs((double)w[i]);
    float v = (float)(s / (double)len);
    for (int o = 0; o < out; o++) scale[o] = v;
  }
}

// hat = s*sign(w), sign(0) = +1 (and NaN -> +1: only w < 0 is negative),
// s = scale of the element's output channel.
extern "C" __global__ void sign_scale(const float* w, float* hat, const float* scale, int out, i64 fan, int cols) {
  GRID_LOOP(i, (i64)out * fan) {
    float s = scale[cols ? (int)(i % out) : (int)(i / fan)];
    hat[i] = w[i] < 0.0f ? -s : s;
  }
}

// One thread per 64-bit word of codes: channel ch's words are
// [ch*wpc, (ch+1)*wpc); code j of a channel is element (j/inner, j%inner)
// and takes bits [j*bits, (j+1)*bits): level((x−lo)*inv + U, 2^bits − 1),
// lo/hi the channel's range (minmax_final), as the CPU's Codes.
extern "C" __global__ void encode_codes(const float* x, const float* lo, const float* hi, u64* words, int bits,
                                        int n, int c, i64 inner, u64 key, u64 stream) {
  i64 per = (i64)n * inner, wpc = (per * bits + 63) / 64;
  int levels = (1 << bits) - 1, cpw = 64 / bits;
  GRID_LOOP(wi, (i64)c * wpc) {
    int ch = (int)(wi / wpc);
    i64 j0 = (wi % wpc) * cpw;
    float l = lo[ch], h = hi[ch];
    float inv = h > l ? (float)levels / (h - l) : 0.0f;
    u64 start = stream_start(key, stream, (u64)ch), m = 0;
    for (i64 j = j0; j < j0 + cpw && j < per; j++) {
      float f = (x[chan_index(j, ch, c, inner)] - l) * inv;
      m |= level(f + uniform_at(start, j), levels) << ((j - j0) * bits);
    }
    words[wi] = m;
  }
}

// dst = lo + code*((hi−lo)/levels), the inverse layout of encode_codes.
extern "C" __global__ void decode_codes(const u64* words, const float* lo, const float* hi, float* dst, int bits,
                                        int n, int c, i64 inner) {
  i64 per = (i64)n * inner, wpc = (per * bits + 63) / 64;
  u64 mask = (1ULL << bits) - 1;
  GRID_LOOP(e, (i64)n * c * inner) {
    i64 i = e % inner, bc = e / inner;
    int ch = (int)(bc % c);
    i64 j = (bc / c) * inner + i, pos = j * bits;
    u64 code = (words[ch * wpc + (pos >> 6)] >> (pos & 63)) & mask;
    float step = (hi[ch] - lo[ch]) / (float)((1 << bits) - 1);
    dst[e] = lo[ch] + (float)code * step;
  }
}
