package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// The ops that move elements (Slice, Split, Pad, Concat, Transpose,
// Expand, Reshape) run on float tensors through the tape and on the small
// integer tensors of shape subgraphs (torch's F.pad builds its pads with
// Reshape, Slice and Transpose) through moveData.

// moveFunc runs an element-moving op on xs.
type moveFunc func(tp *autograd.Tape, xs []*autograd.Tensor) ([]*autograd.Tensor, error)

// maxIndexed is the most integer elements moveData numbers exactly in
// float32.
const maxIndexed = 1 << 24

// moveData runs f on the values named by nd's first k inputs, all float or
// all integer, and sets nd's outputs. Integer inputs move by their element
// numbers: each becomes a float tensor numbering its elements, f runs
// untaped on those, and each output element takes the integer its number
// points at.
func (r *run) moveData(nd *ir.Node, k int, f moveFunc) error {
	vs := make([]value, k)
	floats := 0
	for i := range k {
		v, ok := r.get(nd.Input(i))
		if !ok {
			return fmt.Errorf("input %q is undefined", nd.Input(i))
		}
		vs[i] = v
		if v.t != nil {
			floats++
		}
	}
	if floats == k {
		xs := make([]*autograd.Tensor, k)
		for i, v := range vs {
			xs[i] = v.t
		}
		ys, err := f(r.tp, xs)
		if err != nil {
			return err
		}
		return r.setAll(nd, ys, nil)
	}
	if floats > 0 {
		return fmt.Errorf("inputs mix float and integer tensors")
	}
	var pool []int64
	xs := make([]*autograd.Tensor, k)
	for i, v := range vs {
		if len(pool)+len(v.ints) > maxIndexed {
			return fmt.Errorf("integer inputs of %d elements are too large", len(pool)+len(v.ints))
		}
		idx := make([]float32, len(v.ints))
		for j := range idx {
			idx[j] = float32(len(pool) + j)
		}
		pool = append(pool, v.ints...)
		xs[i] = autograd.New(v.shape, idx)
	}
	ys, err := f(nil, xs)
	if err != nil {
		return err
	}
	return r.setAll(nd, ys, pool)
}

// setAll sets nd's outputs to ys: float tensors, or when pool is not nil
// the integers of pool that ys number.
func (r *run) setAll(nd *ir.Node, ys []*autograd.Tensor, pool []int64) error {
	if len(ys) != len(nd.Outputs) {
		return fmt.Errorf("%d outputs, the graph names %d", len(ys), len(nd.Outputs))
	}
	for i, y := range ys {
		if pool == nil {
			r.env[nd.Outputs[i]] = value{t: y}
			continue
		}
		ints := make([]int64, len(y.Data))
		for j, f := range y.Data {
			ints[j] = pool[int(f)]
		}
		r.env[nd.Outputs[i]] = value{ints: ints, shape: y.Shape}
	}
	return nil
}

// one adapts a single-output op to moveFunc.
func one(f func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error)) moveFunc {
	return func(tp *autograd.Tape, xs []*autograd.Tensor) ([]*autograd.Tensor, error) {
		y, err := f(tp, xs[0])
		if err != nil {
			return nil, err
		}
		return []*autograd.Tensor{y}, nil
	}
}

func opReshape(r *run, nd *ir.Node) error {
	target, _, err := r.ints(nd, 1)
	if err != nil {
		return err
	}
	a, err := attrsOf[schema.Reshape](r.n, nd)
	if err != nil {
		return err
	}
	return r.moveData(nd, 1, one(func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		shape, err := autograd.ReshapeDims(x.Shape, target, a.AllowZero)
		if err != nil {
			return nil, err
		}
		return tp.View(x, shape), nil
	}))
}

func opTranspose(r *run, nd *ir.Node) error {
	a, err := attrsOf[schema.Transpose](r.n, nd)
	if err != nil {
		return err
	}
	var perm []int // nil: the axes reversed
	for _, p := range a.Perm {
		perm = append(perm, int(p))
	}
	return r.moveData(nd, 1, one(func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		return tp.Transpose(x, perm)
	}))
}

func opExpand(r *run, nd *ir.Node) error {
	shape, _, err := r.ints(nd, 1)
	if err != nil {
		return err
	}
	dims, err := toDims(shape, "shape")
	if err != nil {
		return err
	}
	return r.moveData(nd, 1, one(func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		out, err := schema.Broadcast(x.Shape, dims)
		if err != nil {
			return nil, err
		}
		if err := checkElements(out); err != nil {
			return nil, err
		}
		return tp.Expand(x, dims)
	}))
}

// toDims converts non-negative int64 sizes to ints.
func toDims(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, d := range v {
		if d < 0 || d > schema.DefaultMaxElements {
			return nil, fmt.Errorf("%s %v has a size out of range", what, v)
		}
		out[i] = int(d)
	}
	return out, nil
}

// checkElements refuses a shape of more than the op layer's element
// ceiling, before anything of that size is allocated.
func checkElements(shape []int) error {
	n := 1
	for _, d := range shape {
		if d != 0 && n > schema.DefaultMaxElements/d {
			return fmt.Errorf("shape %v has more than %d elements", shape, schema.DefaultMaxElements)
		}
		n *= d
	}
	return nil
}

// opConcat joins float tensors (the zero-channel shortcut) or the integer
// values of shape subgraphs.
func opConcat(r *run, nd *ir.Node) error {
	c, err := attrsOf[schema.Concat](r.n, nd)
	if err != nil {
		return err
	}
	return r.moveData(nd, len(nd.Inputs), func(tp *autograd.Tape, xs []*autograd.Tensor) ([]*autograd.Tensor, error) {
		a, err := axisIn(c.Axis, len(xs[0].Shape))
		if err != nil {
			return nil, err
		}
		y, err := tp.Concat(a, xs...)
		return []*autograd.Tensor{y}, err
	})
}

