package export

import (
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// cUnary are the op codes of the unary kernel (Gelu: 14, or 15 for its
// tanh form).
var cUnary = map[string]int{"Tanh": 0, "Erf": 1, "Exp": 2, "Sqrt": 3, "Abs": 4, "Neg": 5, "Reciprocal": 6,
	"Floor": 7, "Ceil": 8, "Log": 9, "Softplus": 10, "Softsign": 11, "HardSwish": 12, "Mish": 13, "Gelu": 14}

func emitUnaryCode(g *cgen, n *ir.Node) error {
	code := cUnary[n.OpType]
	if n.OpType == "Gelu" {
		a, err := attrsOf[schema.Gelu](g, n)
		if err != nil {
			return err
		}
		code += b2i(a.Approximate == "tanh")
	}
	y := n.Outputs[0]
	g.call(n, "unary", "%d, %d, %s, %s", code, ir.NumElements(g.shapes[y]), g.ptr(n.Inputs[0]), g.ptr(y))
	return nil
}

// emitUnary2 emits the functions with parameters: Elu, Selu, Celu,
// ThresholdedRelu and HardSigmoid.
func emitUnary2(g *cgen, n *ir.Node) error {
	var code int
	var a, b float32
	switch at := g.bound[n].Attrs.(type) {
	case *schema.Alpha:
		code, a = map[string]int{"Elu": 0, "Celu": 2, "ThresholdedRelu": 3}[n.OpType], at.Alpha
	case *schema.Selu:
		code, a, b = 1, at.Alpha, at.Gamma
	case *schema.HardSigmoid:
		code, a, b = 4, at.Alpha, at.Beta
	default:
		return g.errf(n, "has no parameters for the C target")
	}
	y := n.Outputs[0]
	g.call(n, "unary2", "%d, %d, %s, %s, %s, %s", code, ir.NumElements(g.shapes[y]), g.float(a), g.float(b), g.ptr(n.Inputs[0]), g.ptr(y))
	return nil
}

// gatherCall emits a gather of input 0 into output 0 over the output's
// dims with per-axis tables of input offsets (-1: fill).
func (g *cgen) gatherCall(n *ir.Node, tables [][]int, fill float32) {
	out := g.shapes[n.Outputs[0]]
	var all []int
	for _, t := range tables {
		all = append(all, t...)
	}
	g.call(n, "gather", "%d, %s, %s, %s, %s, %s", len(out), g.longs(out), g.longs(all), g.float(fill),
		g.ptr(n.Inputs[0]), g.ptr(n.Outputs[0]))
}

// axisTables builds one table per output axis: f(d, o) for o < out[d].
func axisTables(out []int, f func(d, o int) int) [][]int {
	t := make([][]int, len(out))
	for d, n := range out {
		t[d] = make([]int, n)
		for o := range n {
			t[d][o] = f(d, o)
		}
	}
	return t
}

func emitTranspose(g *cgen, n *ir.Node) error {
	a, err := attrsOf[schema.Transpose](g, n)
	if err != nil {
		return err
	}
	in := g.shapes[n.Inputs[0]]
	perm, err := a.PermFor(len(in))
	if err != nil {
		return g.errf(n, "%v", err)
	}
	st := contiguous(in)
	g.gatherCall(n, axisTables(g.shapes[n.Outputs[0]], func(d, o int) int { return o * st[perm[d]] }), 0)
	return nil
}

// constInts reads a constant integer input of n ("" gives nil).
func (g *cgen) constInts(n *ir.Node, i int) ([]int64, error) {
	name := n.Input(i)
	if name == "" {
		return nil, nil
	}
	t := g.consts[name]
	if t == nil {
		return nil, g.errf(n, "input %q is not a constant", name)
	}
	v, err := t.Int64s()
	if err != nil {
		return nil, g.errf(n, "input %q: %v", name, err)
	}
	return v, nil
}

func emitSlice(g *cgen, n *ir.Node) error {
	a, err := attrsOf[schema.Slice](g, n)
	if err != nil {
		return err
	}
	args := [][]int64{a.Starts, a.Ends, a.Axes, nil}
	if g.opset(n) >= 10 {
		for i := range args {
			if args[i], err = g.constInts(n, i+1); err != nil {
				return err
			}
		}
	}
	in := g.shapes[n.Inputs[0]]
	sl, _, err := schema.Slices(schema.Dims(in), args[0], args[1], args[2], args[3])
	if err != nil {
		return g.errf(n, "%v", err)
	}
	st := contiguous(in)
	g.gatherCall(n, axisTables(g.shapes[n.Outputs[0]], func(d, o int) int { return (sl[d].Start + o*sl[d].Step) * st[d] }), 0)
	return nil
}

func emitPad(g *cgen, n *ir.Node) error {
	a, err := attrsOf[schema.Pad](g, n)
	if err != nil {
		return err
	}
	pads, axes, value := a.Pads, []int64(nil), a.Value
	if g.opset(n) >= 11 {
		if pads, err = g.constInts(n, 1); err != nil {
			return err
		}
		if axes, err = g.constInts(n, 3); err != nil {
			return err
		}
		if name := n.Input(2); name != "" {
			if value, err = g.scalar(n, name); err != nil {
				return err
			}
		}
	}
	in := g.shapes[n.Inputs[0]]
	begin, _, err := schema.PadAmounts(pads, axes, len(in))
	if err != nil {
		return g.errf(n, "%v", err)
	}
	src, st := schema.PadSource(a.Mode), contiguous(in)
	g.gatherCall(n, axisTables(g.shapes[n.Outputs[0]], func(d, o int) int {
		if j := src(o-begin[d], in[d]); j >= 0 {
			return j * st[d]
		}
		return -1
	}), value)
	return nil
}

// emitExpand broadcasts: an input dim of 1 reads its one element.
func emitExpand(g *cgen, n *ir.Node) error {
	in, out := g.shapes[n.Inputs[0]], g.shapes[n.Outputs[0]]
	st := broadcastStrides(in, out)
	if st == nil {
		return g.errf(n, "input %v does not broadcast to %v", in, out)
	}
	g.gatherCall(n, axisTables(out, func(d, o int) int { return o * st[d] }), 0)
	return nil
}

func emitTile(g *cgen, n *ir.Node) error {
	in := g.shapes[n.Inputs[0]]
	st := contiguous(in)
	g.gatherCall(n, axisTables(g.shapes[n.Outputs[0]], func(d, o int) int { return o % in[d] * st[d] }), 0)
	return nil
}

// cReduce are the kinds of the reduce kernel.
var cReduce = map[string]int{"ReduceSum": 0, "ReduceMean": 1, "ReduceMax": 2, "ReduceMin": 3, "ReduceProd": 4,
	"ReduceL1": 5, "ReduceL2": 6, "ReduceSumSquare": 7}

func emitReduce(g *cgen, n *ir.Node) error {
	a, err := attrsOf[schema.Reduce](g, n)
	if err != nil {
		return err
	}
	axes := a.Axes
	if n.Input(1) != "" {
		if axes, err = g.constInts(n, 1); err != nil {
			return err
		}
	}
	in, y := g.shapes[n.Inputs[0]], n.Outputs[0]
	red, _, err := schema.ReducedAxes(axes, len(in), a.NoopWithEmptyAxes)
	if err != nil {
		return g.errf(n, "%v", err)
	}
	if red == nil {
		return g.errf(n, "reduces no axis (noop_with_empty_axes); the C target needs a reduction")
	}
	full, count := append([]int(nil), in...), 1
	for d, r := range red {
		if r {
			full[d], count = 1, count*in[d]
		}
	}
	ostr := contiguous(full)
	for d, r := range red {
		if r {
			ostr[d] = 0
		}
	}
	g.call(n, "reduce", "%d, %d, %s, %s, %d, %d, %s, %s", cReduce[n.OpType], len(in), g.longs(in), g.longs(ostr), count,
		ir.NumElements(g.shapes[y]), g.ptr(n.Inputs[0]), g.ptr(y))
	return nil
}

// prelu6Shape is the shape a constant opset-6 PRelu slope broadcasts with.
func (g *cgen) prelu6Shape(n *ir.Node, t *ir.Tensor) []int {
	if n.OpType != "PRelu" {
		return t.Shape
	}
	if s := schema.PReluSlopeShape(g.opset(n), t.Len(), len(g.shapes[n.Inputs[0]])); s != nil {
		return s
	}
	return t.Shape
}
