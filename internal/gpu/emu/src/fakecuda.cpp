// Test-only: a fake CUDA driver, cuBLAS and NVRTC in one shared library, so
// that the Go backend (library loading through purego, bindings, kernel
// argument marshaling, memory pool, row-major GEMM, the trainer's device
// path) runs end to end on a machine without a GPU. The kernels are the real
// sources (internal/gpu/cuda/*.cu, concatenated into kernels_all.cu by
// emu.Build) compiled as C++ and run as a GPU runs them (blocks.h): every
// thread of a block, real barriers, per-block shared memory, the grid and
// block the launcher asks for, several blocks at once. cublasSgemm_v2 is a
// column-major reference written from the BLAS definition. Device memory is
// host memory handed out as device pointers; the fake checks every copy and
// free against its live allocations and can run out (a settable limit).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "blocks.h"

#define __global__
#define __device__
#define __shared__ static thread_local
#define __forceinline__ inline
static inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
static inline int __float_as_int(float f) {
  int i;
  std::memcpy(&i, &f, 4);
  return i;
}

#include "kernels_all.cu"

template <typename... A, std::size_t... I>
static void invoke(void (*f)(A...), void** p, std::index_sequence<I...>) {
  f(*static_cast<A*>(p[I])...);
}
template <typename... A>
static void call(void (*f)(A...), void** p) {
  invoke(f, p, std::index_sequence_for<A...>{});
}

// A kernel and whether it calls __syncthreads (kernel_list.h, from the
// sources by emu.Build): only those run on fibers.
struct Kernel {
  emu::kernel_fn fn;
  bool barriers;
};
static std::map<std::string, Kernel> kernels = {
#define K(name, barriers) {#name, {[](void** p) { call(name, p); }, barriers}},
#include "kernel_list.h"
#undef K
};

// CUresult values the fake returns.
enum {
  kSuccess = 0,
  kInvalidValue = 1,
  kOutOfMemory = 2,
  kNoDevice = 100,
  kInvalidDevice = 101,
  kInvalidImage = 200,
  kInvalidContext = 201,
  kInvalidHandle = 400,
  kNotFound = 500,
};

static std::mutex mem_mu;
static std::map<std::uint64_t, std::size_t> live;  // allocation -> bytes
static std::size_t live_bytes = 0, mem_limit = std::size_t(1) << 30;
static int fake_devices = 1, fake_driver = 13000, fake_order = 0;
static unsigned fake_workers = 0;  // 0: min(4, hardware threads)
static std::atomic<long long> fake_launches{0}, fake_threads{0}, fake_allocs{0};
static emu::Pool pool;
static void* const kStream = (void*)0x2;

// workers is how many OS threads run a launch's blocks (and a large GEMM).
static unsigned workers() {
  return fake_workers ? fake_workers : std::min(4u, std::max(1u, std::thread::hardware_concurrency()));
}

// inside reports whether [p, p+n) lies in one live allocation.
static bool inside(std::uint64_t p, std::size_t n) {
  std::lock_guard<std::mutex> lk(mem_mu);
  auto it = live.upper_bound(p);
  if (it == live.begin()) return false;
  --it;
  return p >= it->first && p + n <= it->first + it->second;
}

