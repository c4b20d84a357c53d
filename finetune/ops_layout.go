package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
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
	allowZero := reshapeAttrs(nd)
	return r.moveData(nd, 1, one(func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		shape, err := autograd.ReshapeDims(x.Shape, target, allowZero)
		if err != nil {
			return nil, err
		}
		return tp.View(x, shape), nil
	}))
}

func reshapeAttrs(nd *ir.Node) (allowZero bool) { return nd.Int("allowzero", 0) != 0 }

func opTranspose(r *run, nd *ir.Node) error {
	perm := transposeAttrs(nd)
	return r.moveData(nd, 1, one(func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		return tp.Transpose(x, perm)
	}))
}

// transposeAttrs reads perm (default: the axes reversed, nil).
func transposeAttrs(nd *ir.Node) (perm []int) {
	for _, p := range nd.Ints("perm", nil) {
		perm = append(perm, int(p))
	}
	return perm
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
		return tp.Expand(x, dims)
	}))
}

// toDims converts non-negative int64 sizes to ints.
func toDims(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, d := range v {
		if d < 0 || d > maxIndexed*64 {
			return nil, fmt.Errorf("%s %v has a size out of range", what, v)
		}
		out[i] = int(d)
	}
	return out, nil
}

// opConcat joins float tensors (the zero-channel shortcut) or the integer
// values of shape subgraphs.
func opConcat(r *run, nd *ir.Node) error {
	axis := concatAttrs(nd)
	return r.moveData(nd, len(nd.Inputs), func(tp *autograd.Tape, xs []*autograd.Tensor) ([]*autograd.Tensor, error) {
		a, err := axisIn(axis, len(xs[0].Shape))
		if err != nil {
			return nil, err
		}
		y, err := tp.Concat(a, xs...)
		return []*autograd.Tensor{y}, err
	})
}

func concatAttrs(nd *ir.Node) (axis int64) { return nd.Int("axis", 0) }

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
		s, st, n, err := autograd.SliceDims(x.Shape, starts, ends, axes, steps)
		if err != nil {
			return nil, err
		}
		return tp.Slice(x, s, st, n)
	}))
}

// sliceArgs reads starts, ends, axes and steps from attributes (opset < 10)
// or inputs 1–4 (axes and steps optional).
func (r *run) sliceArgs(nd *ir.Node) (starts, ends, axes, steps []int64, err error) {
	if nd.Attr("starts") != nil {
		return nd.Ints("starts", nil), nd.Ints("ends", nil), nd.Ints("axes", nil), nil, nil
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

func opSplit(r *run, nd *ir.Node) error {
	axis, sizes, err := r.splitArgs(nd)
	if err != nil {
		return err
	}
	return r.moveData(nd, 1, func(tp *autograd.Tape, xs []*autograd.Tensor) ([]*autograd.Tensor, error) {
		a, err := axisIn(axis, len(xs[0].Shape))
		if err != nil {
			return nil, err
		}
		if sizes == nil { // equal parts, the last smaller (opset 18's num_outputs)
			d, k := xs[0].Shape[a], len(nd.Outputs)
			part := (d + k - 1) / max(k, 1)
			for i := range k {
				sizes = append(sizes, max(0, min(part, d-i*part)))
			}
		}
		return tp.Split(xs[0], a, sizes)
	})
}

// splitArgs reads axis (default 0) and the part sizes: the split attribute
// (opset < 13) or input 1, nil for equal parts.
func (r *run) splitArgs(nd *ir.Node) (axis int64, sizes []int, err error) {
	axis = nd.Int("axis", 0)
	split := nd.Ints("split", nil)
	if split == nil && nd.Input(1) != "" {
		if split, _, err = r.ints(nd, 1); err != nil {
			return 0, nil, err
		}
	}
	if split == nil {
		return axis, nil, nil
	}
	sizes, err = toDims(split, "split")
	return axis, sizes, err
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

// padArgs reads mode (default constant) and pads and value from attributes
// (opset < 11) or inputs pads, constant_value (default 0) and axes (opset
// 18; default all).
func (r *run) padArgs(nd *ir.Node, rank int) (padArgs, error) {
	p := padArgs{mode: nd.String("mode", "constant"), begin: make([]int, rank), end: make([]int, rank)}
	pads, value := nd.Ints("pads", nil), nd.Float("value", 0)
	var axes []int64
	if nd.Attr("pads") == nil {
		var err error
		if pads, _, err = r.ints(nd, 1); err != nil {
			return p, err
		}
		if nd.Input(2) != "" {
			if value, err = r.scalar(nd, 2); err != nil {
				return p, err
			}
		}
		if nd.Input(3) != "" {
			if axes, _, err = r.ints(nd, 3); err != nil {
				return p, err
			}
		}
	}
	if axes == nil {
		for a := range rank {
			axes = append(axes, int64(a))
		}
	}
	if len(pads) != 2*len(axes) {
		return p, fmt.Errorf("pads %v need 2 values for each of %d axes", pads, len(axes))
	}
	for i, a := range axes {
		ax, err := axisIn(a, rank)
		if err != nil {
			return p, err
		}
		p.begin[ax], p.end[ax] = int(pads[i]), int(pads[i+len(axes)])
	}
	p.value = value
	return p, nil
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
	fill, err := constantOfShapeAttrs(nd)
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

// constantOfShapeAttrs reads value, a one-element tensor (default float 0).
func constantOfShapeAttrs(nd *ir.Node) (value, error) {
	a := nd.Attr("value")
	if a == nil || a.T == nil {
		return value{t: autograd.New([]int{1}, []float32{0})}, nil
	}
	v, err := constValue(a.T)
	if n := len(v.ints); err == nil && (v.t != nil && len(v.t.Data) != 1 || v.t == nil && n != 1) {
		err = fmt.Errorf("value must have one element")
	}
	return v, err
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
