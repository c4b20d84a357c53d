package export

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/pack"
)

// Storage kinds of a C op's output.
const (
	kindNew     = iota // a buffer of its own
	kindAlias          // the same data as input 0 (Reshape, Flatten, ...)
	kindInPlace        // element-wise: may overwrite a dying input of its size
)

// cOp is one op the C target implements.
type cOp struct {
	kind int
	data []int // indices of inputs that may be run-time values; nil = all
	emit func(g *cgen, n *ir.Node) error
}

func (op cOp) dataInputs(n *ir.Node) []int {
	if op.data != nil {
		return op.data
	}
	idx := make([]int, len(n.Inputs))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// cOps is the C target's operator table, by domain and op type; the op
// layer lists it for schema.CExport (TestCTable) and docs/OPERATORS.md
// prints it.
var cOps = map[string]map[string]cOp{
	"": {
		"Add":                {kind: kindInPlace, emit: emitArith(0)},
		"Sub":                {kind: kindInPlace, emit: emitArith(1)},
		"Mul":                {kind: kindInPlace, emit: emitArith(2)},
		"Div":                {kind: kindInPlace, emit: emitArith(3)},
		"AveragePool":        {kind: kindNew, data: []int{0}, emit: emitPool("avg")},
		"MaxPool":            {kind: kindNew, data: []int{0}, emit: emitPool("max")},
		"BatchNormalization": {kind: kindInPlace, data: []int{0}, emit: emitBatchNorm},
		"Clip":               {kind: kindInPlace, data: []int{0}, emit: emitClip},
		"Concat":             {kind: kindNew, emit: emitConcat},
		"Conv":               {kind: kindNew, data: []int{0}, emit: emitConv},
		"Dropout":            {kind: kindAlias, data: []int{0}, emit: emitAlias},
		"Flatten":            {kind: kindAlias, data: []int{0}, emit: emitAlias},
		"Gemm":               {kind: kindNew, data: []int{0}, emit: emitGemm},
		"GlobalAveragePool":  {kind: kindNew, emit: emitGlobalPool("avg")},
		"GlobalMaxPool":      {kind: kindNew, emit: emitGlobalPool("max")},
		"Identity":           {kind: kindAlias, emit: emitAlias},
		"LeakyRelu":          {kind: kindInPlace, emit: emitUnary("leaky_relu")},
		"MatMul":             {kind: kindNew, data: []int{0}, emit: emitMatMul},
		"Relu":               {kind: kindInPlace, emit: emitUnary("relu")},
		"Reshape":            {kind: kindAlias, data: []int{0}, emit: emitAlias},
		"Sigmoid":            {kind: kindInPlace, emit: emitUnary("sigmoid")},
		"Softmax":            {kind: kindNew, emit: emitSoftmax},
		"Squeeze":            {kind: kindAlias, data: []int{0}, emit: emitAlias},
		"Unsqueeze":          {kind: kindAlias, data: []int{0}, emit: emitAlias},
		"LogSoftmax":         {kind: kindNew, emit: emitSoftmax},
		"Max":                {kind: kindInPlace, emit: emitArith(4)},
		"Min":                {kind: kindInPlace, emit: emitArith(5)},
		"Pow":                {kind: kindInPlace, emit: emitArith(6)},
		"PRelu":              {kind: kindInPlace, emit: emitArith(7)},
		"Transpose":          {kind: kindNew, data: []int{0}, emit: emitTranspose},
		"Slice":              {kind: kindNew, data: []int{0}, emit: emitSlice},
		"Pad":                {kind: kindNew, data: []int{0}, emit: emitPad},
		"Expand":             {kind: kindNew, data: []int{0}, emit: emitExpand},
		"Tile":               {kind: kindNew, data: []int{0}, emit: emitTile},
		"Tanh":               {kind: kindInPlace, emit: emitUnaryCode},
		"Erf":                {kind: kindInPlace, emit: emitUnaryCode},
		"Exp":                {kind: kindInPlace, emit: emitUnaryCode},
		"Sqrt":               {kind: kindInPlace, emit: emitUnaryCode},
		"Abs":                {kind: kindInPlace, emit: emitUnaryCode},
		"Neg":                {kind: kindInPlace, emit: emitUnaryCode},
		"Reciprocal":         {kind: kindInPlace, emit: emitUnaryCode},
		"Floor":              {kind: kindInPlace, emit: emitUnaryCode},
		"Ceil":               {kind: kindInPlace, emit: emitUnaryCode},
		"Log":                {kind: kindInPlace, emit: emitUnaryCode},
		"Softplus":           {kind: kindInPlace, emit: emitUnaryCode},
		"Softsign":           {kind: kindInPlace, emit: emitUnaryCode},
		"HardSwish":          {kind: kindInPlace, emit: emitUnaryCode},
		"Mish":               {kind: kindInPlace, emit: emitUnaryCode},
		"Gelu":               {kind: kindInPlace, emit: emitUnaryCode},
		"Elu":                {kind: kindInPlace, emit: emitUnary2},
		"Selu":               {kind: kindInPlace, emit: emitUnary2},
		"Celu":               {kind: kindInPlace, emit: emitUnary2},
		"ThresholdedRelu":    {kind: kindInPlace, emit: emitUnary2},
		"HardSigmoid":        {kind: kindInPlace, emit: emitUnary2},
		"ReduceSum":          {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceMean":         {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceMax":          {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceMin":          {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceProd":         {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceL1":           {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceL2":           {kind: kindNew, data: []int{0}, emit: emitReduce},
		"ReduceSumSquare":    {kind: kindNew, data: []int{0}, emit: emitReduce},
	},
	pack.Domain: {
		pack.OpBinaryConv: {kind: kindNew, data: []int{0}, emit: emitBinaryConv},
		pack.OpBinaryGemm: {kind: kindNew, data: []int{0}, emit: emitBinaryGemm},
	},
}

func lookupCOp(n *ir.Node) (cOp, bool) {
	d := n.Domain
	if d == "ai.onnx" {
		d = ""
	}
	op, ok := cOps[d][n.OpType]
	return op, ok
}

func emitAlias(g *cgen, n *ir.Node) error {
	if !g.isData(n.Input(0)) {
		return g.errf(n, "the C target needs a computed input, not the constant %q", n.Input(0))
	}
	g.comment(n, "shares its input's buffer")
	return nil
}

func emitUnary(kernel string) func(*cgen, *ir.Node) error {
	return func(g *cgen, n *ir.Node) error {
		x, y := n.Inputs[0], n.Outputs[0]
		size := ir.NumElements(g.shapes[y])
		switch kernel {
		case "leaky_relu":
			a, err := attrsOf[schema.Alpha](g, n)
			if err != nil {
				return err
			}
			g.call(n, "leaky_relu", "%d, %s, %s, %s", size, g.float(a.Alpha), g.ptr(x), g.ptr(y))
		default:
			g.call(n, kernel, "%d, %s, %s", size, g.ptr(x), g.ptr(y))
		}
		return nil
	}
}

// emitClip reads min and max from attributes (opset < 11, default
// ∓FLT_MAX) or constant inputs (absent bounds are ±infinity).
func emitClip(g *cgen, n *ir.Node) error {
	a, err := attrsOf[schema.Clip](g, n)
	if err != nil {
		return err
	}
	lo, hi := g.float(a.Min), g.float(a.Max)
	if g.opset(n) >= 11 {
		for i, dst := range []*string{&lo, &hi} {
			if name := n.Input(i + 1); name != "" {
				v, err := g.scalar(n, name)
				if err != nil {
					return err
				}
				*dst = g.float(v)
			}
		}
	}
	y := n.Outputs[0]
	g.call(n, "clip", "%d, %s, %s, %s, %s", ir.NumElements(g.shapes[y]), lo, hi, g.ptr(n.Inputs[0]), g.ptr(y))
	return nil
}

// emitBatchNorm folds inference-mode BN into y = x·a[c] + b[c].
func emitBatchNorm(g *cgen, n *ir.Node) error {
	at, err := attrsOf[schema.BatchNormalization](g, n)
	if err != nil {
		return err
	}
	if at.TrainingMode {
		return g.errf(n, "only inference-mode BatchNormalization is supported")
	}
	var p [4][]float32
	for i := range p {
		t := g.consts[n.Input(i+1)]
		if t == nil || t.DType != ir.Float32 {
			return g.errf(n, "input %d is not a float32 constant", i+1)
		}
		p[i] = t.Data.([]float32)
	}
	shape := g.shapes[n.Inputs[0]]
	for i := range p {
		if len(shape) < 2 || len(p[i]) != shape[1] {
			return g.errf(n, "input %d has %d values for input shape %v", i+1, len(p[i]), shape)
		}
	}
	eps := float64(at.Epsilon)
	a, b := make([]float32, shape[1]), make([]float32, shape[1])
	for c := range a {
		a[c] = float32(float64(p[0][c]) / sqrt(float64(p[3][c])+eps))
		b[c] = float32(float64(p[1][c]) - float64(p[2][c])*float64(a[c]))
	}
	y := n.Outputs[0]
	g.call(n, "channel_affine", "%d, %d, %s, %s, %s, %s", shape[1], ir.NumElements(shape[2:]),
		g.floats(n, "scale", a), g.floats(n, "shift", b), g.ptr(n.Inputs[0]), g.ptr(y))
	return nil
}

// errf is what the C target lacks for node n, a use of an op it has code
// for only in part (a MatMul of two computed values, a BatchNormalization
// without constant statistics, ...): a *schema.UnsupportedOpError with the
// reason, so that inspect reports the target as unsupported, as for an op
// it lacks.
func (g *cgen) errf(n *ir.Node, format string, args ...any) error {
	e := &schema.UnsupportedOpError{Op: n.OpType, Domain: n.Domain, Opset: g.m.Opset(n.Domain), Node: fmt.Sprintf("%q", n.Name),
		Stage: schema.CExport, Reason: fmt.Sprintf(format, args...)}
	if b := g.bound[n]; b != nil {
		e.Node, e.Opset = b.Label, b.Opset
	}
	return fmt.Errorf("export: %w", e)
}
