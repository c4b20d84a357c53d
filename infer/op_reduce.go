package infer

import (
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// reduction is one Reduce op: its accumulator's start, how it takes in a
// value, how it ends, and the opset from which its axes are an input.
type reduction struct {
	axesInput int64
	init      float64
	add       func(acc, v float64) float64
	end       func(acc float64, count int) float64
}

func sum(acc, v float64) float64 { return acc + v }

func keepAcc(acc float64, _ int) float64 { return acc }

var reductions = map[string]reduction{
	"ReduceMean":      {18, 0, sum, func(a float64, n int) float64 { return a / float64(n) }},
	"ReduceSum":       {13, 0, sum, keepAcc},
	"ReduceMax":       {18, math.Inf(-1), func(a, v float64) float64 { return maxNaN(a, v) }, keepAcc},
	"ReduceMin":       {18, math.Inf(1), func(a, v float64) float64 { return minNaN(a, v) }, keepAcc},
	"ReduceProd":      {18, 1, func(a, v float64) float64 { return a * v }, keepAcc},
	"ReduceL1":        {18, 0, func(a, v float64) float64 { return a + math.Abs(v) }, keepAcc},
	"ReduceL2":        {18, 0, func(a, v float64) float64 { return a + v*v }, func(a float64, _ int) float64 { return math.Sqrt(a) }},
	"ReduceSumSquare": {18, 0, func(a, v float64) float64 { return a + v*v }, keepAcc},
	"ReduceLogSum":    {18, 0, sum, func(a float64, _ int) float64 { return math.Log(a) }},
	"ReduceLogSumExp": {18, 0, sum, keepAcc}, // over exp(v - max), see reduceLogSumExp
}

// opReduce reduces over the axes (an attribute before the op's axes
// input opset, an optional input from it); no axes means all unless
// noop_with_empty_axes=1.
func opReduce(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	r := reductions[c.node.OpType]
	x := in[0]
	red, err := reducedAxes(c, in, r.axesInput)
	if err != nil || red == nil {
		return []*ir.Tensor{view(x, clone(x.Shape))}, err
	}
	y, err := c.alloc(x.DType, c.shape(0))
	if err != nil {
		return nil, err
	}
	slot, count := reduceSlots(x.Shape, red)
	switch xs := x.Data.(type) {
	case []float32:
		reduceInto(r, c.node.OpType, xs, y.Data.([]float32), slot, count)
	case []float64:
		reduceInto(r, c.node.OpType, xs, y.Data.([]float64), slot, count)
	default:
		return nil, unsupported("%s of %v", c.node.OpType, x.DType)
	}
	return []*ir.Tensor{y}, nil
}

// reduceInto accumulates in float64 and rounds once.
func reduceInto[T float32 | float64](r reduction, op string, xs, ys []T, slot []int, count int) {
	acc := make([]float64, len(ys))
	if op == "ReduceLogSumExp" {
		reduceLogSumExp(xs, acc, slot)
	} else {
		for i := range acc {
			acc[i] = r.init
		}
		for i, v := range xs {
			acc[slot[i]] = r.add(acc[slot[i]], float64(v))
		}
	}
	for i, a := range acc {
		ys[i] = T(r.end(a, count))
	}
}

// reduceSlots maps each input element to its output element, and counts
// the elements each output takes in.
func reduceSlots(shape []int, red []bool) ([]int, int) {
	full, count := clone(shape), 1
	for i, d := range shape {
		if red[i] {
			full[i], count = 1, count*d
		}
	}
	ost := bstrides(full, len(full))
	slot := make([]int, product(shape))
	idx := make([]int, len(shape))
	for i := range slot {
		slot[i] = dot(idx, ost)
		increment(idx, shape)
	}
	return slot, count
}

// reduceLogSumExp is log Σ exp(v) computed as m + log Σ exp(v − m), m the
// slot's maximum, so that large values do not overflow.
func reduceLogSumExp[T float32 | float64](xs []T, ys []float64, slot []int) {
	m := make([]float64, len(ys))
	for i := range m {
		m[i] = math.Inf(-1)
	}
	for i, v := range xs {
		m[slot[i]] = max(m[slot[i]], float64(v))
	}
	s := make([]float64, len(ys))
	for i, v := range xs {
		s[slot[i]] += math.Exp(float64(v) - m[slot[i]])
	}
	for i := range ys {
		ys[i] = m[i] + math.Log(s[i])
	}
}

// opArgMax and opArgMin give the index of the largest (smallest) element
// along the axis: the first one, or the last with select_last_index; NaN
// wins, as in numpy.
func opArgMax(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return argExtreme(c, in[0], func(v, best float32) bool { return v > best })
}

func opArgMin(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return argExtreme(c, in[0], func(v, best float32) bool { return v < best })
}

func argExtreme(c *ctx, x *ir.Tensor, better func(v, best float32) bool) ([]*ir.Tensor, error) {
	a := attrs[schema.ArgMax](c)
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	ax, err := axis(a.Axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	y, err := c.alloc(ir.Int64, c.shape(0))
	if err != nil {
		return nil, err
	}
	out := y.Data.([]int64)
	d, inner := x.Shape[ax], product(x.Shape[ax+1:])
	for o := range out {
		base := o/inner*d*inner + o%inner
		best, at := xs[base], 0
		for k := 1; k < d; k++ {
			v := xs[base+k*inner]
			if best != best {
				break
			}
			if v != v || better(v, best) || a.SelectLastIndex && v == best {
				best, at = v, k
			}
		}
		out[o] = int64(at)
	}
	return []*ir.Tensor{y}, nil
}

func opSoftmax(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return softmax(c, in[0], false)
}

func opLogSoftmax(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return softmax(c, in[0], true)
}

// softmax normalizes along one axis (opset >= 13, default -1) or, before
// opset 13, over the input coerced to 2-D at axis (default 1).
func softmax(c *ctx, x *ir.Tensor, log bool) ([]*ir.Tensor, error) {
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	a := attrs[schema.Softmax](c).Axis
	ax, err := axis(a, r)
	if c.opset() < 13 && a == int64(r) {
		ax, err = r, nil // coercing at the rank is allowed: rows of one column
	}
	if err != nil {
		return nil, err
	}
	outer, length, inner := product(x.Shape[:ax]), product(x.Shape[ax:]), 1
	if c.opset() >= 13 {
		length, inner = x.Shape[ax], product(x.Shape[ax+1:])
	}
	y, ys, err := c.f32(clone(x.Shape))
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return []*ir.Tensor{y}, nil
	}
	for o := range outer {
		for i := range inner {
			softmaxLine(xs[o*length*inner+i:], ys[o*length*inner+i:], length, inner, log)
		}
	}
	return []*ir.Tensor{y}, nil
}

// softmaxLine handles length elements spaced stride apart.
func softmaxLine(x, y []float32, length, stride int, log bool) {
	m := math.Inf(-1)
	for k := range length {
		m = max(m, float64(x[k*stride]))
	}
	var s float64
	for k := range length {
		s += math.Exp(float64(x[k*stride]) - m)
	}
	for k := range length {
		v := float64(x[k*stride]) - m
		if log {
			y[k*stride] = float32(v - math.Log(s))
		} else {
			y[k*stride] = float32(math.Exp(v) / s)
		}
	}
}

// reducedAxes marks the axes a Reduce node reduces (nil: none), from the
// attribute or, from axesInput on, the optional input.
func reducedAxes(c *ctx, in []*ir.Tensor, axesInput int64) ([]bool, error) {
	a := attrs[schema.Reduce](c)
	axes := a.Axes
	if c.opset() >= axesInput && len(in) > 1 && in[1] != nil {
		v, err := ints(in[1], "axes")
		if err != nil {
			return nil, err
		}
		axes = v
	}
	red, _, err := schema.ReducedAxes(axes, len(in[0].Shape), a.NoopWithEmptyAxes)
	return red, err
}
