//go:build !purego

package kernels

import "unsafe"

//go:noescape
func lookup1AVX512(blocks int, dst *float32, codes *uint64, tab *CodeTable)

//go:noescape
func lookup2AVX512(blocks int, dst *float32, codes *uint64, tab *CodeTable, inactive *float32)

//go:noescape
func lookup1AVX2(chunks int, dst *float32, codes *uint32, tab *CodeTable)

//go:noescape
func lookup2AVX2(chunks int, dst *float32, codes *uint32, tab *CodeTable, inactive *float32)

// lookupWordsFast decodes whole 16-code blocks of 1- or 2-bit codes (dst
// holds whole words of them) and returns how many codes it did. Without an
// inactive slice, 2-bit codes pass a nil pointer the assembly skips. The
// AVX2 bodies take a 32-bit chunk (32 or 16 codes) per step: whole words
// are whole chunks.
func lookupWordsFast(dst, inactive []float32, words []uint64, bits int, tab *CodeTable) int {
	n := len(dst)
	if !(useAVX512 || hasAVX2) || n == 0 || bits > 2 || (bits == 1 && inactive != nil) {
		return 0
	}
	_ = words[(n*bits-1)/64]
	chunks := (*uint32)(unsafe.Pointer(&words[0]))
	switch bits {
	case 1:
		if useAVX512 {
			lookup1AVX512(n/16, &dst[0], &words[0], tab)
			return n / 16 * 16
		}
		lookup1AVX2(n/32, &dst[0], chunks, tab)
		return n / 32 * 32
	default:
		var in *float32
		if inactive != nil {
			_ = inactive[n-1]
			in = &inactive[0]
		}
		if useAVX512 {
			lookup2AVX512(n/16, &dst[0], &words[0], tab, in)
		} else {
			lookup2AVX2(n/16, &dst[0], chunks, tab, in)
		}
		return n / 16 * 16
	}
}
