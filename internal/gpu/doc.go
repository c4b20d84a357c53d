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
// # The trainer's backend
//
// Device.Backend is the GPU implementation of backend.Backend, the seam the
// trainer (finetune, finetune/autograd) does all its arithmetic through;
// autograd.CPU is the other. Tensors are Arrays in device memory; ops
// launch kernels on the device's stream without returning errors: the
// first failure is kept, later ops are skipped, and Err reports it. Host
// data crosses only through Upload and Download.
//
// # Kernels and numerics
//
// The device code is CUDA C in package cuda, embedded, compiled by NVRTC on
// Open for the device's architecture (CUBIN; PTX as fallback) with
// --fmad=false and IEEE division and square root, and loaded with
// cuModuleLoadData. Where the CPU backend computes an element or a window
// on its own, the kernel performs the same float operations in the same
// order and the results are the same bits: element-wise ops, masks,
// pooling, BN's statistics (the CPU's 16-lane float64 sums, per plane or
// per channel) and output, the stochastic codes, SGD, binarizing. GEMMs,
// convolutions and BN's backward sums take another order and agree within
// a tolerance; every order is fixed, so a GPU run is deterministic too. The
// codes' noise is the trainer's counter-based generator (splitmix64 over
// key, stream, channel and index), so encoding a tensor gives the CPU's
// bits.
//
// # Memory and threads
//
// Device memory is plain cuMemAlloc memory (never managed memory) from a
// Pool of size classes that reuses blocks across steps; PoolStats reports
// the peaks, and the backend's Memory reports them to the trainer (which
// turns an out-of-memory failure into the batch size that fits). An
// allocation that does not fit matches backend.ErrOutOfMemory. CUDA
// contexts are per thread, so every call locks its goroutine to the
// thread, makes the primary context current and holds the Device's mutex:
// a Device may be shared between goroutines, calls are serialized. Kernels
// run asynchronously on one stream; Download waits.
//
// # Testing without a GPU
//
// The loader is tested on fake directory trees; the CUDA sources (package
// cuda) compile to PTX with clang where it is installed; package emu builds
// a fake driver, cuBLAS and NVRTC from the real kernel sources with a C++
// compiler and runs them as a GPU does (every thread of a block, real
// barriers and per-block shared memory, concurrent blocks). On it the
// parity suite holds every op of the backend, and whole training steps of
// the autograd tape, to autograd.CPU; the package ships no CPU reference of
// its own. scripts/gpu/device_check.sh is the one prepared run for a
// machine with a GPU.
package gpu