#pragma GCC visibility push(default)
extern "C" {
// ---- test control
void fakecuda_set(const char* key, long long v) {
  std::string k = key;
  if (k == "devices") fake_devices = (int)v;
  if (k == "driver") fake_driver = (int)v;
  if (k == "order") fake_order = (int)v;  // 0 forward, 1 reverse, 2 shuffled
  if (k == "workers") fake_workers = (unsigned)v;
  if (k == "memlimit") mem_limit = (std::size_t)v;
}
long long fakecuda_get(const char* key) {
  std::string k = key;
  if (k == "launches") return fake_launches;
  if (k == "threads") return fake_threads;  // GPU threads run to completion
  if (k == "allocs") return fake_allocs;    // cuMemAlloc calls that succeeded
  std::lock_guard<std::mutex> lk(mem_mu);
  if (k == "live") return (long long)live.size();
  if (k == "live_bytes") return (long long)live_bytes;
  return -1;
}

// ---- driver API
int cuInit(unsigned) { return fake_devices > 0 ? kSuccess : kNoDevice; }
int cuDriverGetVersion(int* v) {
  *v = fake_driver;
  return kSuccess;
}
int cuDeviceGetCount(int* n) {
  *n = fake_devices;
  return kSuccess;
}
int cuDeviceGet(int* d, int i) {
  if (i >= fake_devices) return kInvalidDevice;
  *d = i;
  return kSuccess;
}
int cuDeviceGetName(char* s, int n, int) {
  std::strncpy(s, "Fake CUDA (CPU emulation)", n);
  return kSuccess;
}
int cuDeviceGetAttribute(int* v, int a, int) {
  *v = a == 75 ? 9 : 0;  // compute capability 9.0
  return kSuccess;
}
int cuDeviceTotalMem_v2(std::size_t* b, int) {
  *b = mem_limit;
  return kSuccess;
}
int cuDevicePrimaryCtxRetain(void** c, int) {
  *c = (void*)0x1;
  return kSuccess;
}
int cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
int cuCtxSetCurrent(void* c) { return c ? kSuccess : kInvalidContext; }
int cuCtxSynchronize() { return kSuccess; }
int cuStreamCreate(void** s, unsigned) {
  *s = kStream;
  return kSuccess;
}
int cuStreamDestroy_v2(void* s) { return s == kStream ? kSuccess : kInvalidHandle; }
int cuStreamSynchronize(void* s) { return s == kStream ? kSuccess : kInvalidHandle; }
int cuMemAlloc_v2(std::uint64_t* p, std::size_t n) {
  if (n == 0) return kInvalidValue;
  {
    std::lock_guard<std::mutex> lk(mem_mu);
    if (live_bytes + n > mem_limit) return kOutOfMemory;
    live_bytes += n;
  }
  void* m = std::aligned_alloc(256, (n + 255) / 256 * 256);
  if (!m) return kOutOfMemory;
  std::memset(m, 0xa5, n);  // garbage, as fresh device memory may hold
  std::lock_guard<std::mutex> lk(mem_mu);
  live[(std::uint64_t)m] = n;
  *p = (std::uint64_t)m;
  fake_allocs++;
  return kSuccess;
}
int cuMemFree_v2(std::uint64_t p) {
  std::lock_guard<std::mutex> lk(mem_mu);
  auto it = live.find(p);
  if (it == live.end()) return kInvalidValue;
  live_bytes -= it->second;
  live.erase(it);
  std::free((void*)p);
  return kSuccess;
}
int cuMemGetInfo_v2(std::size_t* f, std::size_t* t) {
  std::lock_guard<std::mutex> lk(mem_mu);
  *f = mem_limit - live_bytes;
  *t = mem_limit;
  return kSuccess;
}
int cuMemcpyHtoD_v2(std::uint64_t d, const void* s, std::size_t n) {
  if (!inside(d, n)) return kInvalidValue;
  std::memcpy((void*)d, s, n);
  return kSuccess;
}
int cuMemcpyDtoH_v2(void* d, std::uint64_t s, std::size_t n) {
  if (!inside(s, n)) return kInvalidValue;
  std::memcpy(d, (void*)s, n);
  return kSuccess;
}
int cuMemcpyDtoD_v2(std::uint64_t d, std::uint64_t s, std::size_t n) {
  if (!inside(d, n) || !inside(s, n)) return kInvalidValue;
  std::memmove((void*)d, (void*)s, n);
  return kSuccess;
}
int cuMemsetD8_v2(std::uint64_t d, unsigned char v, std::size_t n) {
  if (!inside(d, n)) return kInvalidValue;
  std::memset((void*)d, v, n);
  return kSuccess;
}
int cuModuleLoadData(void** m, const void* image) {
  if (std::strncmp((const char*)image, "FAKE", 4) != 0) return kInvalidImage;
  *m = (void*)0x3;
  return kSuccess;
}
int cuModuleUnload(void*) { return kSuccess; }
int cuModuleGetFunction(void** f, void*, const char* name) {
  auto it = kernels.find(name);
  if (it == kernels.end()) return kNotFound;
  *f = (void*)&it->second;
  return kSuccess;
}
// cuLaunchKernel runs the whole grid before it returns (a real launch is
// asynchronous; the Go side orders everything on one stream, so the results
// are the same).
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void* stream, void** params, void** extra) {
  unsigned long long threads = (unsigned long long)bx * by * bz;
  if (!f || gx == 0 || gy == 0 || gz == 0 || gx > 0x7fffffffu || gy > 65535 || gz > 65535 || threads == 0 ||
      threads > 1024 || bz > 64 || shared > 48 * 1024 || extra != nullptr || (stream != kStream && stream != nullptr))
    return kInvalidValue;
  if ((unsigned long long)gx * gy * gz > 0xffffffffull) return kInvalidValue;
  emu::Launch L;
  L.fn = ((Kernel*)f)->fn;
  L.barriers = ((Kernel*)f)->barriers;
  L.params = params;
  L.grid = {gx, gy, gz};
  L.block = {bx, by, bz};
  L.blocks = gx * gy * gz;
  L.order = fake_order;
  int rc = pool.run(L, workers());
  fake_launches++;
  fake_threads += L.threads;
  return rc;
}
int cuGetErrorName(int code, const char** s) {
  static thread_local char buf[64];
  std::snprintf(buf, sizeof buf, "FAKE_CUDA_ERROR_%d", code);
  *s = buf;
  return kSuccess;
}

