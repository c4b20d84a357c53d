// Test-only: what NVRTC provides implicitly, declared for clang's CUDA mode
// (clang -x cuda --cuda-device-only -nocudainc -nocudalib), so that the
// kernel sources can be compiled to PTX on a machine without a CUDA toolkit.
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#include "__clang_cuda_builtin_vars.h"
extern "C" __device__ double sqrt(double);
extern "C" __device__ double exp(double);
extern "C" __device__ double log(double);
extern "C" __device__ double fabs(double);
__device__ inline float __int_as_float(int i) { return __builtin_bit_cast(float, i); }
__device__ inline int __float_as_int(float f) { return __builtin_bit_cast(int, f); }
extern "C" __device__ double fma(double, double, double);
