package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// handlers maps each supported op to its forward; the tape differentiates it.
var handlers = map[string]opFunc{
	"Conv": opConv, "Gemm": opGemm, "MatMul": opMatMul, "BatchNormalization": opBN,
	"Relu": opRelu, "Clip": opClip, "Add": opAdd, "Sum": opSum, "Mul": opMul,
	"MaxPool": opMaxPool, "AveragePool": opAvgPool, "GlobalAveragePool": opGAP,
	"Flatten": opFlatten, "Reshape": opReshape, "Identity": opIdentity, "Dropout": opIdentity,
	"Constant": opConstant, "Shape": opShape, "Gather": opGather, "Unsqueeze": opUnsqueeze,
	"Squeeze": opSqueeze, "Concat": opConcat, "Cast": opCast,
	// ops_act.go, ops_arith.go, ops_layout.go
	"Sigmoid": opSigmoid, "Tanh": opTanh, "Erf": opErf, "Gelu": opGelu, "Softplus": opSoftplus, "Elu": opElu,
	"Selu": opSelu, "HardSigmoid": opHardSigmoid, "HardSwish": opHardSwish, "LeakyRelu": opLeakyRelu,
	"PRelu": opPRelu, "Neg": opNeg, "Exp": opExp, "Log": opLog, "Sqrt": opSqrt, "Reciprocal": opReciprocal,
	"Pow": opPow, "Softmax": opSoftmax, "Sub": opSub, "Div": opDiv, "Max": opMax, "Min": opMin, "Where": opWhere,
	"ReduceMean": opReduceMean, "ReduceSum": opReduceSum, "ReduceMax": opReduceMax, "Slice": opSlice,
	"Split": opSplit, "Pad": opPad, "Transpose": opTranspose, "Expand": opExpand, "ConstantOfShape": opConstantOfShape,
}

