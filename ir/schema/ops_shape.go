package schema

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// Shape's attributes (opsets 1-21).
type Shape struct {
	Start int64  // opset 15+, default 0
	End   *int64 // opset 15+, default: the rank
}

func parseShape(r *reader) any {
	a := &Shape{}
	if r.opset >= 15 {
		a.End = r.optInt("end")
		a.Start = r.int("start", 0)
	}
	return a
}

// inferShape: the dims of X from start to end, as contents.
func inferShape(c *call) ([]Value, error) {
	a := c.Attrs.(*Shape)
	x := c.shape(0)
	r := int64(len(x))
	start, end := clampAxis(a.Start, r), r
	if a.End != nil {
		end = clampAxis(*a.End, r)
	}
	return []Value{intsValue(asElems(x[start:max(start, end)]), false)}, nil
}

func clampAxis(a, r int64) int64 {
	if a < 0 {
		a += r
	}
	return min(max(a, 0), r)
}

// Reshape's attributes (opsets 5-21; the target shape is an input).
type Reshape struct {
	AllowZero bool // opset 14+, default 0: a 0 copies the input's dim
}

func parseReshape(r *reader) any {
	if r.opset >= 14 {
		return &Reshape{AllowZero: r.bool("allowzero", false)}
	}
	return &Reshape{}
}

func inferReshape(c *call) ([]Value, error) {
	target, ok, err := c.content(1, "shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		n, known := Ints(c.shape(1))
		if !known || len(n) != 1 {
			return nil, fmt.Errorf("shape has unknown length")
		}
		return one(c.dtype(0), unknowns(n[0]))
	}
	shape, err := ReshapeDims(c.shape(0), target, c.Attrs.(*Reshape).AllowZero)
	if err != nil {
		return nil, err
	}
	return c.reshaped(shape), nil
}

// ReshapeDims is Reshape's output shape for input dims from and a target
// whose elements may be symbolic: 0 copies the input's dim (unless
// allowZero) and one -1 takes what is left.
func ReshapeDims(from, target []ir.Dim, allowZero bool) ([]ir.Dim, error) {
	out := make([]ir.Dim, len(target))
	infer := -1
	for i, d := range target {
		switch {
		case d.Param == "?":
			out[i] = unknown
		case d.Param != "":
			out[i] = d
		case d.Size == -1 && infer < 0:
			infer = i
		case d.Size == 0 && !allowZero:
			if i >= len(from) {
				return nil, fmt.Errorf("shape %s copies dimension %d of %s, which has none", ir.FormatDims(target), i, ir.FormatDims(from))
			}
			out[i] = from[i]
		case d.Size < 0 || d.Size > DefaultMaxElements:
			return nil, fmt.Errorf("invalid target shape %s", ir.FormatDims(target))
		default:
			out[i] = d
		}
	}
	if err := checkSize(out, DefaultMaxElements); err != nil {
		return nil, fmt.Errorf("target shape %s: %w", ir.FormatDims(target), err)
	}
	num, den, ok := cancelDims(from, out, infer)
	switch {
	case !ok && infer >= 0:
		out[infer] = unknown
	case !ok:
	case infer >= 0 && (den == 0 || num%den != 0):
		return nil, fmt.Errorf("cannot reshape %s into %s", ir.FormatDims(from), ir.FormatDims(target))
	case infer >= 0:
		out[infer] = known(num / den)
	case num != den:
		return nil, fmt.Errorf("cannot reshape %s into %s", ir.FormatDims(from), ir.FormatDims(target))
	}
	return out, nil
}

// cancelDims returns the products of from and of out without skip, after
// cancelling symbolic dims that appear in both; ok is false when they are
// not known.
func cancelDims(from, out []ir.Dim, skip int) (num, den int64, ok bool) {
	syms := map[string]int{}
	num, den = 1, 1
	for _, d := range from {
		if d.Known() {
			num *= d.Size
		} else if d.Param != "" {
			syms[d.Param]++
		} else {
			return 0, 0, false
		}
	}
	for i, d := range out {
		switch {
		case i == skip:
		case d.Known():
			den *= d.Size
		case d.Param != "" && syms[d.Param] > 0:
			syms[d.Param]--
		default:
			return 0, 0, false
		}
	}
	for _, n := range syms {
		if n > 0 {
			return 0, 0, false
		}
	}
	return num, den, true
}

