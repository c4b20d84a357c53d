package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestWinoRows holds winoSplit and winoMerge (their AVX-512 bodies where
// there are) to float64 evaluations of their definitions, over tile
// counts around whole 16-tile blocks, with no tiles dropped and with
// segments shorter and longer than a block.
func TestWinoRows(t *testing.T) {
	r := newRand(13)
	for _, n := range []int{1, 3, 15, 16, 17, 32, 37, 70} {
		for _, seg := range []int{0, 1, 2, 3, 7, 15, 16, 17, 40} {
			for _, km := range [][2]int{{6, 6}, {4, 6}, {6, 3}} {
				checkWinoSplit(t, r, n, km[0], km[1], seg)
			}
			checkWinoMerge(t, r, n, seg)
		}
	}
}

func checkWinoSplit(t *testing.T, r *rand.Rand, n, k, m, seg int) {
	t.Helper()
	name := fmt.Sprintf("split n=%d k=%d m=%d seg=%d", n, k, m, seg)
	sstride := winoRowRoom(n) + 3
	src := randSlice(r, 5*sstride+winoRowRoom(n))
	coef := randSlice(r, m*k)
	dstride := n + 5
	dst := make([]float32, 6*m*dstride)
	fillSentinel(dst)
	winoSplit(n, k, m, coef, src, sstride, dst, dstride, seg)
	for i := range 6 {
		for j := range m {
			out := dst[(i*m+j)*dstride : (i*m+j+1)*dstride]
			for tt := range n {
				if seg > 0 && tt%seg == seg-1 {
					continue
				}
				var want float64
				for c := range k {
					want += float64(coef[j*k+c]) * float64(src[i*sstride+4*tt+c])
				}
				if err := closeTo(out[kept(tt, seg):][:1], []float32{float32(want)}, 1e-6); err != nil {
					t.Fatalf("%s: row %d out %d tile %d: %v", name, i, j, tt, err)
				}
			}
			for _, v := range out[kept(n, seg):] {
				if v != sentinel {
					t.Fatalf("%s: wrote past the kept tiles", name)
				}
			}
		}
	}
}

func checkWinoMerge(t *testing.T, r *rand.Rand, n, seg int) {
	t.Helper()
	name := fmt.Sprintf("merge n=%d seg=%d", n, seg)
	pstride := kept(n, seg) + 2
	src := randSlice(r, 36*pstride)
	coef := randSlice(r, 24)
	dstride := winoRowRoom(n) + 1
	dst := make([]float32, 6*dstride)
	fillSentinel(dst)
	winoMerge(n, coef, src, pstride, dst, dstride, seg)
	for i := range 6 {
		for tt := range n {
			for j := range 4 {
				var want float64
				if seg == 0 || tt%seg != seg-1 {
					for c := range 6 {
						want += float64(coef[j*6+c]) * float64(src[(6*i+c)*pstride+kept(tt, seg)])
					}
				}
				if err := closeTo([]float32{dst[i*dstride+4*tt+j]}, []float32{float32(want)}, 1e-6); err != nil {
					t.Fatalf("%s: row %d tile %d out %d: %v", name, i, tt, j, err)
				}
			}
		}
		if dst[i*dstride+winoRowRoom(n)] != sentinel {
			t.Fatalf("%s: wrote past the row's room", name)
		}
	}
}
