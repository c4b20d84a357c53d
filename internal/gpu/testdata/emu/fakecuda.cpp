// Test-only: a fake CUDA driver, cuBLAS and NVRTC in one shared library,
// so that the Go backend (library loading through purego, bindings, kernel
// argument marshaling, memory pool, row-major GEMM, host adapter) runs end to
// end on a machine without a GPU. The kernels are the real sources
// (cuda/*.cu, concatenated into kernels_all.cu by the test) compiled as C++
// and run one thread per block, blocks in sequence (RBLOCK = 1).
// cublasSgemm_v2 is a column-major reference written from the BLAS
// definition. Nothing here says anything about a real GPU's behaviour.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

struct uint3 { unsigned x, y, z; };
static uint3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
#define __global__
#define __device__
#define __shared__ static
#define __forceinline__ inline
#define __syncthreads()
#define RBLOCK 1
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }

#include "kernels_all.cu"

template <typename... A, std::size_t... I>
static void invoke(void (*f)(A...), void** p, std::index_sequence<I...>) {
  f(*static_cast<A*>(p[I])...);
}
template <typename... A>
static void call(void (*f)(A...), void** p) { invoke(f, p, std::index_sequence_for<A...>{}); }

typedef void (*invoker)(void**);
static std::map<std::string, invoker> kernels = {
#define K(name) {#name, [](void** p) { call(name, p); }},
#include "kernel_list.h"
#undef K
};

static int fake_devices = 1, fake_driver = 13000, fake_launches = 0;
static long long fake_live = 0;

#pragma GCC visibility push(default)
extern "C" {
// Test control.
void fakecuda_set(const char* key, int v) {
  std::string k = key;
  if (k == "devices") fake_devices = v;
  if (k == "driver") fake_driver = v;
}
int fakecuda_launches() { return fake_launches; }
long long fakecuda_live() { return fake_live; }

// ---- driver API
int cuInit(unsigned) { return fake_devices > 0 ? 0 : 100; }
int cuDriverGetVersion(int* v) { *v = fake_driver; return 0; }
int cuDeviceGetCount(int* n) { *n = fake_devices; return 0; }
int cuDeviceGet(int* d, int i) { if (i >= fake_devices) return 101; *d = i; return 0; }
int cuDeviceGetName(char* s, int n, int) { std::strncpy(s, "Fake CUDA (CPU emulation)", n); return 0; }
int cuDeviceGetAttribute(int* v, int a, int) { *v = a == 75 ? 9 : 0; return 0; }
int cuDeviceTotalMem_v2(std::size_t* b, int) { *b = std::size_t(1) << 30; return 0; }
int cuDevicePrimaryCtxRetain(void** c, int) { *c = (void*)0x1; return 0; }
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void* c) { return c ? 0 : 201; }
int cuCtxSynchronize() { return 0; }
int cuStreamCreate(void** s, unsigned) { *s = (void*)0x2; return 0; }
int cuStreamDestroy_v2(void*) { return 0; }
int cuStreamSynchronize(void*) { return 0; }
int cuMemAlloc_v2(std::uint64_t* p, std::size_t n) {
  void* m = std::aligned_alloc(256, (n + 255) / 256 * 256);
  if (!m) return 2;
  std::memset(m, 0xa5, n);  // garbage, as fresh device memory may hold
  *p = (std::uint64_t)m;
  fake_live++;
  return 0;
}
int cuMemFree_v2(std::uint64_t p) { std::free((void*)p); fake_live--; return 0; }
int cuMemGetInfo_v2(std::size_t* f, std::size_t* t) { *f = *t = std::size_t(1) << 30; return 0; }
int cuMemcpyHtoD_v2(std::uint64_t d, const void* s, std::size_t n) { std::memcpy((void*)d, s, n); return 0; }
int cuMemcpyDtoH_v2(void* d, std::uint64_t s, std::size_t n) { std::memcpy(d, (void*)s, n); return 0; }
int cuMemcpyDtoD_v2(std::uint64_t d, std::uint64_t s, std::size_t n) { std::memcpy((void*)d, (void*)s, n); return 0; }
int cuMemsetD8_v2(std::uint64_t d, unsigned char v, std::size_t n) { std::memset((void*)d, v, n); return 0; }
int cuModuleLoadData(void** m, const void* image) {
  if (std::strncmp((const char*)image, "FAKE", 4) != 0) return 200;  // CUDA_ERROR_INVALID_IMAGE
  *m = (void*)0x3;
  return 0;
}
int cuModuleUnload(void*) { return 0; }
int cuModuleGetFunction(void** f, void*, const char* name) {
  auto it = kernels.find(name);
  if (it == kernels.end()) return 500;
  *f = (void*)it->second;
  return 0;
}
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned,
                   void*, void** params, void**) {
  if (gx == 0 || gy != 1 || gz != 1 || bx == 0 || bx > 1024 || by != 1 || bz != 1) return 1;
  fake_launches++;
  gridDim.x = gx;
  for (unsigned b = 0; b < gx; b++) {
    blockIdx.x = b;
    ((invoker)f)(params);
  }
  return 0;
}
int cuGetErrorName(int code, const char** s) {
  static char buf[64];
  std::snprintf(buf, sizeof buf, "FAKE_CUDA_ERROR_%d", code);
  *s = buf;
  return 0;
}

// ---- cuBLAS
int cublasCreate_v2(void** h) { *h = (void*)0x4; return 0; }
int cublasDestroy_v2(void*) { return 0; }
int cublasGetVersion_v2(void*, int* v) { *v = 130000; return 0; }
int cublasSetStream_v2(void*, void*) { return 0; }
int cublasSetMathMode(void*, int) { return 0; }
// Column-major: C = alpha*op(A)*op(B) + beta*C, op(A) m x k, op(B) k x n.
int cublasSgemm_v2(void*, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc) {
  if (m < 0 || n < 0 || k < 0 || ldc < m || lda < (ta ? k : m) || ldb < (tb ? n : k)) return 7;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int p = 0; p < k; p++) {
        float a = ta ? A[p + (long)i * lda] : A[i + (long)p * lda];
        float b = tb ? B[j + (long)p * ldb] : B[p + (long)j * ldb];
        s += (double)a * (double)b;
      }
      float v = *alpha * (float)s;
      C[i + (long)j * ldc] = *beta == 0 ? v : v + *beta * C[i + (long)j * ldc];
    }
  return 0;
}

// ---- NVRTC: "compiles" to a marker image that the fake driver accepts.
struct prog { std::string src, out, log; };
int nvrtcVersion(int* a, int* b) { *a = 13; *b = 0; return 0; }
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
int nvrtcGetProgramLogSize(prog* p, std::size_t* n) { *n = p->log.size() + 1; return 0; }
int nvrtcGetProgramLog(prog* p, char* s) { std::memcpy(s, p->log.c_str(), p->log.size() + 1); return 0; }
int nvrtcGetPTXSize(prog* p, std::size_t* n) { *n = p->out.size() + 1; return 0; }
int nvrtcGetPTX(prog* p, char* s) { std::memcpy(s, p->out.c_str(), p->out.size() + 1); return 0; }
int nvrtcGetCUBINSize(prog* p, std::size_t* n) { return nvrtcGetPTXSize(p, n); }
int nvrtcGetCUBIN(prog* p, char* s) { return nvrtcGetPTX(p, s); }
int nvrtcDestroyProgram(prog** p) { delete *p; *p = nullptr; return 0; }
}
#pragma GCC visibility pop
