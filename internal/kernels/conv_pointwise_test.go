package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestBatchedPointwise holds the batched 1×1 forward (bias, epilogue and
// moments) and input gradient to the references, and to the bits of the
// one-image-at-a-time GEMMs, over strides 1 to 3, odd planes and batches
// that leave a short last chunk.
func TestBatchedPointwise(t *testing.T) {
	for _, s := range []int{1, 2, 3} {
		for _, hw := range [][2]int{{1, 1}, {3, 5}, {7, 7}, {10, 9}} {
			for _, n := range []int{2, 5} {
				p := ConvParams{N: n, C: 19, H: hw[0], W: hw[1], K: 21, KH: 1, KW: 1, StrideH: s, StrideW: s,
					DilationH: 1, DilationW: 1, Groups: 1}
				name := fmt.Sprintf("%+v", p)
				defer func(c int) { pointwiseCols = c }(pointwiseCols)
				pointwiseCols = 3 * p.OutH() * p.OutW() // chunks of 3 images
				if p.pointwiseBatch() < 2 {
					t.Fatalf("%s: not batched", name)
				}
				r := newRand(uint64(31 * (s + n + hw[0])))
				x, w, bias, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.K), randSlice(r, p.YLen())
				res := randSlice(r, p.YLen())
				tol := 3e-6 * float64(p.C+p.K+4)
				var outs [2][2][]float32
				for pass, cols := range []int{pointwiseCols, 1 << 30} {
					pointwiseCols = cols
					y, dx := newGuarded(p.YLen()), newGuarded(p.XLen())
					ep := Epilogue{Add: res, ReLU: true, Moments: make([]PlaneMoments, p.N*p.K)}
					Conv2DEpilogue(p, x, w, bias, y.data(), ep)
					fillSentinel(dx.data())
					Conv2DBackwardData(p, dy, w, dx.data())
					y.check(t, name)
					dx.check(t, name)
					outs[pass] = [2][]float32{y.data(), dx.data()}
					plane := p.OutH() * p.OutW()
					for j, m := range ep.Moments {
						if m != planeMoments(y.data()[j*plane:(j+1)*plane]) {
							t.Fatalf("%s: moments of plane %d", name, j)
						}
					}
				}
				for o := range 2 {
					for i, v := range outs[0][o] {
						if math.Float32bits(v) != math.Float32bits(outs[1][o][i]) {
							t.Fatalf("%s: output %d element %d differs from one image at a time", name, o, i)
						}
					}
				}
				want, wantDx := make([]float32, p.YLen()), make([]float32, p.XLen())
				Conv2DRef(p, x, w, bias, want)
				for i := range want {
					want[i] = max(want[i]+res[i], 0)
				}
				Conv2DBackwardDataRef(p, dy, w, wantDx)
				if err := closeTo(outs[0][0], want, tol); err != nil {
					t.Fatalf("Conv2D %s: %v", name, err)
				}
				if err := closeTo(outs[0][1], wantDx, tol); err != nil {
					t.Fatalf("Conv2DBackwardData %s: %v", name, err)
				}
			}
		}
	}
}
