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

// The AVX2 bodies take whole blocks of 8 (scaleAddRowsAVX2 every element).
//
//go:noescape
func addIntoAVX2(blocks int, dst, src *float32)

//go:noescape
func reluAVX2(blocks int, dst, src *float32)

//go:noescape
func zeroOutsideAVX2(blocks int, dy, ref *float32, lo, hi float32)

//go:noescape
func maxIntoAVX2(blocks int, dst, src *float32)

//go:noescape
func scaleAddRowsAVX2(rows, n int, src *float32, sstride int, s, b float32, dst *float32, dstride int, floor float32)

// The fast paths return how many leading elements they handled: all of
// them with AVX-512, the whole blocks of 8 with AVX2, none otherwise. The
// callers cut src to len(dst).

// addIntoFast, reluFast and maxIntoFast repeat one switch rather than
// share a helper taking the bodies as func values: through a func value
// dst and src would escape, and callers' stack buffers move to the heap.

func addIntoFast(dst, src []float32) int {
	n := len(dst)
	switch {
	case n == 0:
		return 0
	case useAVX512:
		_ = src[n-1]
		addIntoAVX512(n, &dst[0], &src[0])
		return n
	case hasAVX2 && n >= 8:
		_ = src[n-1]
		addIntoAVX2(n/8, &dst[0], &src[0])
		return n &^ 7
	}
	return 0
}

func reluFast(dst, src []float32) int {
	n := len(dst)
	switch {
	case n == 0:
		return 0
	case useAVX512:
		_ = src[n-1]
		reluAVX512(n, &dst[0], &src[0])
		return n
	case hasAVX2 && n >= 8:
		_ = src[n-1]
		reluAVX2(n/8, &dst[0], &src[0])
		return n &^ 7
	}
	return 0
}

func maxIntoFast(dst, src []float32) int {
	n := len(dst)
	switch {
	case n == 0:
		return 0
	case useAVX512:
		_ = src[n-1]
		maxIntoAVX512(n, &dst[0], &src[0])
		return n
	case hasAVX2 && n >= 8:
		_ = src[n-1]
		maxIntoAVX2(n/8, &dst[0], &src[0])
		return n &^ 7
	}
	return 0
}

func zeroOutsideFast(dy, ref []float32, lo, hi float32) int {
	n := len(dy)
	switch {
	case n == 0:
		return 0
	case useAVX512:
		_ = ref[n-1]
		zeroOutsideAVX512(n, &dy[0], &ref[0], lo, hi)
		return n
	case hasAVX2 && n >= 8:
		_ = ref[n-1]
		zeroOutsideAVX2(n/8, &dy[0], &ref[0], lo, hi)
		return n &^ 7
	}
	return 0
}

func scaleAddRowsFast(dst []float32, dstride int, src []float32, sstride, rows, n int, s, b, floor float32) bool {
	if rows == 0 || n == 0 {
		return true
	}
	if !useAVX512 && !hasAVX2 {
		return false
	}
	_, _ = src[(rows-1)*sstride+n-1], dst[(rows-1)*dstride+n-1]
	if useAVX512 {
		scaleAddRowsAVX512(rows, n, &src[0], sstride, s, b, &dst[0], dstride, floor)
	} else {
		scaleAddRowsAVX2(rows, n, &src[0], sstride, s, b, &dst[0], dstride, floor)
	}
	return true
}

//go:noescape
func maskInRangeAVX512(words int, mask *uint64, x *float32, lo, hi float32)

//go:noescape
func zeroUnmaskedAVX512(words int, dy *float32, mask *uint64)

//go:noescape
func maskInRangeAVX2(words int, mask *uint64, x *float32, lo, hi float32)

//go:noescape
func zeroUnmaskedAVX2(words int, dy *float32, mask *uint64)

func maskInRangeFast(mask []uint64, x []float32, lo, hi float32) int {
	words := len(x) / 64
	if !(useAVX512 || hasAVX2) || words == 0 {
		return 0
	}
	_ = mask[words-1]
	if useAVX512 {
		maskInRangeAVX512(words, &mask[0], &x[0], lo, hi)
	} else {
		maskInRangeAVX2(words, &mask[0], &x[0], lo, hi)
	}
	return words
}

func zeroUnmaskedFast(dy []float32, mask []uint64) int {
	words := len(dy) / 64
	if !(useAVX512 || hasAVX2) || words == 0 {
		return 0
	}
	_ = mask[words-1]
	if useAVX512 {
		zeroUnmaskedAVX512(words, &dy[0], &mask[0])
	} else {
		zeroUnmaskedAVX2(words, &dy[0], &mask[0])
	}
	return words
}
