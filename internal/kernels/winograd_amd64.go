//go:build !purego

package kernels

//go:noescape
func winoSplitAVX512(n, k, m int, coef, src *float32, sstride int, dst *float32, dstride int)

//go:noescape
func winoMergeAVX512(n int, coef, src *float32, pstride int, dst *float32, dstride int)

// winoSplitFast and winoMergeFast are the AVX-512 bodies of winoSplit
// and winoMerge, run when they report true; the callers have checked the
// slices' lengths.
func winoSplitFast(n, k, m int, coef, src []float32, sstride int, dst []float32, dstride int) bool {
	if !useAVX512 {
		return false
	}
	winoSplitAVX512(n, k, m, &coef[0], &src[0], sstride, &dst[0], dstride)
	return true
}

func winoMergeFast(n int, coef, src []float32, pstride int, dst []float32, dstride int) bool {
	if !useAVX512 {
		return false
	}
	winoMergeAVX512(n, &coef[0], &src[0], pstride, &dst[0], dstride)
	return true
}
