// Package kernels holds the numeric kernels of bincompress: float32 GEMM,
// 2-D convolution (forward, backward-data, backward-filter) and binary-weight
// convolution, all on plain slices in row-major NCHW layout.
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
// # References and fast paths
//
// Every kernel has a plain Go reference (the *Ref functions in the *_ref.go
// files) that defines it, and the tests hold each fast path to its reference
// over sweeps of sizes, strides, paddings, dilations and groups. On amd64 the
// GEMM microkernels are Go assembly (AVX-512 or AVX2+FMA, chosen at run time
// with golang.org/x/sys/cpu); each assembly kernel is documented by the Go
// loop that defines it, and that loop is its portable twin. The build tag
// purego forces the pure-Go twins everywhere:
//
//	go test ./internal/kernels/
//	go test -tags purego ./internal/kernels/
//
// # Determinism
//
// Results are bit-for-bit identical at any GOMAXPROCS: work is split across
// goroutines only by output blocks, never inside a reduction, and every
// reduction (the K loop of a GEMM, the batch sum of a filter gradient) runs in
// a fixed order.
//
// # Errors
//
// Kernels cannot fail. ConvParams.Validate reports bad parameters as errors
// ("kernels: ..."); callers validate user input with it first. Passing invalid
// parameters or slices that are too short to a kernel is a programming error
// and panics with a message that names the argument.
package kernels