// ---- cuBLAS
int cublasCreate_v2(void** h) {
  *h = (void*)0x4;
  return 0;
}
int cublasDestroy_v2(void*) { return 0; }
int cublasGetVersion_v2(void*, int* v) {
  *v = 130000;
  return 0;
}
int cublasSetStream_v2(void*, void* s) { return s == kStream ? 0 : 7; }
int cublasSetMathMode(void*, int) { return 0; }
// Column-major: C = alpha*op(A)*op(B) + beta*C, op(A) m x k, op(B) k x n,
// each dot product summed in float in order, products and sums rounded
// separately (CUBLAS_STATUS_INVALID_VALUE = 7). Large products split their
// columns across threads.
static void sgemm_cols(int ta, int tb, int m, int j0, int j1, int k, float alpha, const float* A, int lda,
                       const float* B, int ldb, float beta, float* C, int ldc) {
  std::vector<float> acc(m);
  std::vector<float> bcol(k);
  for (int j = j0; j < j1; j++) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int p = 0; p < k; p++) bcol[p] = tb ? B[j + (long)p * ldb] : B[p + (long)j * ldb];
    if (ta) {
      for (int i = 0; i < m; i++) {
        float s = 0;
        for (int p = 0; p < k; p++) s += A[p + (long)i * lda] * bcol[p];
        acc[i] = s;
      }
    } else {
      for (int p = 0; p < k; p++) {
        const float* a = A + (long)p * lda;
        float b = bcol[p];
        for (int i = 0; i < m; i++) acc[i] += a[i] * b;
      }
    }
    for (int i = 0; i < m; i++) {
      float v = alpha * acc[i];
      float* c = &C[i + (long)j * ldc];
      *c = beta == 0 ? v : v + beta * *c;
    }
  }
}

int cublasSgemm_v2(void*, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc) {
  if (m < 0 || n < 0 || k < 0 || ldc < std::max(1, m) || lda < std::max(1, ta ? k : m) ||
      ldb < std::max(1, tb ? n : k))
    return 7;
  unsigned parts = (double)m * n * k > (1 << 25) ? workers() : 1;
  parts = std::max(1u, std::min<unsigned>(parts, n));
  std::vector<std::thread> ts;
  for (unsigned t = 1; t < parts; t++)
    ts.emplace_back(sgemm_cols, ta, tb, m, (int)((long)n * t / parts), (int)((long)n * (t + 1) / parts), k, *alpha,
                    A, lda, B, ldb, *beta, C, ldc);
  sgemm_cols(ta, tb, m, 0, (int)(n / parts), k, *alpha, A, lda, B, ldb, *beta, C, ldc);
  for (auto& t : ts) t.join();
  return 0;
}

// ---- NVRTC: "compiles" to a marker image that the fake driver accepts.
struct prog {
  std::string src, out, log;
};
int nvrtcVersion(int* a, int* b) {
  *a = 13;
  *b = 0;
  return 0;
}
int nvrtcCreateProgram(prog** p, const char* src, const char*, int, const char**, const char**) {
  *p = new prog{src, "", ""};
  return 0;
}
int nvrtcCompileProgram(prog* p, int n, const char** opts) {
  bool fmad = false, arch = false;
  p->out = "FAKE image:";
  for (int i = 0; i < n; i++) {
    std::string o = opts[i];
    fmad |= o == "--fmad=false";
    arch |= o.rfind("--gpu-architecture=", 0) == 0;
    p->out += " " + o;
  }
  if (!fmad || !arch || p->src.find("extern \"C\" __global__") == std::string::npos) {
    p->log = "fake nvrtc: missing --fmad=false, --gpu-architecture or kernels";
    return 6;  // NVRTC_ERROR_COMPILATION
  }
  return 0;
}
int nvrtcGetProgramLogSize(prog* p, std::size_t* n) {
  *n = p->log.size() + 1;
  return 0;
}
int nvrtcGetProgramLog(prog* p, char* s) {
  std::memcpy(s, p->log.c_str(), p->log.size() + 1);
  return 0;
}
int nvrtcGetPTXSize(prog* p, std::size_t* n) {
  *n = p->out.size() + 1;
  return 0;
}
int nvrtcGetPTX(prog* p, char* s) {
  std::memcpy(s, p->out.c_str(), p->out.size() + 1);
  return 0;
}
int nvrtcGetCUBINSize(prog* p, std::size_t* n) { return nvrtcGetPTXSize(p, n); }
int nvrtcGetCUBIN(prog* p, char* s) { return nvrtcGetPTX(p, s); }
int nvrtcDestroyProgram(prog** p) {
  delete *p;
  *p = nullptr;
  return 0;
}
}
#pragma GCC visibility pop
