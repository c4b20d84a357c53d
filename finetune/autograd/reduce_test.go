package autograd

import (
	"math/rand/v2"
	"testing"
)

func reduceCases() []opCase {
	red := func(f func(*Tape, *Tensor, []int, bool) (*Tensor, error), axes []int, keep bool) forwardFn {
		return func(tp *Tape, in []*Tensor) (*Tensor, error) { return f(tp, in[0], axes, keep) }
	}
	in := shapeIn([]int{2, 3, 4, 5}, []int{8, 16, 48, 48})
	c := func(name string, f forwardFn) opCase {
		return opCase{name: name, f: f, inputs: in, eps: 1e-2, tol: 2e-3, codeTol: -1, saved: noneSaved}
	}
	argBytes := func(out int) func([]*Tensor) (int64, int64) {
		return func([]*Tensor) (int64, int64) { return int64(4 * out), int64(4 * out) }
	}
	distinct := func(r *rand.Rand, big bool) []*Tensor { // a clear maximum per window
		x := in(r, big)[0]
		for i := range x.Data {
			x.Data[i] += float32(i%7) * 0.2
		}
		return []*Tensor{x}
	}
	return []opCase{
		c("ReduceMeanSE", red((*Tape).ReduceMean, []int{2, 3}, true)), // the SE squeeze
		c("ReduceMeanBatch", red((*Tape).ReduceMean, []int{0}, false)),
		c("ReduceSumAll", red((*Tape).ReduceSum, []int{0, 1, 2, 3}, false)),
		c("ReduceSumMiddle", red((*Tape).ReduceSum, []int{1, 3}, true)),
		c("ReduceSumNone", red((*Tape).ReduceSum, nil, true)),
		{name: "ReduceMax", f: red((*Tape).ReduceMax, []int{1, 3}, false), inputs: distinct, eps: 1e-3, tol: 2e-3, codeTol: -1, saved: argBytes(2 * 4)},
	}
}

func TestReduceGrad(t *testing.T) { checkOps(t, reduceCases()) }

func TestReduceValues(t *testing.T) {
	x := New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 9})
	for _, c := range []struct {
		f    func(*Tape, *Tensor, []int, bool) (*Tensor, error)
		axes []int
		want []float32
	}{
		{(*Tape).ReduceSum, []int{0}, []float32{5, 7, 12}},
		{(*Tape).ReduceMean, []int{1}, []float32{2, 6}},
		{(*Tape).ReduceMax, []int{1}, []float32{3, 9}},
	} {
		y, err := c.f(nil, x, c.axes, false)
		must(t, err)
		for i, w := range c.want {
			if y.Data[i] != w {
				t.Fatalf("axes %v: %v, want %v", c.axes, y.Data, c.want)
			}
		}
	}
}
