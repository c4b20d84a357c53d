package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// broadcastRows walks an output of shape out row by row (rows of its last
// dim) and calls f with the row's output offset, its length, and, per
// input of the given shapes (numpy-aligned to out), the input offset of
// the row's first element and the step along the row (0 where the input
// broadcasts).
func broadcastRows(out []int, shapes [][]int, f func(o, n int, off, step []int)) {
	total := product(out)
	if total == 0 {
		return
	}
	r := len(out)
	st := make([][]int, len(shapes))
	for i, s := range shapes {
		st[i] = bstrides(s, r)
	}
	inner, step := 1, make([]int, len(shapes))
	if r > 0 {
		inner = out[r-1]
		for i := range shapes {
			step[i] = st[i][r-1]
		}
	}
	idx, off := make([]int, max(r-1, 0)), make([]int, len(shapes))
	for o := 0; o < total; o += inner {
		for i := range shapes {
			off[i] = dot(idx, st[i][:len(idx)])
		}
		f(o, inner, off, step)
		increment(idx, out[:len(idx)])
	}
}

// same checks that every present input has input 0's element type.
func sameTypes(in []*ir.Tensor, first int) error {
	for i, t := range in[first:] {
		if t != nil && t.DType != in[first].DType {
			return fmt.Errorf("input types differ: %v and %v (input %d)", in[first].DType, t.DType, first+i)
		}
	}
	return nil
}

// shapesOf lists the inputs' shapes.
func shapesOf(in []*ir.Tensor) [][]int {
	out := make([][]int, len(in))
	for i, t := range in {
		out[i] = t.Shape
	}
	return out
}
