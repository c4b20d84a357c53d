package schema

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// Reduce is the attributes of the Reduce ops. The axes are an attribute
// before AxesInput (13 for ReduceSum, 18 for the others) and an input
// from it.
type Reduce struct {
	Axes              []int64 // attribute form; nil: every axis
	KeepDims          bool    // default 1
	NoopWithEmptyAxes bool    // input form, default 0: no axes reduce nothing
}

func parseReduce(axesInput int64) func(r *reader) any {
	return func(r *reader) any {
		a := &Reduce{KeepDims: r.bool("keepdims", true)}
		if r.opset < axesInput {
			a.Axes = r.ints("axes", nil)
		} else {
			a.NoopWithEmptyAxes = r.bool("noop_with_empty_axes", false)
		}
		return a
	}
}

// reduceAxes returns which axes a Reduce node reduces (nil: none, the
// identity); ok is false when the axes input's contents are not known.
func (c *call) reduceAxes(axesInput int64) ([]bool, bool, error) {
	a := c.Attrs.(*Reduce)
	r := len(c.shape(0))
	axes := a.Axes
	if c.Opset >= axesInput && c.has(1) {
		v, ok, err := c.ints(1, "axes")
		if !ok || err != nil {
			return nil, false, err
		}
		axes = v
	}
	return ReducedAxes(axes, r, a.NoopWithEmptyAxes)
}

// ReducedAxes marks the axes a Reduce reduces for rank r: nil when none
// (no axes with noop_with_empty_axes), all when no axes are given.
func ReducedAxes(axes []int64, r int, noop bool) ([]bool, bool, error) {
	if len(axes) == 0 && noop {
		return nil, true, nil
	}
	red := make([]bool, r)
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
		return red, true, nil
	}
	list, err := normAxes(axes, r)
	if err != nil {
		return nil, false, err
	}
	for _, ax := range list {
		red[ax] = true
	}
	return red, true, nil
}

func inferReduce(axesInput int64) func(c *call) ([]Value, error) {
	return func(c *call) ([]Value, error) {
		red, ok, err := c.reduceAxes(axesInput)
		if err != nil {
			return nil, err
		}
		keep := c.Attrs.(*Reduce).KeepDims
		if !ok {
			if keep {
				return one(c.dtype(0), unknowns(len(c.shape(0))))
			}
			return []Value{{DType: c.dtype(0)}}, nil
		}
		return one(c.dtype(0), reducedShape(c.shape(0), red, keep))
	}
}

// reducedShape drops (or, keeping dims, sets to 1) the reduced axes.
func reducedShape(x []ir.Dim, red []bool, keep bool) []ir.Dim {
	if red == nil {
		return clone(x)
	}
	shape := []ir.Dim{}
	for i, d := range x {
		switch {
		case !red[i]:
			shape = append(shape, d)
		case keep:
			shape = append(shape, known(1))
		}
	}
	return shape
}

// ArgMax's (and ArgMin's) attributes (opsets 1-21).
type ArgMax struct {
	Axis            int64 // default 0
	KeepDims        bool  // default 1
	SelectLastIndex bool  // opset 12+, default 0
}

func parseArgMax(r *reader) any {
	a := &ArgMax{Axis: r.int("axis", 0), KeepDims: r.bool("keepdims", true)}
	if r.opset >= 12 {
		a.SelectLastIndex = r.bool("select_last_index", false)
	}
	return a
}

func inferArgMax(c *call) ([]Value, error) {
	a := c.Attrs.(*ArgMax)
	x := c.shape(0)
	ax, err := Axis(a.Axis, len(x))
	if err != nil {
		return nil, err
	}
	if x[ax].Known() && x[ax].Size == 0 {
		return nil, fmt.Errorf("axis %d of shape %s is empty", ax, ir.FormatDims(x))
	}
	red := make([]bool, len(x))
	red[ax] = true
	return one(ir.Int64, reducedShape(x, red, a.KeepDims))
}
