//go:build !purego

package kernels

var avx512FilterKernels = filterKernels{name: "avx512-filter",
	tile: func(cb, nv, steps, nimg int, x []float32, plane, ximg int, dy []float32, dstep, dimg int, acc []float32, astride int) {
		if filterTileArgs(cb, nv, steps, nimg, x, plane, ximg, dy, dstep, dimg, acc, astride) {
			filterTilesAVX512[nv][cb](steps, nimg, &x[0], plane, ximg, &dy[0], dstep, dimg, &acc[0], astride)
		}
	},
	transpose: func(dst []float32, dstride int, src []float32, sstride, n int) {
		if transposeArgs(dst, dstride, src, sstride, n) {
			transpose16AVX512(&dst[0], dstride, &src[0], sstride, n)
		}
	},
	maxCb: filterMaxCb}

// avx2FilterKernels has tiles of 16 output channels (nv 1) only: wider
// blocks' sums would not fit in the 16 ymm registers.
var avx2FilterKernels = filterKernels{name: "avx2-filter",
	tile: func(cb, nv, steps, nimg int, x []float32, plane, ximg int, dy []float32, dstep, dimg int, acc []float32, astride int) {
		if nv != 1 || cb < 1 || cb >= len(filterTilesAVX2) {
			panic("kernels: no AVX2 filter tile for this block")
		}
		if filterTileArgs(cb, nv, steps, nimg, x, plane, ximg, dy, dstep, dimg, acc, astride) {
			filterTilesAVX2[cb](steps, nimg, &x[0], plane, ximg, &dy[0], dstep, dimg, &acc[0], astride)
		}
	},
	transpose: func(dst []float32, dstride int, src []float32, sstride, n int) {
		if transposeArgs(dst, dstride, src, sstride, n) {
			transpose16AVX2(&dst[0], dstride, &src[0], sstride, n)
		}
	},
	maxCb: [5]int{1: len(filterTilesAVX2) - 1}}

// filterTileArgs reports whether a filter tile has work, after checking
// (by panicking, as an index would) that x, dy and acc hold every element
// the assembly tile reads or adds to: its pointers bypass Go's checks.
func filterTileArgs(cb, nv, steps, nimg int, x []float32, plane, ximg int, dy []float32, dstep, dimg int, acc []float32, astride int) bool {
	if steps == 0 || nimg == 0 {
		return false
	}
	_ = x[(nimg-1)*ximg+(cb-1)*plane+steps-1]
	_ = dy[(nimg-1)*dimg+(steps-1)*dstep+16*nv-1]
	_ = acc[(cb-1)*astride+16*nv-1]
	return true
}

// transposeArgs is filterTileArgs for the 16-row transposes.
func transposeArgs(dst []float32, dstride int, src []float32, sstride, n int) bool {
	if n == 0 {
		return false
	}
	_ = dst[(n-1)*dstride+15]
	_ = src[15*sstride+n-1]
	return true
}

// filterKernelsFor is the filter-gradient set for channelBackwardFilter,
// or nil where shiftBackwardFilter's tiles serve better.
func filterKernelsFor() *filterKernels {
	switch {
	case useAVX512:
		return &avx512FilterKernels
	case hasAVX2:
		return &avx2FilterKernels
	}
	return nil
}

// asmFilterKernels lists the filter-gradient sets this CPU can run, for tests.
func asmFilterKernels() []*filterKernels {
	var fks []*filterKernels
	if hasAVX512 {
		fks = append(fks, &avx512FilterKernels)
	}
	if hasAVX2 {
		fks = append(fks, &avx2FilterKernels)
	}
	return fks
}
