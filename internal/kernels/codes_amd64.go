//go:build !purego

package kernels

//go:noescape
func lookup1AVX512(blocks int, dst *float32, codes *uint64, tab *CodeTable)

//go:noescape
func lookup2AVX512(blocks int, dst *float32, codes *uint64, tab *CodeTable, inactive *float32)

// lookupWordsFast decodes whole 16-code blocks of 1- or 2-bit codes (dst
// holds whole words of them) and returns how many codes it did. Without an
// inactive slice, 2-bit codes pass a nil pointer the assembly skips.
func lookupWordsFast(dst, inactive []float32, words []uint64, bits int, tab *CodeTable) int {
	n := len(dst)
	if !useAVX512 || n == 0 || bits > 2 || (bits == 1 && inactive != nil) {
		return 0
	}
	_ = words[(n*bits-1)/64]
	switch bits {
	case 1:
		lookup1AVX512(n/16, &dst[0], &words[0], tab)
	default:
		var in *float32
		if inactive != nil {
			_ = inactive[n-1]
			in = &inactive[0]
		}
		lookup2AVX512(n/16, &dst[0], &words[0], tab, in)
	}
	return n / 16 * 16
}
