package schema

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// DefaultMaxElements bounds the element count of any value whose shape
// the op layer infers (2^31, 8 GiB of float32): larger shapes come from
// corrupt or hostile models and are errors, not allocations.
const DefaultMaxElements = 1 << 31

// Value is what the op layer knows about a tensor without running the
// graph: its element type, its shape (dims may be symbolic, such as the
// batch, or unknown), and, where known, its contents.
type Value struct {
	DType ir.DType
	Shape []ir.Dim // nil when the rank is unknown
	// Const holds the contents when they are known: an initializer, a
	// Constant, a folded node, or any input when the executor runs.
	Const *ir.Tensor
	// Dims holds the contents of a rank-0 or rank-1 integer value element
	// by element when some are symbolic (Shape of an input with a
	// symbolic batch, and what Gather, Concat, Slice, ... make of it). An
	// element with Param "" is the known value Size (which may be
	// negative, as Reshape's -1), Param "?" is unknown, any other Param
	// is that symbolic dim.
	Dims []ir.Dim
}

// Concrete is the Value of a tensor whose contents are known.
func Concrete(t *ir.Tensor) Value {
	return Value{DType: t.DType, Shape: Dims(t.Shape), Const: t}
}

// Dims converts a fixed shape to dims.
func Dims(shape []int) []ir.Dim {
	out := make([]ir.Dim, len(shape))
	for i, d := range shape {
		out[i] = ir.Dim{Size: int64(d)}
	}
	return out
}

// Ints converts dims to a fixed shape when all are known.
func Ints(dims []ir.Dim) ([]int, bool) {
	if dims == nil {
		return nil, false
	}
	out := make([]int, len(dims))
	for i, d := range dims {
		if !d.Known() {
			return nil, false
		}
		out[i] = int(d.Size)
	}
	return out, true
}

// Fixed returns the value's shape when every dim is known.
func (v Value) Fixed() ([]int, bool) { return Ints(v.Shape) }

// Rank is the number of dims, or -1 when unknown.
func (v Value) Rank() int {
	if v.Shape == nil {
		return -1
	}
	return len(v.Shape)
}

// maxContent bounds the integer vectors whose elements the op layer
// carries from node to node: shapes, axes and pads, not data.
const maxContent = 64

// content returns a value's elements as dims when it is a small integer
// tensor (rank 0 or 1, at most maxContent elements) whose elements are
// known or symbolic.
func (v Value) content() ([]ir.Dim, bool) { return v.elems(maxContent) }

// elems is content for vectors of up to n elements.
func (v Value) elems(n int) ([]ir.Dim, bool) {
	if v.Dims != nil {
		return v.Dims, true
	}
	if v.Const == nil || !isInt(v.DType) || len(v.Const.Shape) > 1 || v.Const.Len() > n {
		return nil, false
	}
	is, err := v.Const.Int64s()
	if err != nil {
		return nil, false
	}
	out := make([]ir.Dim, len(is))
	for i, x := range is {
		out[i] = known(x)
	}
	return out, true
}

func isInt(d ir.DType) bool {
	switch d {
	case ir.Int64, ir.Int32, ir.Int16, ir.Int8, ir.Uint8, ir.Uint16, ir.Uint32, ir.Uint64:
		return true
	}
	return false
}

func isFloat(d ir.DType) bool {
	return d == ir.Float32 || d == ir.Float64 || d == ir.Float16 || d == ir.BFloat16
}

func known(v int64) ir.Dim { return ir.Dim{Size: v} }

// unknownElem is an element of contents whose value is not known.
var unknownElem = ir.Dim{Size: -1, Param: "?"}

// elemKnown reports whether an element of contents is a known value.
func elemKnown(d ir.Dim) bool { return d.Param == "" }

// asElems turns shape dims into contents: unknown dims become "?".
func asElems(shape []ir.Dim) []ir.Dim {
	out := clone(shape)
	for i, d := range out {
		if !d.Known() && d.Param == "" {
			out[i] = unknownElem
		}
	}
	return out
}

// asShape turns contents into shape dims; a negative known element is an
// error.
func asShape(elems []ir.Dim) ([]ir.Dim, error) {
	out := clone(elems)
	for i, d := range out {
		switch {
		case d.Param == "?":
			out[i] = unknown
		case d.Param == "" && d.Size < 0:
			return nil, fmt.Errorf("shape %s has a negative dim", ir.FormatDims(elems))
		}
	}
	return out, nil
}

var unknown = ir.UnknownDim

// sameDim reports whether two dims are certainly equal.
func sameDim(a, b ir.Dim) bool {
	if a.Known() && b.Known() {
		return a.Size == b.Size
	}
	return a.Param != "" && a.Param == b.Param
}

// mulDim is a·b: known when both are, 0 when either is 0.
func mulDim(a, b ir.Dim) ir.Dim {
	switch {
	case a.Known() && a.Size == 0, b.Known() && b.Size == 0:
		return known(0)
	case a.Known() && a.Size == 1:
		return b
	case b.Known() && b.Size == 1:
		return a
	case a.Known() && b.Known():
		return known(a.Size * b.Size)
	}
	return unknown
}

// productDims multiplies dims (1 for none).
func productDims(dims []ir.Dim) ir.Dim {
	p := known(1)
	for _, d := range dims {
		p = mulDim(p, d)
	}
	return p
}

// broadcastDims is numpy's multidirectional broadcast of two shapes.
func broadcastDims(a, b []ir.Dim) ([]ir.Dim, error) {
	r := max(len(a), len(b))
	out := make([]ir.Dim, r)
	for i := range r {
		da, db := dimFromEnd(a, r-1-i), dimFromEnd(b, r-1-i)
		switch {
		case sameDim(da, db), db.Known() && db.Size == 1:
			out[i] = da
		case da.Known() && da.Size == 1:
			out[i] = db
		case da.Known() && db.Known():
			return nil, fmt.Errorf("shapes %s and %s do not broadcast", ir.FormatDims(a), ir.FormatDims(b))
		case da.Known():
			out[i] = da // b's unknown dim must be da or 1
		case db.Known():
			out[i] = db
		default:
			out[i] = unknown
		}
	}
	return out, nil
}

func dimFromEnd(s []ir.Dim, k int) ir.Dim {
	if k < len(s) {
		return s[len(s)-1-k]
	}
	return known(1)
}

// ErrTooLarge marks a shape beyond an element limit.
var ErrTooLarge = errors.New("tensor exceeds the element limit")

// checkSize returns an error when a shape holds more than limit elements
// (which also catches overflow; it wraps ErrTooLarge) or a negative dim.
func checkSize(shape []ir.Dim, limit int64) error {
	n := int64(1)
	for _, d := range shape {
		if !d.Known() {
			continue
		}
		if d.Size < 0 {
			return fmt.Errorf("negative dimension in shape %s", ir.FormatDims(shape))
		}
		if d.Size != 0 && n > limit/d.Size {
			return fmt.Errorf("shape %s has more than %d elements: %w", ir.FormatDims(shape), limit, ErrTooLarge)
		}
		n *= d.Size
	}
	return nil
}

// Broadcast is numpy's multidirectional broadcast of two fixed shapes.
func Broadcast(a, b []int) ([]int, error) {
	d, err := broadcastDims(Dims(a), Dims(b))
	if err != nil {
		return nil, err
	}
	out, _ := Ints(d)
	return out, nil
}
