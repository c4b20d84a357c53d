package schema

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// Slice's attributes (opsets 1-9; from 10 starts, ends, axes and steps
// are inputs).
type Slice struct {
	Starts, Ends []int64 // required before opset 10
	Axes         []int64 // optional: default 0, 1, ...
}

func parseSlice(r *reader) any {
	if r.opset >= 10 {
		return &Slice{}
	}
	return &Slice{Axes: r.ints("axes", nil), Ends: r.reqInts("ends"), Starts: r.reqInts("starts")}
}

// SliceArgs are a Slice node's starts, ends, axes and steps; ok is false
// when some are inputs whose contents are not known.
func (c *call) sliceArgs() (starts, ends, axes, steps []int64, ok bool, err error) {
	if c.Opset < 10 {
		a := c.Attrs.(*Slice)
		return a.Starts, a.Ends, a.Axes, nil, true, nil
	}
	var lists [4][]int64
	ok = true
	for i, name := range []string{"starts", "ends", "axes", "steps"} {
		if !c.has(i + 1) {
			continue
		}
		v, k, err := c.ints(i+1, name)
		if err != nil {
			return nil, nil, nil, nil, false, err
		}
		lists[i], ok = v, ok && k
	}
	return lists[0], lists[1], lists[2], lists[3], ok, nil
}

// SliceAxis is one axis of a Slice, resolved against the dim.
type SliceAxis struct {
	Start, Step, Count int
}

// Slices resolves a Slice for the input dims: one entry per dim (unsliced
// dims run whole). Dims that are not known stay unknown in the result.
func Slices(dims []ir.Dim, starts, ends, axes, steps []int64) ([]SliceAxis, []ir.Dim, error) {
	r := len(dims)
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	out := make([]SliceAxis, r)
	shape := clone(dims)
	for i, d := range dims {
		out[i] = SliceAxis{Start: 0, Step: 1, Count: int(d.Size)}
	}
	seen := make([]bool, r)
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		a, err := Axis(ax, r)
		if err != nil {
			return nil, nil, err
		}
		if seen[a] {
			return nil, nil, fmt.Errorf("axes %v repeat axis %d", axes, a)
		}
		seen[a] = true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, nil, fmt.Errorf("steps %v contain 0", steps)
		}
		if !dims[a].Known() {
			shape[a] = unknown
			continue
		}
		out[a] = SliceRange(starts[i], ends[i], step, dims[a].Size)
		shape[a] = known(int64(out[a].Count))
	}
	return out, shape, nil
}

// SliceRange is ONNX's Slice of one axis of size d: negative starts and
// ends count from the end, then clamp to the axis ([0, d] going forward,
// [-1, d-1] going backward).
func SliceRange(start, end, step, d int64) SliceAxis {
	if start < 0 {
		start = satAdd(start, d)
	}
	if end < 0 {
		end = satAdd(end, d)
	}
	var n int64
	if step > 0 {
		start, end = min(max(start, 0), d), min(max(end, 0), d)
		if end > start {
			n = (end - start + step - 1) / step
		}
	} else {
		start, end = min(max(start, 0), d-1), min(max(end, -1), d-1)
		if start > end {
			n = (start - end - step - 1) / -step
		}
	}
	return SliceAxis{Start: int(start), Step: int(step), Count: int(n)}
}

