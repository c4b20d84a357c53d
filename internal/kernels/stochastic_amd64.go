//go:build !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func stochasticBitsAVX512(blocks int, bits *uint16, x *float32, lo, inv float32, counter uint64)

// hasAVX512DQ: the stream needs 64-bit lane multiplies (VPMULLQ).
var hasAVX512DQ = cpu.X86.HasAVX512DQ

// stochasticBitsFast encodes x, whole 16-element blocks starting at a
// multiple of 16 (so at an even value of the stream), and returns how many
// elements it did.
func stochasticBitsFast(words []uint64, e0 int, x []float32, lo, inv float32, seed uint64) int {
	if !useAVX512 || !hasAVX512DQ || len(x) < 16 {
		return 0
	}
	chunk := (*uint16)(unsafe.Add(unsafe.Pointer(&words[e0>>6]), e0&63/8))
	stochasticBitsAVX512(len(x)/16, chunk, &x[0], lo, inv, seed+uint64(e0/2+1)*golden)
	return len(x) / 16 * 16
}