func opConv(r *run, nd *ir.Node) error {
	in, err := r.inputs(nd, 2)
	if err != nil {
		return err
	}
	b, err := r.tensor(nd, 2)
	if err != nil {
		return err
	}
	w, binary := r.n.weight(nd, in[1])
	if len(in[0].Shape) == 3 && len(w.Shape) == 3 {
		return conv1d(r, nd, in[0], w, b, binary)
	}
	if len(in[0].Shape) != 4 || len(w.Shape) != 4 {
		return fmt.Errorf("only 1-D and 2-D convolution are supported, got input %v weights %v", in[0].Shape, w.Shape)
	}
	a, err := convAttrs(r.n, nd, in[0].Shape, w.Shape)
	if err != nil {
		return err
	}
	y, err := r.tp.Conv(in[0], w, b, a, binary)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func convAttrs(n *net, nd *ir.Node, x, w []int) (autograd.ConvAttrs, error) {
	c, err := attrsOf[schema.Conv](n, nd)
	if err != nil {
		return autograd.ConvAttrs{}, err
	}
	g, err := c.Window.Resolve(x[2:], w[2:])
	if err != nil {
		return autograd.ConvAttrs{}, err
	}
	if len(x) == 3 {
		g = liftGeometry(g) // 1-D: a 2-D convolution of height 1
	}
	return autograd.ConvAttrs{StrideH: g.Strides[0], StrideW: g.Strides[1], DilationH: g.Dilations[0], DilationW: g.Dilations[1],
		Group: int(c.Group), PadTop: g.PadBegin[0], PadLeft: g.PadBegin[1], PadBottom: g.PadEnd[0], PadRight: g.PadEnd[1]}, nil
}

func opGemm(r *run, nd *ir.Node) error {
	in, err := r.inputs(nd, 2)
	if err != nil {
		return err
	}
	c, err := r.tensor(nd, 2)
	if err != nil {
		return err
	}
	w, binary := r.n.weight(nd, in[1])
	g, err := attrsOf[schema.Gemm](r.n, nd)
	if err != nil {
		return err
	}
	a := autograd.GemmAttrs{Alpha: g.Alpha, Beta: g.Beta, TransA: g.TransA, TransB: g.TransB}
	y, err := r.tp.Gemm(in[0], w, c, a, binary)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func opMatMul(r *run, nd *ir.Node) error {
	in, err := r.inputs(nd, 2)
	if err != nil {
		return err
	}
	w, binary := r.n.weight(nd, in[1])
	y, err := r.tp.MatMul(in[0], w, binary)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func opBN(r *run, nd *ir.Node) error {
	in, err := r.inputs(nd, 3)
	if err != nil {
		return err
	}
	st, inPlace := r.n.bn[nd], r.n.inPlace[nd] // the tape decides whether it may
	if r.mode == modeEval {
		mean, variance := r.n.runningStats(nd)
		eval := r.tp.BatchNormEval
		if inPlace {
			eval = r.tp.BatchNormEvalInPlace
		}
		y, err := eval(in[0], in[1], in[2], mean, variance, st.eps)
		if err != nil {
			return err
		}
		return r.set(nd, y)
	}
	out, bnrelu := nd.Outputs[0], r.tp.BatchNormTrain
	if inPlace {
		bnrelu = r.tp.BatchNormTrainInPlace
	}
	if relu := r.n.fused[nd]; relu != nil {
		out, bnrelu = relu.Outputs[0], r.tp.BatchNormRelu
		if inPlace {
			bnrelu = r.tp.BatchNormReluInPlace
		}
	}
	y, bs, err := bnrelu(in[0], in[1], in[2], st.eps)
	if err != nil {
		return err
	}
	if r.mode == modeTrain {
		mean, variance := r.n.runningStats(nd)
		st.update(mean, variance, bs)
	} else {
		st.accumulate(bs.Host())
		bs.Free()
	}
	r.env[out] = value{t: y}
	return nil
}

// update applies ONNX's running-statistics rule to the running mean and
// variance on their backend:
// running = running·momentum + batch·(1 − momentum), batch variance biased.
func (s *bnState) update(mean, variance *autograd.Tensor, b autograd.BatchStats) {
	bm, bv := b.Buffers()
	be := mean.Backend()
	be.RunningUpdate(mean.Buffer(), bm, s.momentum)
	be.RunningUpdate(variance.Buffer(), bv, s.momentum)
}

func opRelu(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	if r.n.inPlace[nd] {
		return r.set(nd, r.tp.ReluInPlace(x[0]))
	}
	return r.set(nd, r.tp.Relu(x[0]))
}

// opClip reads min and max from inputs (opset 11+) or attributes (older),
// defaulting to ∓infinity.
func opClip(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	a, err := attrsOf[schema.Clip](r.n, nd)
	if err != nil {
		return err
	}
	lo, hi := a.Min, a.Max // attributes before opset 11, ∓infinity after
	for i, dst := range []*float32{&lo, &hi} {
		t, err := r.tensor(nd, i+1)
		if err != nil {
			return err
		}
		if t != nil && t.Len() == 1 {
			*dst = values(t)[0]
		}
	}
	return r.set(nd, r.tp.Clip(x[0], lo, hi))
}

// opAdd writes over an input that nothing else reads when the planner found
// one (the BN output of a residual block), saving a fresh buffer.
func opAdd(r *run, nd *ir.Node) error {
	k, ok := r.n.addInto[nd]
	if !ok || r.intInputs(nd) {
		return binop(r, nd, (*autograd.Tape).Add)
	}
	in, err := r.inputs(nd, 2)
	if err != nil {
		return err
	}
	y, err := r.tp.AddInPlace(in[k], in[1-k]) // addition commutes, bit for bit
	if err != nil {
		return err
	}
	return r.set(nd, y)
}
func opMul(r *run, nd *ir.Node) error { return binop(r, nd, (*autograd.Tape).Mul) }

func binop(r *run, nd *ir.Node, f func(*autograd.Tape, *autograd.Tensor, *autograd.Tensor) (*autograd.Tensor, error)) error {
	if r.intInputs(nd) {
		return r.intArith(nd)
	}
	in, err := r.inputs(nd, 2)
	if err != nil {
		return err
	}
	y, err := f(r.tp, in[0], in[1])
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func opSum(r *run, nd *ir.Node) error {
	in, err := r.inputs(nd, len(nd.Inputs))
	if err != nil {
		return err
	}
	y, err := r.tp.Sum(in...)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func poolAttrs(n *net, nd *ir.Node, x []int) (autograd.PoolAttrs, error) {
	var w *schema.Window
	var a autograd.PoolAttrs
	switch p := n.bound[nd].Attrs.(type) {
	case *schema.MaxPool:
		w, a.CeilMode = &p.Window, p.CeilMode
	case *schema.AveragePool:
		w, a.CeilMode, a.CountIncludePad = &p.Window, p.CeilMode, p.CountIncludePad
	default:
		return a, fmt.Errorf("node %q is not a pool", nd.Name)
	}
	if len(x) != 4 {
		return a, fmt.Errorf("only 2-D pooling is supported (input %v)", x)
	}
	g, err := w.Resolve(x[2:], nil)
	if err != nil {
		return a, err
	}
	if g.Dilations[0] != 1 || g.Dilations[1] != 1 {
		return a, fmt.Errorf("pooling dilations %v are not supported", g.Dilations)
	}
	a.KH, a.KW, a.StrideH, a.StrideW = g.Kernel[0], g.Kernel[1], g.Strides[0], g.Strides[1]
	a.PadTop, a.PadLeft, a.PadBottom, a.PadRight = g.PadBegin[0], g.PadBegin[1], g.PadEnd[0], g.PadEnd[1]
	return a, nil
}

func opMaxPool(r *run, nd *ir.Node) error { return pool(r, nd, (*autograd.Tape).MaxPool) }
func opAvgPool(r *run, nd *ir.Node) error { return pool(r, nd, (*autograd.Tape).AveragePool) }

func pool(r *run, nd *ir.Node, f func(*autograd.Tape, *autograd.Tensor, autograd.PoolAttrs) (*autograd.Tensor, error)) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	if len(nd.Outputs) > 1 && nd.Outputs[1] != "" {
		return fmt.Errorf("the Indices output is not supported")
	}
	a, err := poolAttrs(r.n, nd, x[0].Shape)
	if err != nil {
		return err
	}
	y, err := f(r.tp, x[0], a)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func opGAP(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	y, err := r.tp.GlobalAveragePool(x[0])
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func opFlatten(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	a, err := attrsOf[schema.Flatten](r.n, nd)
	if err != nil {
		return err
	}
	shape, err := autograd.FlattenDims(x[0].Shape, int(a.Axis))
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.View(x[0], shape))
}

func opIdentity(r *run, nd *ir.Node) error {
	v, ok := r.get(nd.Input(0))
	if !ok {
		return fmt.Errorf("input %q is undefined", nd.Input(0))
	}
	r.env[nd.Outputs[0]] = v
	return nil
}
