package export

import (
	"fmt"
	"strings"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// window is a 2-D convolution or pool geometry for one image.
type window struct {
	c, h, w, k, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, group int
}

// windowOf resolves a node's window attributes (the op layer's) for a
// node whose input and output shapes are [1, C, H, W] and [1, K, OH, OW],
// or [1, C, W] and [1, K, OW] (1-D: a 2-D window of height 1); kernel is
// the weight's spatial dims (nil: kernel_shape).
func (g *cgen) windowOf(n *ir.Node, w *schema.Window, group int64, kernel []int) (window, error) {
	in, out := g.shapes[n.Inputs[0]], g.shapes[n.Outputs[0]]
	if len(in) != len(out) || len(in) != 3 && len(in) != 4 {
		return window{}, g.errf(n, "the C target supports 1-D and 2-D only (input %v, output %v)", in, out)
	}
	geo, err := w.Resolve(in[2:], kernel)
	if err != nil {
		return window{}, g.errf(n, "%v", err)
	}
	if len(in) == 3 { // height 1: one row, no vertical padding
		in, out = []int{in[0], in[1], 1, in[2]}, []int{out[0], out[1], 1, out[2]}
		geo = schema.Geometry{Kernel: []int{1, geo.Kernel[0]}, Strides: []int{1, geo.Strides[0]},
			Dilations: []int{1, geo.Dilations[0]}, PadBegin: []int{0, geo.PadBegin[0]}}
	}
	return window{c: in[1], h: in[2], w: in[3], k: out[1], oh: out[2], ow: out[3], kh: geo.Kernel[0], kw: geo.Kernel[1],
		sh: geo.Strides[0], sw: geo.Strides[1], ph: geo.PadBegin[0], pw: geo.PadBegin[1],
		dh: geo.Dilations[0], dw: geo.Dilations[1], group: int(group)}, nil
}

// geometry emits the window as a const struct and returns its address.
func (g *cgen) geometry(n *ir.Node, w window) string {
	name := g.sym("geom")
	fmt.Fprintf(&g.data, "static const %s_window %s = {%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d};\n",
		g.prefix, name, w.c, w.h, w.w, w.k, w.oh, w.ow, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, w.dh, w.dw, w.group)
	g.flash += 15 * 4
	g.kernels["window"] = true
	return "&" + name
}

func emitConv(g *cgen, n *ir.Node) error {
	wt := g.consts[n.Input(1)]
	if wt == nil || wt.DType != ir.Float32 || len(wt.Shape) != 4 && len(wt.Shape) != 3 {
		return g.errf(n, "weight %q is not a constant float32 [K, C/group, kH, kW] or [K, C/group, kW] tensor", n.Input(1))
	}
	a, err := attrsOf[schema.Conv](g, n)
	if err != nil {
		return err
	}
	w, err := g.windowOf(n, &a.Window, a.Group, wt.Shape[2:])
	if err != nil {
		return err
	}
	bias := "NULL"
	if b := n.Input(2); b != "" {
		if bias, err = g.constFloats(n, b, w.k); err != nil {
			return err
		}
	}
	g.kernels["span"] = true
	g.call(n, "conv_f32", "%s, %s, %s, %s, %s", g.geometry(n, w), g.ptr(n.Inputs[0]),
		g.floats(n, "weight", wt.Data.([]float32)), bias, g.ptr(n.Outputs[0]))
	return nil
}

func emitBinaryConv(g *cgen, n *ir.Node) error {
	l := g.layers[n]
	a, err := attrsOf[schema.BinaryConv](g, n)
	if err != nil {
		return err
	}
	w, err := g.windowOf(n, &a.Window, a.Group, nil)
	if err != nil {
		return err
	}
	g.kernels["span"] = true
	g.call(n, "conv_bin", "%s, %s, %s, %s, %s, %s", g.geometry(n, w), g.ptr(n.Inputs[0]), g.bitsArray(n, l),
		g.floats(n, "multiplier", l.mult), g.floats(n, "bias", l.bias), g.ptr(n.Outputs[0]))
	return nil
}

func emitBinaryGemm(g *cgen, n *ir.Node) error {
	l := g.layers[n]
	a, err := attrsOf[schema.BinaryGemm](g, n)
	if err != nil {
		return err
	}
	rows := ir.NumElements(g.shapes[n.Inputs[0]]) / l.cols
	g.call(n, "gemm_bin", "%d, %d, %d, %d, %s, %s, %s, %s, %s", rows, l.rows, l.cols, b2i(a.TransA),
		g.ptr(n.Inputs[0]), g.bitsArray(n, l), g.floats(n, "multiplier", l.mult), g.floats(n, "bias", l.bias), g.ptr(n.Outputs[0]))
	return nil
}

// emitGemm handles Gemm with a constant B and an optional constant C that
// broadcasts to [M, N].
func emitGemm(g *cgen, n *ir.Node) error {
	a, bt := g.shapes[n.Inputs[0]], g.consts[n.Input(1)]
	if len(a) != 2 || bt == nil || bt.DType != ir.Float32 || len(bt.Shape) != 2 {
		return g.errf(n, "needs a 2-D input and a constant float32 2-D B")
	}
	at, err := attrsOf[schema.Gemm](g, n)
	if err != nil {
		return err
	}
	ta, tb := b2i(at.TransA), b2i(at.TransB)
	m, k := a[0], a[1]
	if ta != 0 {
		m, k = k, m
	}
	nOut, bk := bt.Shape[1], bt.Shape[0]
	if tb != 0 {
		nOut, bk = bt.Shape[0], bt.Shape[1]
	}
	if bk != k {
		return g.errf(n, "A has %d columns, B %d rows", k, bk)
	}
	c, cm, cn := "NULL", 0, 0
	if name := n.Input(2); name != "" {
		ct := g.consts[name]
		if ct == nil || ct.DType != ir.Float32 || len(ct.Shape) > 2 {
			return g.errf(n, "C %q is not a constant float32 tensor of rank ≤ 2", name)
		}
		cm, cn = 1, 1
		if len(ct.Shape) == 2 {
			cm = ct.Shape[0]
		}
		if len(ct.Shape) >= 1 {
			cn = ct.Shape[len(ct.Shape)-1]
		}
		c = g.floats(n, "c", ct.Data.([]float32))
	}
	g.call(n, "gemm_f32", "%d, %d, %d, %d, %d, %s, %s, %s, %s, %s, %d, %d, %s", m, nOut, k, ta, tb,
		g.float(at.Alpha), g.float(at.Beta), g.ptr(n.Inputs[0]),
		g.floats(n, "b", bt.Data.([]float32)), c, cm, cn, g.ptr(n.Outputs[0]))
	return nil
}

// emitMatMul handles A[..., K] times a constant B[K, N].
func emitMatMul(g *cgen, n *ir.Node) error {
	bt := g.consts[n.Input(1)]
	if bt == nil || bt.DType != ir.Float32 || len(bt.Shape) != 2 {
		return g.errf(n, "B %q is not a constant float32 2-D tensor", n.Input(1))
	}
	k, nOut := bt.Shape[0], bt.Shape[1]
	m := ir.NumElements(g.shapes[n.Inputs[0]]) / k
	g.call(n, "gemm_f32", "%d, %d, %d, 0, 0, 1.0f, 1.0f, %s, %s, NULL, 0, 0, %s", m, nOut, k,
		g.ptr(n.Inputs[0]), g.floats(n, "b", bt.Data.([]float32)), g.ptr(n.Outputs[0]))
	return nil
}

func emitPool(kind string) func(*cgen, *ir.Node) error {
	return func(g *cgen, n *ir.Node) error {
		if kind == "max" {
			a, err := attrsOf[schema.MaxPool](g, n)
			if err != nil {
				return err
			}
			w, err := g.windowOf(n, &a.Window, 1, nil)
			if err != nil {
				return err
			}
			g.call(n, "maxpool", "%s, %s, %s", g.geometry(n, w), g.ptr(n.Inputs[0]), g.ptr(n.Outputs[0]))
			return nil
		}
		a, err := attrsOf[schema.AveragePool](g, n)
		if err != nil {
			return err
		}
		w, err := g.windowOf(n, &a.Window, 1, nil)
		if err != nil {
			return err
		}
		eh, ew := 0, 0 // the end pads count_include_pad counts
		if len(a.Pads) == 4 && a.AutoPad == "NOTSET" {
			eh, ew = int(a.Pads[2]), int(a.Pads[3])
		}
		g.call(n, "avgpool", "%s, %d, %d, %d, %s, %s", g.geometry(n, w), b2i(a.CountIncludePad), eh, ew,
			g.ptr(n.Inputs[0]), g.ptr(n.Outputs[0]))
		return nil
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func emitGlobalPool(kind string) func(*cgen, *ir.Node) error {
	return func(g *cgen, n *ir.Node) error {
		in := g.shapes[n.Inputs[0]]
		if len(in) < 3 {
			return g.errf(n, "input shape %v has no spatial dimensions", in)
		}
		g.call(n, "global_"+kind+"pool", "%d, %d, %s, %s", in[1], ir.NumElements(in[2:]), g.ptr(n.Inputs[0]), g.ptr(n.Outputs[0]))
		return nil
	}
}

// emitSoftmax normalizes over the axis (opset ≥ 13) or over all dims from
// the axis on (opset < 13, ONNX's 2-D coercion).
func emitSoftmax(g *cgen, n *ir.Node) error {
	shape := g.shapes[n.Inputs[0]]
	a, err := attrsOf[schema.Softmax](g, n)
	if err != nil {
		return err
	}
	ax := int(a.Axis)
	if ax < 0 {
		ax += len(shape)
	}
	if ax < 0 || ax >= len(shape) {
		return g.errf(n, "axis %d out of range for shape %v", ax, shape)
	}
	outer, dim, inner := ir.NumElements(shape[:ax]), shape[ax], ir.NumElements(shape[ax+1:])
	if g.opset(n) < 13 {
		dim, inner = dim*inner, 1
	}
	g.call(n, "softmax", "%d, %d, %d, %d, %s, %s", outer, dim, inner, b2i(n.OpType == "LogSoftmax"), g.ptr(n.Inputs[0]), g.ptr(n.Outputs[0]))
	return nil
}

// emitConcat copies each run-time input's slab into place along the axis.
func emitConcat(g *cgen, n *ir.Node) error {
	out := g.shapes[n.Outputs[0]]
	a, err := attrsOf[schema.Concat](g, n)
	if err != nil {
		return err
	}
	ax := int(a.Axis)
	if ax < 0 {
		ax += len(out)
	}
	if ax < 0 || ax >= len(out) {
		return g.errf(n, "axis %d out of range for shape %v", ax, out)
	}
	outer, inner, at := ir.NumElements(out[:ax]), ir.NumElements(out[ax+1:]), 0
	for _, in := range n.Inputs {
		src := g.ptr(in) // a constant part is emitted as a const array

		d := g.shapes[in][ax]
		g.call(n, "concat_part", "%d, %d, %d, %d, %s, %s", outer, d*inner, out[ax]*inner, at*inner, src, g.ptr(n.Outputs[0]))
		at += d
	}
	return nil
}

func mustFloats(t *ir.Tensor) []float32 {
	if t == nil {
		return nil
	}
	v, _ := t.Float32s()
	return v
}

// emitArith emits a binary element-wise op (the binop kernel's codes: Add,
// Sub, Mul, Div, Max, Min, Pow, PRelu): a flat loop when both sides have
// the output's shape, numpy broadcasting through strides otherwise.
func emitArith(op int) func(*cgen, *ir.Node) error {
	return func(g *cgen, n *ir.Node) error {
		if len(n.Inputs) != 2 {
			return g.errf(n, "has %d inputs; the C target takes two", len(n.Inputs))
		}
		g.kernels["binop"] = true
		out := g.shapes[n.Outputs[0]]
		var ptrs [2]string
		var strides [2][]int
		for i := range 2 {
			in := n.Input(i)
			shape := g.shapes[in]
			if !g.isData(in) {
				t := g.consts[in]
				if t == nil || t.DType != ir.Float32 {
					return g.errf(n, "input %q is not float32", in)
				}
				shape = g.prelu6Shape(n, t)
				ptrs[i] = g.floats(n, "operand", t.Data.([]float32))
			} else {
				ptrs[i] = g.ptr(in)
			}
			strides[i] = broadcastStrides(shape, out)
		}
		if strides[0] == nil || strides[1] == nil {
			return g.errf(n, "input shapes %v and %v do not broadcast to %v", g.shapes[n.Input(0)], g.shapes[n.Input(1)], out)
		}
		size := ir.NumElements(out)
		if fmt.Sprint(strides[0]) == fmt.Sprint(strides[1]) && fmt.Sprint(strides[0]) == fmt.Sprint(contiguous(out)) {
			g.call(n, "arith", "%d, %d, %s, %s, %s", op, size, ptrs[0], ptrs[1], g.ptr(n.Outputs[0]))
			return nil
		}
		g.call(n, "broadcast", "%d, %d, %s, %s, %s, %s, %s, %s", op, len(out), g.longs(out),
			g.longs(strides[0]), g.longs(strides[1]), ptrs[0], ptrs[1], g.ptr(n.Outputs[0]))
		return nil
	}
}

// broadcastStrides returns, for each dim of out, the stride of shape's
// matching dim (0 where shape broadcasts), or nil if it does not broadcast.
func broadcastStrides(shape, out []int) []int {
	if len(shape) > len(out) {
		return nil
	}
	st := make([]int, len(out))
	step := 1
	for i := len(shape) - 1; i >= 0; i-- {
		j := len(out) - len(shape) + i
		switch shape[i] {
		case out[j]:
			st[j] = step
		case 1:
			st[j] = 0
		default:
			return nil
		}
		step *= shape[i]
	}
	return st
}

func contiguous(shape []int) []int {
	st := make([]int, len(shape))
	step := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = step
		step *= shape[i]
	}
	return st
}

// longs emits a const long array and returns its name.
func (g *cgen) longs(v []int) string {
	name := g.sym("dims")
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	if len(v) == 0 {
		parts = []string{"0"}
	}
	fmt.Fprintf(&g.data, "static const long %s[%d] = {%s};\n", name, len(parts), strings.Join(parts, ", "))
	g.flash += int64(4 * len(parts))
	return name
}
