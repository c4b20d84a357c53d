package infer

import (
	"math"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opReduceMean averages over axes (attribute before opset 18, optional
// input from 18); no axes means all unless noop_with_empty_axes=1.
func opReduceMean(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	reduce, err := reducedAxes(c, in, 18)
	if err != nil || reduce == nil {
		return []*ir.Tensor{view(x, clone(x.Shape))}, err
	}
	return reduceMean(c, x, xs, reduce, attrs[schema.Reduce](c).KeepDims)
}

func reduceMean(c *ctx, x *ir.Tensor, xs []float32, reduce []bool, keep bool) ([]*ir.Tensor, error) {
	full, shape := make([]int, len(x.Shape)), []int{}
	count := 1
	for i, d := range x.Shape {
		full[i] = d
		if reduce[i] {
			full[i], count = 1, count*d
		}
		if !reduce[i] || keep {
			shape = append(shape, full[i])
		}
	}
	y, ys, err := c.f32(shape)
	if err != nil {
		return nil, err
	}
	sums := make([]float64, len(ys))
	ost := bstrides(full, len(full))
	idx := make([]int, len(x.Shape))
	for _, v := range xs {
		sums[dot(idx, ost)] += float64(v)
		increment(idx, x.Shape)
	}
	for i, s := range sums {
		ys[i] = float32(s / float64(count))
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
