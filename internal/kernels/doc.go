// Package kernels holds the numeric kernels of bincompress: float32 GEMM,
// 2-D convolution (forward, backward-data, backward-filter) and
// binary-weight convolution with float or int8 activations, all on plain
// slices in row-major NCHW layout.
//
// # API
//
//	Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)  C = alpha·op(A)·op(B) + beta·C
//	ConvParams{N, C, H, W, K, KH, KW, StrideH, StrideW, PadTop, PadLeft, PadBottom, PadRight,
//	           DilationH, DilationW, Groups}; OutH, OutW, Validate, XLen, WLen, YLen
//	Conv2D(p, x, w, bias, y)                  y = conv(x, w) + bias
//	Conv2DBackwardData(p, dy, w, dx)          dx = ∂⟨y, dy⟩/∂x
//	Conv2DBackwardFilter(p, x, dy, dw)        dw = ∂⟨y, dy⟩/∂w, summed over the batch
//	BinaryConv2D(p, x, wbits, scale, bias, y) Conv2D with w[k] = scale[k]·(±1) from packed bits
//	BinaryConv2DInt8(p, x, wbits, scale, bias, y)  the same with x quantized to int8 per tensor
//	BinaryGemm(m, n, k, x, wbits, scale, bias, y)   dense y = x·wᵀ + bias, binary w
//	MaxInto(dst, src)                         dst = max(dst, src), the vector step of max pooling
//
// For the trainer: element-wise helpers (AddInto, ScaleAdd, Relu,
// ZeroOutside, MaskInRange, Combine), batch-normalization sums with float64
// lanes in a fixed order (ShiftedMoments, CrossSums, MinMax), the
// counter-based noise and stochastic rounding of the saved codes (Uniform,
// StochasticBits, StochasticCodes2, StochasticReluCodes2) and their
// decoding (LookupCodes); Workers runs a goroutine split with the caller
// taking the first share.
//
// Convolutions also come with an Epilogue (…Epilogue variants): a residual
// add and a ReLU applied to each output row while it is in cache. A model
// run many times prepares binary weights once: NewSignClasses for
// BinaryConv2DClasses (float activations), PackInt8Weights for
// BinaryConv2DInt8Packed.
//
// Each has a reference (SgemmRef, Conv2DRef, ...) that defines it.
//
// # Layout
//
// Matrices are row-major with an explicit leading dimension. Activations are
// NCHW float32; convolution weights are [K, C/Groups, KH, KW]. Binary weights
// follow the one bit convention of package internal/bits (design decision 4):
// bit 1 stands for +1, bit 0 for −1, one row per output channel over the
// (C/Groups, KH, KW) flattening, least significant bit first in 64-bit words,
// each row padded to whole words with 0 bits that no kernel reads.
//
// # Algorithms
//
// GEMM is GotoBLAS-style: op(B) packed in kc×nc panels, op(A) in mc×kc
// blocks, a register-tile microkernel over them (8×48 AVX-512, 4×24 AVX2,
// 4×16 Go). Convolutions other than 1×1 stride-1 ones are "indirect": the
// padded input is split into its stride phases, and every row of the im2col
// matrix is then a contiguous window of it, which the microkernel reads in
// place through a table of offsets (no im2col buffer, no packing of B).
// Backward-data for stride 1 is the forward convolution of dy with the
// flipped, transposed weights; for other strides each phase of dx is a
// stride-1 indirect correlation of dy with that phase's taps (no col2im).
// Backward-filter keeps lane-wise dot products of dy and the input windows
// over the batch. 1×1 stride-1 convolutions are plain GEMMs on x and y;
// depthwise forward convolutions are a direct loop.
// BinaryConv2D unpacks the bits into the GEMM's packed weight panels, one
// ≤ blockKC block at a time, never into a whole weight tensor.
// BinaryConv2DClasses cuts the arithmetic instead (signclass.go): for each
// group of four output channels every tap has one of 8 sign patterns up to
// its sign, so the four sums take one addition per tap (into that
// pattern's partial sum) and 32 to combine, about a quarter of the
// multiply-adds of a float convolution.
// BinaryConv2DInt8 quantizes the activations to 4-channel uint8 words,
// offsets by 128, and runs a u8×s8 indirect kernel (VPDPBUSD on AVX-512
// VNNI, VPMADDUBSW/VPMADDWD on AVX2) with exact int32 sums.
//
// # References and fast paths
//
// Every fast path is tested against its reference over sweeps of sizes,
// strides, paddings, dilations and groups, with sentinels around outputs;
// the float references are checked against ONNX's Conv and ConvTranspose
// node tests. Each assembly kernel is documented by the Go loop that defines
// it, and that loop is its portable twin. On amd64 the kernels are chosen at
// run time with golang.org/x/sys/cpu (AVX-512, else AVX2+FMA, else Go); the
// build tag purego forces the pure-Go twins everywhere:
//
//	go test ./internal/kernels/
//	go test -tags purego ./internal/kernels/
//
// Benchmarks sit beside the tests; bench/gemm_vs_openblas.sh compares Sgemm
// with OpenBLAS.
//
// # Concurrency and determinism
//
// Kernels use up to GOMAXPROCS goroutines and are safe for concurrent use.
// Results are bit-for-bit identical at any GOMAXPROCS: work is split only by
// output blocks (columns or rows of C, images, groups, filter tiles), never
// inside a reduction, and every reduction (the K loop of a GEMM, the batch
// sum of a filter gradient) runs in a fixed order. Results may differ in the
// last bits between the AVX-512, AVX2 and Go paths. Scratch buffers come
// from sync.Pools: steady-state calls allocate only a few small values.
//
// # Errors
//
// Kernels cannot fail. ConvParams.Validate reports bad parameters as errors
// ("kernels: ..."); callers validate user input with it first. Passing invalid
// parameters or slices that are too short to a kernel is a programming error
// and panics with a message that names the argument. BinaryConv2DInt8
// returns false, writing nothing, when x holds a NaN or an infinity (they
// have no int8 value); callers then use BinaryConv2D.
package kernels
