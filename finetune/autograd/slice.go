package autograd

import "fmt"

// gatherOp is an op whose output an axisMap reads from its input: Slice,
// Pad and Expand. Its backward scatters dy back through the map; it saves
// nothing but the geometry.
type gatherOp struct {
	am      *axisMap
	n       int // input elements
	out, in *Grad
}

// gatherBy runs an axis map as a recorded op; shape is the output's shape
// (am.out, unless a scalar).
func (tp *Tape) gatherBy(x *Tensor, am *axisMap, shape []int) *Tensor {
	y := tp.output(lenOf(shape), x)
	if len(y) > 0 {
		am.gather(y, x.Data)
	}
	out := result(shape, y, x)
	if tp.recording(x) {
		tp.record(out, &gatherOp{am: am, n: len(x.Data), out: out.g, in: x.g})
	}
	return out
}

func (o *gatherOp) backward() {
	if o.out.Data == nil || o.in == nil || o.n == 0 {
		return
	}
	o.am.scatter(o.in.buf(), o.out.Data, true)
}

func (o *gatherOp) saved() []Saved { return nil }

// Slice takes, along each axis k of x, count[k] elements from start[k] in
// steps of step[k] (negative steps run backwards): ONNX Slice once the op
// layer (schema.Slices) has resolved its inputs.
func (tp *Tape) Slice(x *Tensor, start, step, count []int) (*Tensor, error) {
	if len(start) != len(x.Shape) || len(step) != len(x.Shape) || len(count) != len(x.Shape) {
		return nil, fmt.Errorf("autograd: slice of %v needs a start, step and count per axis", x.Shape)
	}
	m := make([][]int, len(x.Shape))
	for k, d := range x.Shape {
		m[k] = make([]int, count[k])
		for i := range m[k] {
			m[k][i] = start[k] + i*step[k]
			if m[k][i] < 0 || m[k][i] >= d {
				return nil, fmt.Errorf("autograd: slice %d:%d:%d leaves axis %d of %v", start[k], step[k], count[k], k, x.Shape)
			}
		}
	}
	shape := append([]int(nil), count...)
	return tp.gatherBy(x, newAxisMap(x.Shape, shape, m, 0), shape), nil
}

// Split cuts x along axis into pieces of the given sizes (ONNX Split): one
// Slice per piece.
func (tp *Tape) Split(x *Tensor, axis int, sizes []int) ([]*Tensor, error) {
	if axis < 0 || axis >= len(x.Shape) {
		return nil, fmt.Errorf("autograd: split axis %d is out of range for %v", axis, x.Shape)
	}
	total := 0
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("autograd: split sizes %v must not be negative", sizes)
		}
		total += s
	}
	if total != x.Shape[axis] {
		return nil, fmt.Errorf("autograd: split sizes %v do not add up to axis %d of %v", sizes, axis, x.Shape)
	}
	outs := make([]*Tensor, len(sizes))
	off := 0
	for i, s := range sizes {
		start, step, count := make([]int, len(x.Shape)), make([]int, len(x.Shape)), append([]int(nil), x.Shape...)
		for k := range step {
			step[k] = 1
		}
		start[axis], count[axis] = off, s
		var err error
		if outs[i], err = tp.Slice(x, start, step, count); err != nil {
			return nil, err
		}
		off += s
	}
	return outs, nil
}
