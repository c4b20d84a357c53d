//go:build !purego

package kernels

//go:noescape
func deinterleave2AVX512(blocks int, src, even, odd *float32, idx *int32)

//go:noescape
func interleave2AVX512(blocks int, first, second, dst *float32, idx *int32)

var interleaveIdx = [32]int32{
	0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
	8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31,
}

var deinterleaveIdx = [32]int32{
	0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
	1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
}

// deinterleave2Fast handles the leading whole blocks of 32 elements of src;
// it returns how many elements of even (and of odd) it wrote.
func deinterleave2Fast(src, even, odd []float32) int {
	blocks := len(src) / 32
	if !useAVX512 || blocks == 0 {
		return 0
	}
	_, _ = even[16*blocks-1], odd[16*blocks-1]
	deinterleave2AVX512(blocks, &src[0], &even[0], &odd[0], &deinterleaveIdx[0])
	return 16 * blocks
}

// interleave2Fast handles the leading whole blocks of 32 elements of dst;
// it returns how many elements of first (and of second) it read.
func interleave2Fast(dst, first, second []float32) int {
	blocks := len(dst) / 32
	if !useAVX512 || blocks == 0 {
		return 0
	}
	_, _ = first[16*blocks-1], second[16*blocks-1]
	interleave2AVX512(blocks, &first[0], &second[0], &dst[0], &interleaveIdx[0])
	return 16 * blocks
}

//go:noescape
func copyRowsAVX512(rows, n int, src *float32, sstride int, dst *float32, dstride int, gap int)

//go:noescape
func copyRowsAVX2(rows, n int, src *float32, sstride int, dst *float32, dstride int, gap int)

func copyRowsFast(dst []float32, dstride int, src []float32, sstride, rows, n, gap int) bool {
	if !(useAVX512 || hasAVX2) || rows == 0 || n == 0 || gap > 16 {
		return false
	}
	_, _ = src[(rows-1)*sstride+n-1], dst[(rows-1)*dstride+n-1]
	if rows > 1 {
		_ = dst[(rows-2)*dstride+n+gap-1]
	}
	if useAVX512 {
		copyRowsAVX512(rows, n, &src[0], sstride, &dst[0], dstride, gap)
	} else {
		copyRowsAVX2(rows, n, &src[0], sstride, &dst[0], dstride, gap)
	}
	return true
}
