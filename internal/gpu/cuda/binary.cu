// Binary weights and the stochastic activation codes.

// what = s*sign(w), sign(0) = +1 (and NaN -> +1: only w < 0 is negative),
// s = scale[row] for w [rows][cols].
extern "C" __global__ void sign_scale(const float* w, float* what, const float* scale, int rows, i64 cols) {
  GRID_LOOP(j, (i64)rows * cols) {
    float s = scale[j / cols];
    what[j] = w[j] < 0.0f ? -s : s;
  }
}

// The .bnn bit convention (internal/bits): bit 1 unless w < 0, one row per
// output channel padded to whole 64-bit words, least significant bit first.
extern "C" __global__ void pack_signs(const float* w, u64* words, int rows, i64 cols) {
  i64 wpr = (cols + 63) / 64;
  GRID_LOOP(j, (i64)rows * wpr) {
    i64 r = j / wpr, k0 = (j % wpr) * 64;
    u64 m = 0;
    for (i64 k = k0; k < k0 + 64 && k < cols; k++)
      if (!(w[r * cols + k] < 0.0f)) m |= 1ULL << (k - k0);
    words[j] = m;
  }
}

// One thread per 64-bit word of codes (gpu.Codes): channel ch's words are
// [ch*wpc, (ch+1)*wpc); code j of a channel is element (j/inner, j%inner)
// and takes bits [j*bits, (j+1)*bits). lo/hi come from channel_minmax.
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
      float v = x[((j / inner) * c + ch) * inner + j % inner];
      int code = (int)((v - l) * inv + uniform_at(start, j));
      if (code > levels) code = levels;
      m |= (u64)code << ((j - j0) * bits);
    }
    words[wi] = m;
  }
}

// dst = lo + code*(hi-lo)/levels, the inverse layout of encode_codes.
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