// Axes is the attribute of Squeeze and Unsqueeze before opset 13 (inputs
// from 13).
type Axes struct {
	Axes []int64 // Squeeze: optional, every 1-dim when absent; Unsqueeze: required
}

func parseAxes(required bool, inputFrom int64) func(r *reader) any {
	return func(r *reader) any {
		switch {
		case r.opset >= inputFrom:
			return &Axes{}
		case required:
			return &Axes{Axes: r.reqInts("axes")}
		}
		return &Axes{Axes: r.ints("axes", nil)}
	}
}

// axesArg returns the axes from the attribute (before inputFrom) or input
// 1; ok is false when there are none; known is false when they are an
// input whose contents are not known.
func (c *call) axesArg(inputFrom int64) (axes []int64, ok, known bool, err error) {
	if c.Opset < inputFrom {
		a := c.Attrs.(*Axes).Axes
		return a, a != nil, true, nil
	}
	if !c.has(1) {
		return nil, false, true, nil
	}
	axes, known, err = c.ints(1, "axes")
	return axes, true, known, err
}

func inferSqueeze(c *call) ([]Value, error) {
	x := c.shape(0)
	axes, ok, knownAxes, err := c.axesArg(13)
	if err != nil || !knownAxes {
		return []Value{{DType: c.dtype(0)}}, err
	}
	drop := make([]bool, len(x))
	if ok {
		list, err := normAxes(axes, len(x))
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if x[a].Known() && x[a].Size != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %s", a, ir.FormatDims(x))
			}
			drop[a] = true
		}
	} else {
		for i, d := range x {
			if !d.Known() {
				return []Value{{DType: c.dtype(0)}}, nil // the rank depends on it
			}
			drop[i] = d.Size == 1
		}
	}
	shape := []ir.Dim{}
	for i, d := range x {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	return c.reshaped(shape), nil
}

// reshaped is input 0 with another shape, its contents carried along.
func (c *call) reshaped(shape []ir.Dim) []Value {
	out := Value{DType: c.dtype(0), Shape: shape}
	if d, ok := c.x(0).content(); ok && len(shape) <= 1 {
		out = withContent(out, d)
	}
	return []Value{out}
}

func inferUnsqueeze(c *call) ([]Value, error) {
	x := c.shape(0)
	axes, ok, knownAxes, err := c.axesArg(13)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("axes are required")
	}
	if !knownAxes {
		return []Value{{DType: c.dtype(0)}}, nil
	}
	r := len(x) + len(axes)
	list, err := normAxes(axes, r)
	if err != nil {
		return nil, err
	}
	ins := make([]bool, r)
	for _, a := range list {
		ins[a] = true
	}
	shape := make([]ir.Dim, 0, r)
	src := 0
	for i := range r {
		if ins[i] {
			shape = append(shape, known(1))
		} else {
			shape = append(shape, x[src])
			src++
		}
	}
	return c.reshaped(shape), nil
}

// Concat's attributes (opsets 4-21).
type Concat struct {
	Axis int64 // required; negative counts from the end
}

func parseConcat(r *reader) any { return &Concat{Axis: r.reqInt("axis")} }

