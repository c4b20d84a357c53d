package autograd

import "fmt"

// concatOp joins its inputs along an axis. Each input is the axis map of
// its own stretch of the output, so its gradient is that stretch of dy
// (gather) and the forward stores each input through the adjoint
// (scatter). It saves nothing.
type concatOp struct {
	parts []*axisMap // input i's shape read from the output's
	lens  []int
	out   *Grad
	ins   []*Grad
	bufs  *Buffers
}

// Concat joins xs along axis (ONNX Concat of float tensors; an input that
// needs no gradient, such as the zeros of a zero-channel shortcut, gets
// none).
func (tp *Tape) Concat(axis int, xs ...*Tensor) (*Tensor, error) {
	if len(xs) == 0 || axis < 0 || axis >= len(xs[0].Shape) {
		return nil, fmt.Errorf("autograd: concat of %d tensors along axis %d", len(xs), axis)
	}
	shape := append([]int(nil), xs[0].Shape...)
	shape[axis] = 0
	for _, x := range xs {
		if len(x.Shape) != len(shape) {
			return nil, fmt.Errorf("autograd: concat of %v and %v: ranks differ", xs[0].Shape, x.Shape)
		}
		for k, d := range x.Shape {
			if k != axis && d != shape[k] {
				return nil, fmt.Errorf("autograd: concat of %v and %v along axis %d: shapes differ", xs[0].Shape, x.Shape, axis)
			}
		}
		shape[axis] += x.Shape[axis]
	}
	o := &concatOp{}
	off := 0
	for _, x := range xs {
		m := identityAxes(x.Shape)
		for i := range m[axis] {
			m[axis][i] += off
		}
		off += x.Shape[axis]
		o.parts = append(o.parts, newAxisMap(shape, x.Shape, m, 0))
		o.lens = append(o.lens, len(x.Data))
		o.ins = append(o.ins, x.g)
	}
	y := tp.output(lenOf(shape), xs...)
	for i, x := range xs {
		if len(x.Data) > 0 {
			o.parts[i].scatter(y, x.Data, false)
		}
	}
	out := result(shape, y, xs...)
	if tp.recording(xs...) {
		o.out, o.bufs = out.g, tp.Buffers
		tp.record(out, o)
	}
	return out, nil
}

func (o *concatOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	for i, g := range o.ins {
		if g == nil || o.lens[i] == 0 {
			continue
		}
		dx := o.bufs.get(o.lens[i])
		o.parts[i].gather(dx, dy)
		if !g.take(dx) {
			o.bufs.put(dx)
		}
	}
}

func (o *concatOp) saved() []Saved { return nil }
