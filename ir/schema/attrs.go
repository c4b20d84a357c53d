package schema

import (
	"fmt"
	"math"
	"slices"

	"github.com/bincompress/bincompress/ir"
)

// AttrSpec is one attribute as an op's parser reads it at one opset: what
// ONNX's operator schema states (name, type, required, default). The test
// against ONNX's own schemas compares these.
type AttrSpec struct {
	Name     string
	Type     ir.AttrType
	Required bool
	Default  any // int64, float32, string, []int64, []float32 or nil
}

// reader reads a node's attributes strictly: an attribute of the wrong type
// is an error naming node and attribute, never a silent default, and finish
// rejects attributes the op does not define. With spec set it records what
// the parser reads instead (see Op.Spec).
type reader struct {
	n     *ir.Node
	label string
	opset int64
	used  []string
	err   error
	spec  *[]AttrSpec
}

// failf records the first error.
func (r *reader) failf(name, format string, args ...any) {
	if r.err == nil {
		r.err = &AttrError{Node: r.label, Op: r.n.OpType, Attr: name, Reason: fmt.Sprintf(format, args...)}
	}
}

// unsupportedf records a valid attribute value the op layer does not handle.
func (r *reader) unsupportedf(name, format string, args ...any) {
	if r.err == nil {
		r.err = &AttrError{Node: r.label, Op: r.n.OpType, Attr: name, Reason: fmt.Sprintf(format, args...), Err: ErrUnsupported}
	}
}

// get returns the attribute when present with type t; it records an error
// when present with another type, or when absent though required.
func (r *reader) get(name string, t ir.AttrType, required bool, def any) *ir.Attr {
	if r.spec != nil {
		*r.spec = append(*r.spec, AttrSpec{Name: name, Type: t, Required: required, Default: def})
		return nil
	}
	r.used = append(r.used, name)
	a := r.n.Attr(name)
	switch {
	case a == nil && required:
		r.failf(name, "is required")
	case a == nil:
	case a.RefAttrName != "":
		r.unsupportedf(name, "refers to function attribute %q", a.RefAttrName)
		return nil
	case a.Type != t:
		r.failf(name, "is %s, want %s", attrTypeName(a.Type), attrTypeName(t))
		return nil
	}
	return a
}

func (r *reader) int(name string, def int64) int64 {
	if a := r.get(name, ir.AttrInt, false, def); a != nil {
		return a.I
	}
	return def
}

func (r *reader) reqInt(name string) int64 {
	if a := r.get(name, ir.AttrInt, true, nil); a != nil {
		return a.I
	}
	return 0
}

// optInt reads an int attribute that has no default; nil when absent.
func (r *reader) optInt(name string) *int64 {
	if a := r.get(name, ir.AttrInt, false, nil); a != nil {
		v := a.I
		return &v
	}
	return nil
}

// bool reads a 0/1 int attribute.
func (r *reader) bool(name string, def bool) bool {
	d := int64(0)
	if def {
		d = 1
	}
	v := r.int(name, d)
	if v != 0 && v != 1 {
		r.failf(name, "is %d, want 0 or 1", v)
	}
	return v == 1
}

func (r *reader) float(name string, def float32) float32 {
	if a := r.get(name, ir.AttrFloat, false, def); a != nil {
		return a.F
	}
	return def
}

func (r *reader) optFloat(name string) *float32 {
	if a := r.get(name, ir.AttrFloat, false, nil); a != nil {
		v := a.F
		return &v
	}
	return nil
}

func (r *reader) str(name, def string) string {
	if a := r.get(name, ir.AttrString, false, def); a != nil {
		return string(a.S)
	}
	return def
}

// enum reads a string attribute that must be one of values.
func (r *reader) enum(name, def string, values ...string) string {
	v := r.str(name, def)
	if r.spec == nil && !slices.Contains(values, v) {
		r.failf(name, "is %.40q, want one of %q", v, values)
	}
	return v
}

// ints reads an ints attribute; def is returned (not copied) when absent.
func (r *reader) ints(name string, def []int64) []int64 {
	var d any
	if def != nil {
		d = def
	}
	if a := r.get(name, ir.AttrInts, false, d); a != nil {
		return a.Ints
	}
	return def
}

func (r *reader) reqInts(name string) []int64 {
	if a := r.get(name, ir.AttrInts, true, nil); a != nil {
		return a.Ints
	}
	return nil
}

func (r *reader) floats(name string) []float32 {
	if a := r.get(name, ir.AttrFloats, false, nil); a != nil {
		return a.Floats
	}
	return nil
}

func (r *reader) tensor(name string, required bool) *ir.Tensor {
	if a := r.get(name, ir.AttrTensor, required, nil); a != nil {
		if a.T == nil {
			r.failf(name, "holds no tensor")
			return nil
		}
		if err := a.T.Validate(); err != nil {
			r.failf(name, "%v", err)
			return nil
		}
		return a.T
	}
	return nil
}

// unsupportedAttr reads an attribute the op layer does not implement: its
// presence is an error wrapping ErrUnsupported.
func (r *reader) unsupportedAttr(name string, t ir.AttrType) {
	if a := r.get(name, t, false, nil); a != nil {
		r.unsupportedf(name, "is not supported")
	}
}

// positive checks that every value of an ints attribute is at least min.
func (r *reader) atLeast(name string, v []int64, min int64) {
	for _, x := range v {
		if x < min || x > math.MaxInt32 {
			r.failf(name, "value %d is out of range (want %d to %d)", x, min, math.MaxInt32)
			return
		}
	}
}

// finish rejects attributes that the op does not define at this opset.
func (r *reader) finish() error {
	if r.err != nil || r.spec != nil {
		return r.err
	}
	for _, a := range r.n.Attrs {
		if !slices.Contains(r.used, a.Name) {
			r.failf(a.Name, "is not an attribute of %s at opset %d", r.n.OpType, r.opset)
			break
		}
	}
	return r.err
}

func attrTypeName(t ir.AttrType) string {
	names := map[ir.AttrType]string{ir.AttrFloat: "FLOAT", ir.AttrInt: "INT", ir.AttrString: "STRING",
		ir.AttrTensor: "TENSOR", ir.AttrGraph: "GRAPH", ir.AttrFloats: "FLOATS", ir.AttrInts: "INTS",
		ir.AttrStrings: "STRINGS", ir.AttrTensors: "TENSORS", ir.AttrGraphs: "GRAPHS", attrSparseTensor: "SPARSE_TENSOR"}
	if s, ok := names[t]; ok {
		return s
	}
	return fmt.Sprintf("type %d", int32(t))
}

// attrSparseTensor is ONNX's SPARSE_TENSOR attribute type, which the IR
// does not hold (the reader refuses it).
const attrSparseTensor ir.AttrType = 11
