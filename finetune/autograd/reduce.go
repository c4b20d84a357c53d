package autograd

import (
	"fmt"
	"math"
)

// reduceOp sums (or averages) over axes: the adjoint of Expand, so its
// backward is Expand's forward. It saves nothing.
type reduceOp struct {
	am      *axisMap // from the kept shape to x's
	div     float32  // the count for a mean, else 1
	n       int
	out, in *Grad
	bufs    *Buffers
}

// ReduceSum sums x over axes (each in [0, rank), no repeats; none means
// none), keeping them as size 1 when keep is set (ONNX ReduceSum once the
// axes are resolved). ReduceMean is ReduceSum divided by the count.
func (tp *Tape) ReduceSum(x *Tensor, axes []int, keep bool) (*Tensor, error) {
	return tp.reduce(x, axes, keep, false)
}

// ReduceMean averages x over axes (see ReduceSum).
func (tp *Tape) ReduceMean(x *Tensor, axes []int, keep bool) (*Tensor, error) {
	return tp.reduce(x, axes, keep, true)
}

func (tp *Tape) reduce(x *Tensor, axes []int, keep, mean bool) (*Tensor, error) {
	kept, shape, count, err := reducedShapes(x.Shape, axes, keep)
	if err != nil {
		return nil, err
	}
	am := newAxisMap(kept, x.Shape, broadcastAxes(kept, x.Shape), 0)
	y := tp.output(lenOf(shape), x)
	clear(y)
	am.scatter(y, x.Data, true)
	div := float32(1)
	if mean {
		div = float32(count)
		for i := range y {
			y[i] /= div
		}
	}
	out := result(shape, y, x)
	if tp.recording(x) {
		tp.record(out, &reduceOp{am: am, div: div, n: len(x.Data), out: out.g, in: x.g, bufs: tp.Buffers})
	}
	return out, nil
}

// reducedShapes is x's shape with the axes set to 1 (kept), the output
// shape (kept, or without the axes) and the number of elements each output
// sums.
func reducedShapes(x []int, axes []int, keep bool) (kept, shape []int, count int, err error) {
	kept, count = append([]int(nil), x...), 1
	for _, a := range axes {
		if a < 0 || a >= len(x) || kept[a] == 1 && x[a] != 1 {
			return nil, nil, 0, fmt.Errorf("autograd: reduce axes %v are out of range or repeated for %v", axes, x)
		}
		count *= x[a]
		kept[a] = 1
	}
	shape = kept
	if !keep {
		shape = []int{}
		for k, d := range x {
			if !containsAxis(axes, k) {
				shape = append(shape, d)
			}
		}
	}
	return kept, shape, count, nil
}

func containsAxis(axes []int, k int) bool {
	for _, a := range axes {
		if a == k {
			return true
		}
	}
	return false
}

func (o *reduceOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	dx := o.bufs.get(o.n)
	if o.n > 0 {
		o.am.gather(dx, o.out.Data)
	}
	if o.div != 1 {
		for i := range dx {
			dx[i] /= o.div
		}
	}
	if !o.in.take(dx) {
		o.bufs.put(dx)
	}
}

func (o *reduceOp) saved() []Saved { return nil }

// reduceMaxOp keeps each output's argmax, an int32 index into x per
// output element (a reduced, small tensor), on both tapes.
type reduceMaxOp struct {
	arg     *int32Buf
	n       int
	out, in *Grad
}

// ReduceMax takes the maximum of x over axes (see ReduceSum); the gradient
// goes to the first maximal element.
func (tp *Tape) ReduceMax(x *Tensor, axes []int, keep bool) (*Tensor, error) {
	kept, shape, _, err := reducedShapes(x.Shape, axes, keep)
	if err != nil {
		return nil, err
	}
	am := newAxisMap(kept, x.Shape, broadcastAxes(kept, x.Shape), 0)
	y := tp.output(lenOf(shape), x)
	arg := make([]int32, len(y))
	for i := range arg {
		y[i], arg[i] = float32(math.Inf(-1)), -1 // the maximum of nothing
	}
	last := am.m[len(am.m)-1]
	am.eachRow(am.firstInjective(), func(row, base int, _ bool) {
		for j, mj := range last {
			o, i := base+mj, row*am.inner+j
			if arg[o] < 0 || x.Data[i] > y[o] {
				y[o], arg[o] = x.Data[i], int32(i)
			}
		}
	})
	out := result(shape, y, x)
	if tp.recording(x) {
		tp.record(out, &reduceMaxOp{arg: &int32Buf{v: arg}, n: len(x.Data), out: out.g, in: x.g})
	}
	return out, nil
}

func (o *reduceMaxOp) backward() {
	dy := o.out.Data
	if dy == nil || o.in == nil {
		return
	}
	dx := o.in.buf()
	for i, a := range o.arg.v {
		if a >= 0 {
			dx[a] += dy[i]
		}
	}
}

func (o *reduceMaxOp) saved() []Saved { return []Saved{o.arg} }
