//go:build !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func stochasticBitsAVX512(blocks int, bits *uint16, x *float32, lo, inv float32, counter uint64)

//go:noescape
func stochasticCodes2AVX512(blocks int, codes *uint32, x, relu *float32, a0, a1, b0, b1 float32, counter uint64)

//go:noescape
func stochasticBitsAVX2(blocks int, bits *uint16, x *float32, lo, inv float32, counter uint64)

//go:noescape
func stochasticCodes2AVX2(blocks int, codes *uint32, x, relu *float32, a0, a1, b0, b1 float32, counter uint64)

// hasAVX512DQ: the stream needs 64-bit lane multiplies (VPMULLQ); the
// 2-bit codes interleave two masks with PDEP (BMI2). Without them (or
// without AVX-512) the AVX2 bodies build the multiply from 32-bit ones and
// place the codes with vector shifts and masks: the same bits.
var hasAVX512DQ = cpu.X86.HasAVX512DQ && cpu.X86.HasBMI2

// stochasticBitsFast encodes x, whole 16-element blocks starting at a
// multiple of 16 (so at an even value of the stream), and returns how many
// elements it did.
func stochasticBitsFast(words []uint64, e0 int, x []float32, lo, inv float32, seed uint64) int {
	if len(x) < 16 {
		return 0
	}
	chunk := (*uint16)(unsafe.Add(unsafe.Pointer(&words[e0>>6]), e0&63/8))
	counter := seed + uint64(e0/2+1)*golden
	switch {
	case useAVX512 && hasAVX512DQ:
		stochasticBitsAVX512(len(x)/16, chunk, &x[0], lo, inv, counter)
	case hasAVX2:
		stochasticBitsAVX2(len(x)/16, chunk, &x[0], lo, inv, counter)
	default:
		return 0
	}
	return len(x) / 16 * 16
}

// stochasticCodes2Fast encodes whole 16-code blocks from e0, a multiple of
// 16, and returns how many codes it did: StochasticCodes2's rule,
// (x − b[0])·a[0], when relu is nil, else StochasticReluCodes2's,
// x·a[on] + b[on].
func stochasticCodes2Fast(words []uint64, e0 int, x, relu []float32, a, b [2]float32, seed uint64) int {
	if len(x) < 16 || !(useAVX512 && hasAVX512DQ || hasAVX2) {
		return 0
	}
	var r *float32
	if relu != nil {
		_ = relu[len(x)-1]
		r = &relu[0]
	}
	chunk := (*uint32)(unsafe.Add(unsafe.Pointer(&words[e0>>5]), e0&31/4))
	counter := seed + uint64(e0/2+1)*golden
	if useAVX512 && hasAVX512DQ {
		stochasticCodes2AVX512(len(x)/16, chunk, &x[0], r, a[0], a[1], b[0], b[1], counter)
	} else {
		stochasticCodes2AVX2(len(x)/16, chunk, &x[0], r, a[0], a[1], b[0], b[1], counter)
	}
	return len(x) / 16 * 16
}
