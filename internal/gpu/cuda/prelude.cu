// Shared definitions of the bincompress CUDA kernels. The .cu files of this
// directory are concatenated in the order of source.go and
// compiled by NVRTC as one program, with --fmad=false so that every float
// operation rounds as the Go reference does (elementwise results are then
// bit-identical to the CPU's). Every kernel is extern "C" so that its name
// is its symbol.

typedef unsigned long long u64;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned char u8;

// Grid-stride loop over [0, n).
#define GRID_LOOP(i, n) \
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (i64)(n); i += (i64)gridDim.x * blockDim.x)

// Threads per block of the reduction kernels (a power of two); the Go side
// launches them with exactly this many threads (gpu.reduceBlock).
#define RBLOCK 256

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define CHAN_SALT 0x632be59bd9b4e019ULL

// splitmix64's finalizer.
__device__ __forceinline__ u64 mix64(u64 z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Start of channel ch of stream s under key: the state of finetune/
// autograd's stream (newStream) for that channel.
__device__ __forceinline__ u64 stream_start(u64 key, u64 s, u64 ch) {
  return mix64(mix64(key ^ GOLDEN) ^ mix64(((s << 20) ^ ch) + CHAN_SALT));
}

// Draw i of a stream (kernels.Uniform): 24 random bits, exact in float.
__device__ __forceinline__ float uniform_at(u64 start, i64 i) {
  u64 z = mix64(start + (u64)(i / 2 + 1) * GOLDEN);
  u32 r = (i % 2 == 0) ? (u32)(z >> 40) : (u32)(z & 0xffffffULL);
  return (float)r / 16777216.0f;
}

// level is kernels.Level: floor(f) clamped to [0, top], 0 for NaN.
__device__ __forceinline__ u64 level(float f, int top) {
  if (f >= (float)top) return (u64)top;
  if (f >= 1.0f) return (u64)f;
  return 0;
}

// Go's max and min of two floats: NaN wins, and -0 < +0.
__device__ __forceinline__ float go_max(float a, float b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return __float_as_int(a) < 0 ? b : a;
  return a > b ? a : b;
}
__device__ __forceinline__ float go_min(float a, float b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return __float_as_int(a) < 0 ? a : b;
  return a < b ? a : b;
}

// Index j of channel ch of an [n][c][inner] tensor in channel order.
__device__ __forceinline__ i64 chan_index(i64 j, int ch, int c, i64 inner) {
  return ((j / inner) * c + ch) * inner + j % inner;
}
