package kernels

import (
	"math"
	"testing"
)

// laneDefinition is the lane rule of sums.go written out once more, element
// by element: the assembly must give exactly these bits.
func laneDefinition(rows, n, stride int, f func(acc *laneSums, i, lane int)) (float64, float64) {
	var acc laneSums
	for r := range rows {
		for j := range n {
			f(&acc, r*stride+j, j%sumLanes)
		}
	}
	return acc.total()
}

func sameFloat64(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b)
}

// TestSums holds ShiftedMoments and CrossSums to their lane definition bit
// for bit, over rows with whole blocks, tails and gaps between them, and
// to a plain float64 sum within rounding.
func TestSums(t *testing.T) {
	r := newRand(7)
	for _, rows := range []int{0, 1, 3} {
		for n := range 50 {
			stride := n + r.IntN(5)
			x, g := make([]float32, rows*stride+1), make([]float32, rows*stride+1)
			for i := range x {
				x[i] = float32(r.NormFloat64()*3 + 100)
				g[i] = float32(r.NormFloat64())
			}
			shift := float64(x[0])
			s, ss := ShiftedMoments(x, rows, n, stride, shift)
			ws, wss := laneDefinition(rows, n, stride, func(a *laneSums, i, l int) {
				d := float64(x[i]) - shift
				a[0][l] += d
				a[1][l] = math.FMA(d, d, a[1][l])
			})
			if !sameFloat64(s, ws) || !sameFloat64(ss, wss) {
				t.Fatalf("ShiftedMoments rows=%d n=%d: (%v, %v), want (%v, %v)", rows, n, s, ss, ws, wss)
			}
			sg, sgx := CrossSums(g, x, rows, n, stride, shift)
			wg, wgx := laneDefinition(rows, n, stride, func(a *laneSums, i, l int) {
				a[0][l] += float64(g[i])
				a[1][l] = math.FMA(float64(g[i]), float64(x[i])-shift, a[1][l])
			})
			if !sameFloat64(sg, wg) || !sameFloat64(sgx, wgx) {
				t.Fatalf("CrossSums rows=%d n=%d: (%v, %v), want (%v, %v)", rows, n, sg, sgx, wg, wgx)
			}
			var plain float64
			for r := range rows {
				for j := range n {
					d := float64(x[r*stride+j]) - shift
					plain += d * d
				}
			}
			if math.Abs(ss-plain) > 1e-12*math.Max(1, plain) {
				t.Fatalf("ShiftedMoments rows=%d n=%d: Σd² %v, plain sum %v", rows, n, ss, plain)
			}
		}
	}
}

// TestSumsNaN: a NaN anywhere makes both sums NaN.
func TestSumsNaN(t *testing.T) {
	for _, at := range []int{0, 5, 17, 31} {
		x := make([]float32, 32)
		x[at] = float32(math.NaN())
		if s, ss := ShiftedMoments(x, 1, 32, 32, 0); !math.IsNaN(s) || !math.IsNaN(ss) {
			t.Fatalf("NaN at %d: moments (%v, %v)", at, s, ss)
		}
		if _, sgx := CrossSums(x, x, 1, 32, 32, 0); !math.IsNaN(sgx) {
			t.Fatalf("NaN at %d: cross sum %v", at, sgx)
		}
	}
}

// TestMinMax holds MinMax to the plain extremes over rows with tails and
// gaps, NaN skipped, and to (+Inf, −Inf) when every value is NaN.
func TestMinMax(t *testing.T) {
	r := newRand(9)
	for _, rows := range []int{0, 1, 3} {
		for n := range 50 {
			stride := n + r.IntN(4)
			x := randSpecials(rows*stride, uint64(rows*100+n))
			lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
			for b := range rows {
				for _, v := range x[b*stride : b*stride+n] {
					if v < lo {
						lo = v
					}
					if v > hi {
						hi = v
					}
				}
			}
			gl, gh := MinMax(x, rows, n, stride)
			if gl != lo || gh != hi {
				t.Fatalf("rows=%d n=%d: (%v, %v), want (%v, %v)", rows, n, gl, gh, lo, hi)
			}
		}
	}
	nan := []float32{float32(math.NaN()), float32(math.NaN())}
	if lo, hi := MinMax(nan, 1, 2, 2); !math.IsInf(float64(lo), 1) || !math.IsInf(float64(hi), -1) {
		t.Fatalf("all NaN: (%v, %v)", lo, hi)
	}
}

// TestCombine holds Combine to its element rule bit for bit, out of place
// and in place, at every length across the vector width.
func TestCombine(t *testing.T) {
	const a, b, c = 1.5, -0.75, 0.125
	for n := range 40 {
		g, x := randSpecials(n, uint64(n)), randSpecials(n+3, uint64(n+50))
		want := make([]float32, n)
		for i := range want {
			want[i] = float32(a*g[i]) + float32(b*x[i]) + c
		}
		got := make([]float32, n)
		Combine(got, g, x, a, b, c)
		inPlace := append([]float32(nil), g...)
		Combine(inPlace, inPlace, x, a, b, c)
		for i := range want {
			if !sameFloat(got[i], want[i]) || !sameFloat(inPlace[i], want[i]) {
				t.Fatalf("n=%d [%d]: a·%v + b·%v + c = %v (in place %v), want %v", n, i, g[i], x[i], got[i], inPlace[i], want[i])
			}
		}
	}
}

func BenchmarkSums(b *testing.B) {
	x := make([]float32, 128*1024)
	for i := range x {
		x[i] = float32(i%97) * 0.01
	}
	b.Run("ShiftedMoments", func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for range b.N {
			ShiftedMoments(x, 128, 1024, 1024, 0.5)
		}
	})
	b.Run("CrossSums", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for range b.N {
			CrossSums(x, x, 128, 1024, 1024, 0.5)
		}
	})
	b.Run("Combine", func(b *testing.B) {
		dst := make([]float32, len(x))
		b.SetBytes(int64(12 * len(x)))
		for range b.N {
			Combine(dst, x, x, 0.5, 0.25, 0)
		}
	})
}