func inferConcat(c *call) ([]Value, error) {
	first := c.shape(0)
	ax, err := Axis(c.Attrs.(*Concat).Axis, len(first))
	if err != nil {
		return nil, err
	}
	shape := clone(first)
	var contents []ir.Dim
	all := true
	for i := range c.in {
		s := c.shape(i)
		if !c.has(i) || c.dtype(i) != c.dtype(0) || len(s) != len(first) {
			return nil, fmt.Errorf("input %d does not match input 0 (%v%s) in type or rank", i, c.dtype(0), ir.FormatDims(first))
		}
		for d := range shape {
			if d != ax && !compatible(s[d], shape[d]) {
				return nil, fmt.Errorf("input %d has shape %s, input 0 has %s", i, ir.FormatDims(s), ir.FormatDims(first))
			}
			if d != ax && !shape[d].Known() {
				shape[d] = s[d]
			}
		}
		if i > 0 {
			shape[ax] = addDims(shape[ax], s[ax])
		}
		d, ok := c.x(i).content()
		all = all && ok
		contents = append(contents, d...)
	}
	if all && len(first) == 1 {
		return []Value{withContent(Value{DType: c.dtype(0), Shape: shape}, contents)}, nil
	}
	return one(c.dtype(0), shape)
}

func addDims(a, b ir.Dim) ir.Dim {
	if a.Known() && b.Known() {
		return known(a.Size + b.Size)
	}
	return unknown
}

// Gather's attributes (opsets 1-21).
type Gather struct {
	Axis int64 // default 0
}

func parseGather(r *reader) any { return &Gather{Axis: r.int("axis", 0)} }

// inferGather: data[:axis] + indices' shape + data[axis+1:]; on a vector
// of dims with known indices the picked dims are the contents.
func inferGather(c *call) ([]Value, error) {
	x, ind := c.shape(0), c.shape(1)
	if !isInt(c.dtype(1)) {
		return nil, fmt.Errorf("indices must be integers, got %v", c.dtype(1))
	}
	ax, err := Axis(c.Attrs.(*Gather).Axis, len(x))
	if err != nil {
		return nil, err
	}
	shape := append(append(clone(x[:ax]), ind...), x[ax+1:]...)
	ks, knownIdx, _ := c.ints(1, "indices")
	if knownIdx && x[ax].Known() {
		for _, k := range ks {
			if k < -x[ax].Size || k >= x[ax].Size {
				return nil, fmt.Errorf("index %d is out of range for axis %d of size %d", k, ax, x[ax].Size)
			}
		}
	}
	out := Value{DType: c.dtype(0), Shape: shape}
	if d, ok := c.x(0).content(); ok && knownIdx && len(x) == 1 && len(ind) <= 1 {
		picked := make([]ir.Dim, len(ks))
		for i, k := range ks {
			if k < 0 {
				k += int64(len(d))
			}
			if k < 0 || k >= int64(len(d)) {
				return nil, fmt.Errorf("index %d is out of range for %d values", ks[i], len(d))
			}
			picked[i] = d[k]
		}
		out = withContent(out, picked)
	}
	return []Value{out}, nil
}

// Transpose's attributes (opsets 1-21).
type Transpose struct {
	Perm []int64 // default: the dims reversed
}

func parseTranspose(r *reader) any { return &Transpose{Perm: r.ints("perm", nil)} }

// Perm returns the permutation for rank r, checked.
func (a *Transpose) PermFor(r int) ([]int, error) {
	perm := make([]int, r)
	for i := range perm {
		perm[i] = r - 1 - i
	}
	if a.Perm == nil {
		return perm, nil
	}
	if len(a.Perm) != r {
		return nil, fmt.Errorf("perm %v does not fit rank %d", a.Perm, r)
	}
	seen := make([]bool, r)
	for i, p := range a.Perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation", a.Perm)
		}
		seen[p], perm[i] = true, int(p)
	}
	return perm, nil
}

func inferTranspose(c *call) ([]Value, error) {
	x := c.shape(0)
	perm, err := c.Attrs.(*Transpose).PermFor(len(x))
	if err != nil {
		return nil, err
	}
	shape := make([]ir.Dim, len(x))
	for i, p := range perm {
		shape[i] = x[p]
	}
	return one(c.dtype(0), shape)
}

// inferIdentity passes the value through, contents and all.
func inferIdentity(c *call) ([]Value, error) {
	v := c.x(0)
	v.Shape = clone(v.Shape)
	return []Value{v}, nil
}
