// Package gpu is the CUDA backend of the trainer. It loads the CUDA driver
// API, cuBLAS and NVRTC at run time with github.com/ebitengine/purego, so
// the module builds with CGO_ENABLED=0 and no CUDA toolkit, and the same
// binary runs CPU-only where no GPU is present: everything here is inert
// until Open succeeds. docs/GPU.md is the user-facing description.
//
// # Finding CUDA
//
// Open searches, in order: BINCOMPRESS_CUDA_LIBS, LD_LIBRARY_PATH,
// CUDA_HOME and CUDA_PATH (lib64, lib), /usr/local/cuda and
// /usr/local/cuda-* (newest first), the pip wheels PyTorch installs
// (site-packages/nvidia/cu13/lib and the CUDA 12 layout nvidia/cublas/lib,
// nvidia/cuda_nvrtc/lib) below the system's, VIRTUAL_ENV's, CONDA_PREFIX's,
// the user's and each PATH python3's site-packages, found without running
// python, then the system library directories, and last the bare sonames
// through the dynamic loader (ld.so.cache). Libraries load by absolute path
// with RTLD_GLOBAL, cuBLASLt before cuBLAS. Accepted majors are 12 and 13.
//
// # Errors
//
// Every "no usable GPU here" error matches ErrNoGPU and says what is
// missing: a *MissingLibraryError names the library, the file names tried
// and every directory searched; a *DeviceError says "driver found but no
// CUDA device", or that the driver is older than CUDA 12 or than the NVRTC
// found. Probe turns that into one line for --device auto; Select
// implements the --device flag (cpu, cuda, auto).
//
// # Kernels and numerics
//
// The device code is CUDA C in package cuda, embedded, compiled by NVRTC on
// Open for the device's architecture (CUBIN; PTX as fallback) with
// --fmad=false and IEEE division and square root, and loaded with
// cuModuleLoadData.
// Elementwise kernels, im2col/col2im, pooling, SGD, binarizing and the
// stochastic codes perform the same float operations in the same order as
// the reference and must agree bit for bit; reductions (BN statistics,
// GEMM) sum in a different order and agree within a tolerance. Reductions
// use a fixed tree order, so a GPU run is deterministic too.
//
// # Stochastic codes
//
// Saved activations are packed on the GPU (Codes, EncodeDev): k bits per
// element (1 for conv inputs, 2 for BN's x̂) with per-channel ranges and
// stochastic rounding. The noise is counter-based (StreamStart, Uniform:
// splitmix64 over (key, stream, channel, index)), identical to the CPU
// trainer's generator in finetune/autograd, so a GPU step and a CPU step
// with the same seed draw the same bits.
//
// # Memory and threads
//
// Device memory is plain cuMemAlloc memory (never managed memory) from a
// Pool of size classes that reuses blocks across steps; PoolStats reports
// the peaks. CUDA contexts are per thread, so every call locks its
// goroutine to the thread, makes the primary context current and holds the
// Device's mutex: a Device may be shared between goroutines, calls are
// serialized. Kernels run asynchronously on one stream; Download waits.
//
// # Layers of the API
//
// The Device *Dev methods run the ops on device Buffers, asynchronously on
// the device's stream. The package ships no CPU reference of its own: its
// tests hold every op to a reference kept in the test files, and the
// hand-built residual network the device benchmark times is a test fixture
// too.
//
// # Testing without a GPU
//
// The loader is tested on fake directory trees; the CUDA sources (package
// cuda) compile to PTX with clang where it is installed; package emu builds
// a fake driver, cuBLAS and NVRTC from the real kernel sources with a C++
// compiler and runs them as a GPU does (every thread of a block, real
// barriers and shared memory, concurrent blocks), so the whole Go path
// (loading, bindings, launches, pool, GEMM layout, Net) runs in tests on
// the CPU. scripts/gpu/device_check.sh is the one prepared run
// for a machine with a GPU.
package gpu
