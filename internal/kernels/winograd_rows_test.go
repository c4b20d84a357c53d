package kernels

import (
	"fmt"
	"math"
	"math/big"
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

// fma32 is a·b + c rounded once to float32, as VFMADD231PS rounds it.
func fma32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(400).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(400).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// fusedDot is Σ_q c[q]·d[q] as the vector bodies take it: a multiply,
// then a fused multiply-add per further term, in order.
func fusedDot(c []float32, d func(q int) float32) float32 {
	s := c[0] * d(0)
	for q := 1; q < len(c); q++ {
		s = fma32(c[q], d(q), s)
	}
	return s
}

// TestWinoFusedBits holds the vector bodies of linRows, winoSplit and
// winoMerge (AVX-512 or AVX2) to the same bits: each sum a multiply and
// fused multiply-adds in the definitions' order, so that a model's
// Winograd convolutions give the same numbers on either.
func TestWinoFusedBits(t *testing.T) {
	if !linRowsFast(1, []float32{1}, []float32{1}, []int{0}, make([]float32, 1), []int{0}) {
		t.Skip("no vector bodies: the Go loops run")
	}
	r := newRand(17)
	bits := func(what string, got, want float32) {
		t.Helper()
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("%s: got %v (%#x), want %v (%#x)", what, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	for _, n := range []int{1, 7, 8, 9, 16, 23, 37, 70} {
		for k := 1; k <= 6; k++ {
			m := 7 - k
			src, coef := randSlice(r, k*n), randSlice(r, m*k)
			soffs, doffs := make([]int, k), make([]int, m)
			for i := range soffs {
				soffs[i] = i * n
			}
			for i := range doffs {
				doffs[i] = i * n
			}
			dst := make([]float32, m*n)
			linRows(n, coef, src, soffs, dst, doffs)
			for i := range m {
				for l := range n {
					bits(fmt.Sprintf("linRows n=%d k=%d row %d lane %d", n, k, i, l), dst[i*n+l],
						fusedDot(coef[i*k:(i+1)*k], func(q int) float32 { return src[q*n+l] }))
				}
			}
		}
		for _, seg := range []int{0, 3, 5, 9, 17} {
			for _, km := range [][2]int{{6, 6}, {4, 6}} {
				k, m := km[0], km[1]
				sstride := winoRowRoom(n)
				src, coef := randSlice(r, 6*sstride), randSlice(r, m*k)
				dstride := kept(n, seg)
				dst := make([]float32, 6*m*dstride)
				winoSplit(n, k, m, coef, src, sstride, dst, dstride, seg)
				for i := range 6 {
					for j := range m {
						for tt := range n {
							if seg > 0 && tt%seg == seg-1 {
								continue
							}
							bits(fmt.Sprintf("split n=%d k=%d seg=%d row %d out %d tile %d", n, k, seg, i, j, tt),
								dst[(i*m+j)*dstride+kept(tt, seg)],
								fusedDot(coef[j*k:(j+1)*k], func(q int) float32 { return src[i*sstride+4*tt+q] }))
						}
					}
				}
			}
			pstride := kept(n, seg)
			src, coef := randSlice(r, 36*pstride), randSlice(r, 24)
			dstride := winoRowRoom(n)
			dst := make([]float32, 6*dstride)
			winoMerge(n, coef, src, pstride, dst, dstride, seg)
			for i := range 6 {
				for tt := range n {
					for j := range 4 {
						bits(fmt.Sprintf("merge n=%d seg=%d row %d tile %d out %d", n, seg, i, tt, j), dst[i*dstride+4*tt+j],
							fusedDot(coef[j*6:j*6+6], func(q int) float32 {
								if seg > 0 && tt%seg == seg-1 {
									return 0
								}
								return src[(6*i+q)*pstride+kept(tt, seg)]
							}))
					}
				}
			}
		}
	}
}
