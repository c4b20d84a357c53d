package kernels

import "math"

// Per-channel sums for batch normalization's statistics and backward. They
// keep float64 partial sums in sumLanes lanes: element j of a row goes to
// lane j mod sumLanes and the lanes are added in a fixed tree at the end,
// so a result depends neither on the goroutine split nor on whether the
// AVX-512 body (sums_avx512_amd64.s) or the Go loop ran.

// sumLanes is the number of float64 partial sums per quantity.
const sumLanes = 16

// laneSums holds two quantities' partial sums, lane by lane.
type laneSums [2][sumLanes]float64

// total adds each quantity's lanes pairwise, always in the same order.
func (a *laneSums) total() (float64, float64) {
	add := func(x, y float64) float64 { return x + y }
	return foldLanes(&a[0], add), foldLanes(&a[1], add)
}

// foldLanes combines the lanes pairwise into lane 0, always in the same
// tree: lane l with lane l+w for w = sumLanes/2, …, 1.
func foldLanes[T any](lanes *[sumLanes]T, f func(T, T) T) T {
	for w := sumLanes / 2; w > 0; w /= 2 {
		for l := range w {
			lanes[l] = f(lanes[l], lanes[l+w])
		}
	}
	return lanes[0]
}

// ShiftedMoments returns Σ(x−shift) and Σ(x−shift)² over rows rows of n
// elements of x, stride apart. With shift a value near the mean (any
// element of the data does) one pass gives the variance without the
// cancellation of Σx² − (Σx)²/M.
func ShiftedMoments(x []float32, rows, n, stride int, shift float64) (s, ss float64) {
	var acc laneSums
	for r := range rows {
		row := x[r*stride : r*stride+n]
		done := momentsFast(&acc, row, shift)
		for j := done; j < n; j++ {
			d := float64(row[j]) - shift
			acc[0][j%sumLanes] += d
			acc[1][j%sumLanes] = math.FMA(d, d, acc[1][j%sumLanes])
		}
	}
	return acc.total()
}

// CrossSums returns Σg and Σg·(x−shift) over rows rows of n elements of g
// and x, stride apart (the gradient sums of batch normalization).
func CrossSums(g, x []float32, rows, n, stride int, shift float64) (sg, sgx float64) {
	return CrossSumsStrided(g, stride, x, stride, rows, n, shift)
}

// CrossSumsStrided is CrossSums with the rows of g gStride apart and those
// of x xStride apart (x̂ decoded one channel at a time into a compact
// buffer): the same sums, in the same order.
func CrossSumsStrided(g []float32, gStride int, x []float32, xStride int, rows, n int, shift float64) (sg, sgx float64) {
	var acc laneSums
	for r := range rows {
		gr, xr := g[r*gStride:r*gStride+n], x[r*xStride:r*xStride+n]
		done := crossFast(&acc, gr, xr, shift)
		for j := done; j < n; j++ {
			v := float64(gr[j])
			acc[0][j%sumLanes] += v
			acc[1][j%sumLanes] = math.FMA(v, float64(xr[j])-shift, acc[1][j%sumLanes])
		}
	}
	return acc.total()
}

// Combine sets dst[i] = a·g[i] + b·x[i] + c, each product rounded and the
// sums taken left to right (no fused multiply-add). dst may be g or x.
func Combine(dst, g, x []float32, a, b, c float32) {
	g, x = g[:len(dst)], x[:len(dst)]
	done := combineFast(dst, g, x, a, b, c)
	for i := done; i < len(dst); i++ {
		dst[i] = float32(a*g[i]) + float32(b*x[i]) + c
	}
}

// MinMax returns the least and greatest non-NaN values of rows rows of n
// elements of x, stride apart: (+Inf, −Inf) when there are none. It keeps
// sumLanes running extremes, element j of a row in lane j mod sumLanes,
// each replaced only by a strictly smaller (greater) value, then combines
// the lanes in a fixed tree the same way.
func MinMax(x []float32, rows, n, stride int) (lo, hi float32) {
	var acc [2][sumLanes]float32
	for l := range sumLanes {
		acc[0][l], acc[1][l] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for r := range rows {
		row := x[r*stride : r*stride+n]
		done := minMaxFast(&acc, row)
		for j := done; j < n; j++ {
			v := row[j]
			if v < acc[0][j%sumLanes] {
				acc[0][j%sumLanes] = v
			}
			if v > acc[1][j%sumLanes] {
				acc[1][j%sumLanes] = v
			}
		}
	}
	lower := func(a, b float32) float32 {
		if b < a {
			return b
		}
		return a
	}
	higher := func(a, b float32) float32 {
		if b > a {
			return b
		}
		return a
	}
	return foldLanes(&acc[0], lower), foldLanes(&acc[1], higher)
}