// satAdd adds without overflow (INT64_MIN and MAX mean "from the end").
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func inferSlice(c *call) ([]Value, error) {
	x := c.shape(0)
	starts, ends, axes, steps, ok, err := c.sliceArgs()
	if err != nil {
		return nil, err
	}
	if !ok {
		return one(c.dtype(0), unknowns(len(x)))
	}
	sl, shape, err := Slices(x, starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	out := Value{DType: c.dtype(0), Shape: shape}
	if d, ok := c.x(0).content(); ok && len(x) == 1 && x[0].Known() {
		picked := []ir.Dim{}
		for i := range sl[0].Count {
			picked = append(picked, d[sl[0].Start+i*sl[0].Step])
		}
		out = withContent(out, picked)
	}
	return []Value{out}, nil
}

// Split's attributes (opsets 2-21).
type Split struct {
	Axis       int64   // default 0
	Split      []int64 // before opset 13: the part lengths (an input from 13)
	NumOutputs *int64  // opset 18+: the number of parts, the last one smaller
}

func parseSplit(r *reader) any {
	a := &Split{Axis: r.int("axis", 0)}
	if r.opset < 13 {
		a.Split = r.ints("split", nil)
	}
	if r.opset >= 18 {
		a.NumOutputs = r.optInt("num_outputs")
	}
	r.atLeast("split", a.Split, 0)
	return a
}

// SplitSizes returns the lengths of the n parts of a dim of size d: the
// split list when given, else equal parts (opset 18's num_outputs allows
// a smaller last part).
func SplitSizes(d, n int, split []int64, uneven bool) ([]int, error) {
	if split != nil {
		if len(split) != n {
			return nil, fmt.Errorf("split %v has %d parts for %d outputs", split, len(split), n)
		}
		out, total := make([]int, n), 0
		for i, s := range split {
			if s < 0 || s > int64(d) {
				return nil, fmt.Errorf("split %v does not fit dim %d", split, d)
			}
			out[i] = int(s)
			total += out[i]
		}
		if total != d {
			return nil, fmt.Errorf("split %v sums to %d, the dim is %d", split, total, d)
		}
		return out, nil
	}
	if n == 0 || !uneven && d%n != 0 {
		return nil, fmt.Errorf("dim %d does not split into %d equal parts", d, n)
	}
	part := (d + n - 1) / n
	out := make([]int, n)
	for i := range out {
		out[i] = min(part, max(d-i*part, 0))
	}
	return out, nil
}

func inferSplit(c *call) ([]Value, error) {
	a := c.Attrs.(*Split)
	x := c.shape(0)
	ax, err := Axis(a.Axis, len(x))
	if err != nil {
		return nil, err
	}
	n := len(c.Outputs)
	if a.NumOutputs != nil && *a.NumOutputs != int64(n) {
		return nil, fmt.Errorf("num_outputs %d, but the node has %d outputs", *a.NumOutputs, n)
	}
	split := a.Split
	if c.Opset >= 13 && c.has(1) {
		v, ok, err := c.ints(1, "split")
		if err != nil {
			return nil, err
		}
		if !ok {
			return splitUnknown(c, ax, n), nil
		}
		split = v
	}
	if !x[ax].Known() {
		return splitUnknown(c, ax, n), nil
	}
	sizes, err := SplitSizes(int(x[ax].Size), n, split, a.NumOutputs != nil)
	if err != nil {
		return nil, err
	}
	out := make([]Value, n)
	for i, s := range sizes {
		shape := clone(x)
		shape[ax] = known(int64(s))
		out[i] = Value{DType: c.dtype(0), Shape: shape}
	}
	return out, nil
}

func splitUnknown(c *call, ax, n int) []Value {
	out := make([]Value, n)
	for i := range out {
		shape := clone(c.shape(0))
		shape[ax] = unknown
		out[i] = Value{DType: c.dtype(0), Shape: shape}
	}
	return out
}

// inferTile: each dim times its repeat.
func inferTile(c *call) ([]Value, error) {
	x := c.shape(0)
	reps, ok, err := c.ints(1, "repeats")
	if err != nil {
		return nil, err
	}
	if !ok {
		return one(c.dtype(0), unknowns(len(x)))
	}
	if len(reps) != len(x) {
		return nil, fmt.Errorf("repeats %v do not fit rank %d", reps, len(x))
	}
	shape := make([]ir.Dim, len(x))
	for i, d := range x {
		if reps[i] < 0 {
			return nil, fmt.Errorf("repeats %v are negative", reps)
		}
		shape[i] = mulDim(d, known(reps[i]))
	}
	return one(c.dtype(0), shape)
}

// Pad's attributes (opsets 2-21; from 11 pads and the value are inputs,
// from 18 also axes).
type Pad struct {
	Mode  string  // constant (default), reflect, edge; wrap from opset 19
	Pads  []int64 // before opset 11, required: begins then ends
	Value float32 // before opset 11, default 0
}

func parsePad(r *reader) any {
	modes := []string{"constant", "reflect", "edge"}
	if r.opset >= 19 {
		modes = append(modes, "wrap")
	}
	a := &Pad{Mode: r.enum("mode", "constant", modes...)}
	if r.opset < 11 {
		a.Pads = r.reqInts("pads")
		a.Value = r.float("value", 0)
	}
	return a
}

// PadAmounts spreads pads (begins then ends, for axes, default all) over a
// rank-r input.
func PadAmounts(pads, axes []int64, r int) (begin, end []int, err error) {
	if axes == nil {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, nil, fmt.Errorf("pads %v need %d values for %d axes", pads, 2*len(axes), len(axes))
	}
	begin, end = make([]int, r), make([]int, r)
	for i, a := range axes {
		ax, err := Axis(a, r)
		if err != nil {
			return nil, nil, err
		}
		if begin[ax], err = toInt(pads[i], "pads"); err != nil {
			return nil, nil, err
		}
		if end[ax], err = toInt(pads[i+len(axes)], "pads"); err != nil {
			return nil, nil, err
		}
	}
	return begin, end, nil
}

// padArgs returns the pads and axes of a Pad node; ok is false when they
// are inputs whose contents are not known.
func (c *call) padArgs() (pads, axes []int64, ok bool, err error) {
	if c.Opset < 11 {
		return c.Attrs.(*Pad).Pads, nil, true, nil
	}
	if pads, ok, err = c.ints(1, "pads"); !ok || err != nil {
		return nil, nil, false, err
	}
	if c.Opset >= 18 && c.has(3) {
		if axes, ok, err = c.ints(3, "axes"); !ok || err != nil {
			return nil, nil, false, err
		}
	}
	return pads, axes, true, nil
}

func inferPad(c *call) ([]Value, error) {
	x := c.shape(0)
	pads, axes, ok, err := c.padArgs()
	if err != nil {
		return nil, err
	}
	if !ok {
		return one(c.dtype(0), unknowns(len(x)))
	}
	begin, end, err := PadAmounts(pads, axes, len(x))
	if err != nil {
		return nil, err
	}
	mode := c.Attrs.(*Pad).Mode
	shape := make([]ir.Dim, len(x))
	for i, d := range x {
		if !d.Known() {
			shape[i] = unknown
			continue
		}
		n := d.Size + int64(begin[i]) + int64(end[i])
		if n < 0 || mode != "constant" && d.Size == 0 && n > 0 {
			return nil, fmt.Errorf("pads %v%v do not fit shape %s in mode %s", begin, end, ir.FormatDims(x), mode)
		}
		shape[i] = known(n)
	}
	return one(c.dtype(0), shape)
}

// PadSource maps a position i of a padded axis (counted from the first
// original element) to the element of the original axis of length d it
// copies in a Pad mode, or -1 for the constant value.
func PadSource(mode string) func(i, d int) int {
	switch mode {
	case "reflect":
		return padReflect
	case "edge":
		return func(i, d int) int { return min(max(i, 0), d-1) }
	case "wrap":
		return func(i, d int) int { return ((i % d) + d) % d }
	}
	return func(i, d int) int {
		if i < 0 || i >= d {
			return -1
		}
		return i
	}
}

// padReflect mirrors without repeating the edge element.
func padReflect(i, d int) int {
	if d == 1 {
		return 0
	}
	period := 2 * (d - 1)
	i = ((i % period) + period) % period
	if i >= d {
		i = period - i
	}
	return i
}
