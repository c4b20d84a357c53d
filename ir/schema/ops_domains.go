package schema

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
)

// bincompressOps are the binary layers of a .bnn (docs/bnn-format.md is
// their spec).
var bincompressOps = map[string]*Op{
	"BinaryConv": {Since: 1, Until: 1, In: arity(4, 4), Out: arity(1, 1), parse: parseBinaryConv, infer: inferBinaryConv, stages: ex | cx | passes},
	"BinaryGemm": {Since: 1, Until: 1, In: arity(4, 4), Out: arity(1, 1), parse: parseBinaryGemm, infer: inferBinaryGemm, stages: ex | cx | passes},
}

// qonnxOps are the QONNX quantizers the QONNX export writes for FINN.
// QONNX does not version its ops; files import the domain at version 1.
var qonnxOps = map[string]*Op{
	"BipolarQuant": {Since: 1, Until: 1, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferBipolarQuant, stages: ex},
}

// BinaryConv's attributes: Conv's window (2-D), group and the input
// channel count.
type BinaryConv struct {
	Window
	Group    int64 // default 1
	Channels int64 // required: C, so the row length C/group·kH·kW is known
}

func parseBinaryConv(r *reader) any {
	a := &BinaryConv{Window: readWindow(r, true, true), Group: r.int("group", 1), Channels: r.reqInt("channels")}
	if r.spec != nil || r.err != nil {
		return a
	}
	if len(a.KernelShape) != 2 {
		r.failf("kernel_shape", "is %v, want two sizes", a.KernelShape)
	}
	if a.Channels < 1 || a.Channels > 1<<31 {
		r.failf("channels", "is %d, want a positive count", a.Channels)
	}
	if a.Group < 1 || a.Channels%a.Group != 0 {
		r.failf("group", "group %d is not a positive divisor of channels %d", a.Group, a.Channels)
	}
	return a
}

// FanIn is the length of one packed row: channels/group·kH·kW.
func (a *BinaryConv) FanIn() int {
	return int(a.Channels/a.Group) * int(a.KernelShape[0]) * int(a.KernelShape[1])
}

// inferBinaryConv: X [N, C, H, W] with C = channels; Y [N, K, OH, OW], K
// the rows of W_bits.
func inferBinaryConv(c *call) ([]Value, error) {
	a := c.Attrs.(*BinaryConv)
	x, wb := c.shape(0), c.shape(1)
	if len(x) != 4 {
		return nil, fmt.Errorf("input has shape %s, needs rank 4 (NCHW)", ir.FormatDims(x))
	}
	if !compatible(x[1], known(a.Channels)) {
		return nil, fmt.Errorf("channels %d does not match input %s", a.Channels, ir.FormatDims(x))
	}
	if len(wb) != 2 || c.dtype(1) != ir.Uint64 {
		return nil, fmt.Errorf("W_bits is %v%s, want a uint64 matrix", c.dtype(1), ir.FormatDims(wb))
	}
	if err := checkGroups(x[1], wb[0], known(a.Channels/a.Group), a.Group); err != nil {
		return nil, err
	}
	sp, err := a.outDims(x[2:], nil, false, false)
	if err != nil {
		return nil, err
	}
	return one(ir.Float32, append([]ir.Dim{x[0], wb[0]}, sp...))
}

// BinaryGemm's attributes.
type BinaryGemm struct {
	InFeatures int64 // required: F, the row length
	TransA     bool  // default 0; 1: A is the [F, M] transpose
}

func parseBinaryGemm(r *reader) any {
	a := &BinaryGemm{InFeatures: r.reqInt("in_features"), TransA: r.bool("transA", false)}
	if r.spec == nil && r.err == nil && (a.InFeatures < 1 || a.InFeatures > 1<<31) {
		r.failf("in_features", "is %d, want a positive count", a.InFeatures)
	}
	return a
}

// inferBinaryGemm: A [..., F] gives [..., N]; with transA, [F, M] gives
// [M, N].
func inferBinaryGemm(c *call) ([]Value, error) {
	a := c.Attrs.(*BinaryGemm)
	x, wb := c.shape(0), c.shape(1)
	if len(wb) != 2 || c.dtype(1) != ir.Uint64 {
		return nil, fmt.Errorf("W_bits is %v%s, want a uint64 matrix", c.dtype(1), ir.FormatDims(wb))
	}
	f := known(a.InFeatures)
	if a.TransA {
		if len(x) != 2 || !compatible(x[0], f) {
			return nil, fmt.Errorf("A has shape %s, transA=1 needs [%d, M]", ir.FormatDims(x), a.InFeatures)
		}
		return one(ir.Float32, []ir.Dim{x[1], wb[0]})
	}
	if len(x) < 1 || !compatible(x[len(x)-1], f) {
		return nil, fmt.Errorf("A has shape %s, needs a last axis of in_features %d", ir.FormatDims(x), a.InFeatures)
	}
	return one(ir.Float32, append(clone(x[:len(x)-1]), wb[0]))
}

// inferBipolarQuant: scale broadcasts against X.
func inferBipolarQuant(c *call) ([]Value, error) {
	shape, err := broadcastDims(c.shape(0), c.shape(1))
	if err != nil {
		return nil, err
	}
	return one(c.dtype(0), shape)
}
