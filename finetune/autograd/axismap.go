package autograd

import "runtime"

// axisMap reads a tensor of shape out from one of shape in, one axis at a
// time: output element (i_0, …, i_r−1) is input element (m_0[i_0], …,
// m_r−1[i_r−1]), or fill where some m_k[i_k] is −1. Slice, Pad (every
// mode), Expand and each part of a Concat are axis maps; gather runs one
// forward and scatter runs its adjoint (their backward, and ReduceSum's
// forward, which is Expand's adjoint). Both tensors have the same rank.
type axisMap struct {
	in, out []int
	m       [][]int
	fill    float32
	inner   int // out's last dimension: a row
	rows    int // number of rows of out
	stride  []int
}

// newAxisMap returns the map from in to out with m (one slice of len(out[k])
// per axis). A scalar is treated as [1].
func newAxisMap(in, out []int, m [][]int, fill float32) *axisMap {
	if len(out) == 0 {
		in, out, m = []int{1}, []int{1}, [][]int{{0}}
	}
	a := &axisMap{in: in, out: out, m: m, fill: fill, inner: out[len(out)-1], stride: rowMajor(in)}
	a.rows = 1
	for _, d := range out[:len(out)-1] {
		a.rows *= d
	}
	return a
}

// identityAxes is the map of each axis of shape onto itself.
func identityAxes(shape []int) [][]int {
	m := make([][]int, len(shape))
	for k, d := range shape {
		m[k] = make([]int, d)
		for i := range m[k] {
			m[k][i] = i
		}
	}
	return m
}

func rowMajor(shape []int) []int {
	st := make([]int, len(shape))
	acc := 1
	for k := len(shape) - 1; k >= 0; k-- {
		st[k] = acc
		acc *= shape[k]
	}
	return st
}

// gather writes every element of dst (out-shaped) from src (in-shaped).
func (a *axisMap) gather(dst, src []float32) {
	last := a.m[len(a.m)-1]
	a.eachRow(true, func(row, base int, ok bool) {
		d := dst[row*a.inner : (row+1)*a.inner]
		for j, mj := range last {
			if ok && mj >= 0 {
				d[j] = src[base+mj]
			} else {
				d[j] = a.fill
			}
		}
	})
}

// scatter is gather's adjoint: it adds each element of src (out-shaped) to
// the dst (in-shaped) element it was read from, or stores it there when
// add is false (for a map that reads each input element once).
func (a *axisMap) scatter(dst, src []float32, add bool) {
	last := a.m[len(a.m)-1]
	a.eachRow(a.firstInjective(), func(row, base int, ok bool) {
		if !ok {
			return
		}
		s := src[row*a.inner : (row+1)*a.inner]
		for j, mj := range last {
			switch {
			case mj < 0:
			case add:
				dst[base+mj] += s[j]
			default:
				dst[base+mj] = s[j]
			}
		}
	})
}

// firstInjective reports whether no two indices of the first axis read the
// same input index, so that rows of different first indices write
// different elements in scatter.
func (a *axisMap) firstInjective() bool {
	seen := make([]bool, a.in[0])
	for _, v := range a.m[0] {
		if v >= 0 {
			if seen[v] {
				return false
			}
			seen[v] = true
		}
	}
	return true
}

// eachRow calls f(row, base, ok) for every row of out, base being the input
// offset of the row's outer indices and ok false where one of them maps to
// −1. With split it runs ranges of whole first-axis indices on several
// goroutines; each row still runs exactly once, in order within its range.
func (a *axisMap) eachRow(split bool, f func(row, base int, ok bool)) {
	per := a.rows / max(a.out[0], 1) // rows per first-axis index
	if len(a.out) == 1 {
		per = 1
	}
	run := func(i0, i1 int) {
		idx := make([]int, len(a.out)-1)
		if len(idx) > 0 {
			idx[0] = i0
		}
		for row := i0 * per; row < i1*per; row++ {
			base, ok := 0, true
			for k, i := range idx {
				mk := a.m[k][i]
				ok = ok && mk >= 0
				base += mk * a.stride[k]
			}
			f(row, base, ok)
			for k := len(idx) - 1; k >= 0; k-- {
				if idx[k]++; idx[k] < a.out[k] || k == 0 {
					break
				}
				idx[k] = 0
			}
		}
	}
	first := a.out[0]
	if len(a.out) == 1 {
		first = 1
	}
	parts := min(runtime.GOMAXPROCS(0), first, a.rows*a.inner/grain)
	if !split || parts <= 1 {
		run(0, first)
		return
	}
	parallelFor(parts, func(p int) { run(p*first/parts, (p+1)*first/parts) })
}
