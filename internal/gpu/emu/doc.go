// Package emu builds, for tests, a CPU emulation of the CUDA device that
// package gpu drives: one shared library that stands in for the driver API,
// cuBLAS and NVRTC (fakecuda.cpp). Its kernels are the real sources of
// package cuda compiled as C++ with the system compiler (g++ or clang++)
// and run as a GPU runs them (blocks.h):
//
//   - every thread of a block is a fiber with its own stack, and
//     __syncthreads() is a real barrier: a fiber waits there until every
//     thread of its block has arrived; threads that skip a barrier others
//     wait at fail the launch (CUDA_ERROR_LAUNCH_FAILED), as they would
//     hang or corrupt a GPU;
//   - __shared__ memory is per block; blockDim, gridDim, threadIdx and
//     blockIdx are what the launcher asked for (1-D to 3-D);
//   - blocks run concurrently on up to four OS threads;
//   - the threads of a block run, between two barriers, in an order a test
//     chooses (forward, reverse, shuffled), so that a read of another
//     thread's write without a barrier in between shows as a difference.
//
// Device memory is host memory behind device pointers; every copy, set and
// free is checked against the live allocations, and a settable limit makes
// allocations fail with CUDA_ERROR_OUT_OF_MEMORY. The fake cuBLAS computes
// each dot product in double (a reference, not a model of cuBLAS's order).
// Nothing here says anything about a real GPU's speed.
//
// The package is test-only: Lib builds the library once per process (cached
// across processes under the user's cache directory, keyed by the sources
// and the compiler) and returns the directory to put in
// BINCOMPRESS_CUDA_LIBS. Where no C++ compiler is installed it skips the
// test with the reason, except under CI=true, where it fails.
package emu
