package autograd

import (
	"fmt"
	"math"
)

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
// steps of step[k] (negative steps run backwards): ONNX Slice once
// SliceDims has resolved its inputs.
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

// SliceDims resolves ONNX Slice's starts, ends, axes (nil: the first
// len(starts) axes) and steps (nil: 1) against shape, with ONNX's clamping,
// into a start, step and count per axis.
func SliceDims(shape []int, starts, ends, axes, steps []int64) (start, step, count []int, err error) {
	r := len(shape)
	start, step, count = make([]int, r), make([]int, r), append([]int(nil), shape...)
	for k := range step {
		step[k] = 1
	}
	if len(ends) != len(starts) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, nil, nil, fmt.Errorf("autograd: slice starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	done := make([]bool, r)
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		if ax < 0 {
			ax += int64(r)
		}
		if ax < 0 || ax >= int64(r) || done[ax] {
			return nil, nil, nil, fmt.Errorf("autograd: slice axes %v are out of range or repeated for shape %v", axes, shape)
		}
		done[ax] = true
		st := int64(1)
		if steps != nil {
			st = steps[i]
		}
		if st == 0 || st == math.MinInt64 {
			return nil, nil, nil, fmt.Errorf("autograd: slice step %d is invalid", st)
		}
		start[ax], step[ax], count[ax] = sliceAxis(int64(shape[ax]), starts[i], ends[i], st)
	}
	return start, step, count, nil
}

// sliceAxis applies ONNX's rules to one axis of size d: negative bounds
// count from the end, then clamp to [0, d] (to [−1, d−1] for a negative
// step).
func sliceAxis(d, s, e, st int64) (start, step, count int) {
	wrap := func(v int64) int64 {
		if v < 0 {
			v += d
		}
		return v
	}
	s, e = wrap(s), wrap(e)
	if st > 0 {
		s, e = min(max(s, 0), d), min(max(e, 0), d)
	} else {
		s, e = min(max(s, 0), d-1), min(max(e, -1), d-1)
	}
	n := int64(0)
	if st > 0 && e > s {
		n = (e - s + st - 1) / st
	} else if st < 0 && s > e {
		n = (s - e - st - 1) / -st
	}
	return int(s), int(st), int(n)
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
