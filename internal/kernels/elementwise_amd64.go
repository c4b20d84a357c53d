//go:build !purego

package kernels

//go:noescape
func addIntoAVX512(n int, dst, src *float32)

//go:noescape
func reluAVX512(n int, dst, src *float32)

//go:noescape
func zeroOutsideAVX512(n int, dy, ref *float32, lo, hi float32)

//go:noescape
func maxIntoAVX512(n int, dst, src *float32)

//go:noescape
func scaleAddRowsAVX512(rows, n int, src *float32, sstride int, s, b float32, dst *float32, dstride int, floor float32)

// The fast paths return how many leading elements they handled: all of
// them with AVX-512, none otherwise. The callers cut src to len(dst).

func addIntoFast(dst, src []float32) int {
	n := len(dst)
	if !useAVX512 || n == 0 {
		return 0
	}
	_ = src[n-1]
	addIntoAVX512(n, &dst[0], &src[0])
	return n
}

func reluFast(dst, src []float32) int {
	n := len(dst)
	if !useAVX512 || n == 0 {
		return 0
	}
	_ = src[n-1]
	reluAVX512(n, &dst[0], &src[0])
	return n
}

func zeroOutsideFast(dy, ref []float32, lo, hi float32) int {
	n := len(dy)
	if !useAVX512 || n == 0 {
		return 0
	}
	_ = ref[n-1]
	zeroOutsideAVX512(n, &dy[0], &ref[0], lo, hi)
	return n
}

func maxIntoFast(dst, src []float32) int {
	n := len(dst)
	if !useAVX512 || n == 0 {
		return 0
	}
	_ = src[n-1]
	maxIntoAVX512(n, &dst[0], &src[0])
	return n
}

func scaleAddRowsFast(dst []float32, dstride int, src []float32, sstride, rows, n int, s, b, floor float32) bool {
	if !useAVX512 || rows == 0 || n == 0 {
		return rows == 0 || n == 0
	}
	_, _ = src[(rows-1)*sstride+n-1], dst[(rows-1)*dstride+n-1]
	scaleAddRowsAVX512(rows, n, &src[0], sstride, s, b, &dst[0], dstride, floor)
	return true
}

//go:noescape
func maskInRangeAVX512(words int, mask *uint64, x *float32, lo, hi float32)

//go:noescape
func zeroUnmaskedAVX512(words int, dy *float32, mask *uint64)

func maskInRangeFast(mask []uint64, x []float32, lo, hi float32) int {
	words := len(x) / 64
	if !useAVX512 || words == 0 {
		return 0
	}
	_ = mask[words-1]
	maskInRangeAVX512(words, &mask[0], &x[0], lo, hi)
	return words
}

func zeroUnmaskedFast(dy []float32, mask []uint64) int {
	words := len(dy) / 64
	if !useAVX512 || words == 0 {
		return 0
	}
	_ = mask[words-1]
	zeroUnmaskedAVX512(words, &dy[0], &mask[0])
	return words
}