// axisIn resolves a possibly negative axis of a rank-r tensor.
func axisIn(a int64, r int) (int, error) {
	if a < 0 {
		a += int64(r)
	}
	if a < 0 || a >= int64(r) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", a, r)
	}
	return int(a), nil
}

func opSlice(r *run, nd *ir.Node) error {
	starts, ends, axes, steps, err := r.sliceArgs(nd)
	if err != nil {
		return err
	}
	return r.moveData(nd, 1, one(func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		sl, _, err := schema.Slices(schema.Dims(x.Shape), starts, ends, axes, steps)
		if err != nil {
			return nil, err
		}
		start, step, count := make([]int, len(sl)), make([]int, len(sl)), make([]int, len(sl))
		for k, a := range sl {
			start[k], step[k], count[k] = a.Start, a.Step, a.Count
		}
		return tp.Slice(x, start, step, count)
	}))
}

// sliceArgs reads starts, ends, axes and steps from the attributes (opset
// < 10) or inputs 1–4 (axes and steps optional).
func (r *run) sliceArgs(nd *ir.Node) (starts, ends, axes, steps []int64, err error) {
	a, err := attrsOf[schema.Slice](r.n, nd)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if r.n.opsetOf(nd) < 10 {
		return a.Starts, a.Ends, a.Axes, nil, nil
	}
	out := make([][]int64, 4)
	for i := range out {
		if i >= 2 && nd.Input(i+1) == "" {
			continue
		}
		if out[i], _, err = r.ints(nd, i+1); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	return out[0], out[1], out[2], out[3], nil
}

// opSplit takes the part lengths from the split attribute (opset < 13) or
// input 1, else equal parts (the last smaller with opset 18's num_outputs).
func opSplit(r *run, nd *ir.Node) error {
	a, err := attrsOf[schema.Split](r.n, nd)
	if err != nil {
		return err
	}
	split := a.Split
	if nd.Input(1) != "" {
		if split, _, err = r.ints(nd, 1); err != nil {
			return err
		}
	}
	return r.moveData(nd, 1, func(tp *autograd.Tape, xs []*autograd.Tensor) ([]*autograd.Tensor, error) {
		ax, err := axisIn(a.Axis, len(xs[0].Shape))
		if err != nil {
			return nil, err
		}
		sizes, err := schema.SplitSizes(xs[0].Shape[ax], len(nd.Outputs), split, a.NumOutputs != nil)
		if err != nil {
			return nil, err
		}
		return tp.Split(xs[0], ax, sizes)
	})
}

// opPad pads float tensors (constant with any value, reflect, edge, wrap).
func opPad(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	p, err := r.padArgs(nd, len(x[0].Shape))
	if err != nil {
		return err
	}
	out := make([]int, len(x[0].Shape))
	for k, d := range x[0].Shape {
		out[k] = max(0, d+p.begin[k]+p.end[k])
	}
	if err := checkElements(out); err != nil {
		return err
	}
	y, err := r.tp.Pad(x[0], p.begin, p.end, p.mode, p.value)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

type padArgs struct {
	begin, end []int
	mode       string
	value      float32
}

// padArgs reads the mode, and the pads and value from the attributes
// (opset < 11) or inputs pads, constant_value (default 0) and axes (opset
// 18; default all).
func (r *run) padArgs(nd *ir.Node, rank int) (padArgs, error) {
	a, err := attrsOf[schema.Pad](r.n, nd)
	if err != nil {
		return padArgs{}, err
	}
	p := padArgs{mode: a.Mode, value: a.Value}
	pads, axes := a.Pads, []int64(nil)
	if r.n.opsetOf(nd) >= 11 {
		if pads, _, err = r.ints(nd, 1); err != nil {
			return p, err
		}
		if nd.Input(2) != "" {
			if p.value, err = r.scalar(nd, 2); err != nil {
				return p, err
			}
		}
		if nd.Input(3) != "" {
			if axes, _, err = r.ints(nd, 3); err != nil {
				return p, err
			}
		}
	}
	p.begin, p.end, err = schema.PadAmounts(pads, axes, rank)
	return p, err
}

// opConstantOfShape makes a constant (float, or integer for a shape
// subgraph) of the shape input 0 gives, filled with the value attribute
// (default float 0).
func opConstantOfShape(r *run, nd *ir.Node) error {
	v, _, err := r.ints(nd, 0)
	if err != nil {
		return err
	}
	shape, err := toDims(v, "shape")
	if err != nil {
		return err
	}
	if err := checkElements(shape); err != nil {
		return err
	}
	a, err := attrsOf[schema.ConstantOfShape](r.n, nd)
	if err != nil {
		return err
	}
	fill, err := constValue(a.Value) // one element
	if err != nil {
		return err
	}
	n := ir.NumElements(shape)
	if fill.t != nil {
		d := make([]float32, n)
		for i := range d {
			d[i] = fill.t.Data[0]
		}
		r.env[nd.Outputs[0]] = value{t: autograd.New(shape, d)}
		return nil
	}
	is := make([]int64, n)
	for i := range is {
		is[i] = fill.ints[0]
	}
	r.env[nd.Outputs[0]] = value{ints: is, shape: shape}
	return nil
}

// intsOf reads an integer or boolean tensor as int64.
func intsOf(t *ir.Tensor) ([]int64, error) {
	if b, ok := t.Data.([]bool); ok {
		out := make([]int64, len(b))
		for i, v := range b {
			if v {
				out[i] = 1
			}
		}
		return out, nil
	}
	return t.Int64s()
}
