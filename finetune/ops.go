package finetune

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
)

// handlers maps each supported op to its forward; the tape differentiates it.
var handlers = map[string]opFunc{
	"Conv": opConv, "Gemm": opGemm, "MatMul": opMatMul, "BatchNormalization": opBN,
	"Relu": opRelu, "Clip": opClip, "Add": opAdd, "Sum": opSum, "Mul": opMul,
	"MaxPool": opMaxPool, "AveragePool": opAvgPool, "GlobalAveragePool": opGAP,
	"Flatten": opFlatten, "Reshape": opReshape, "Identity": opIdentity, "Dropout": opIdentity,
	"Constant": opConstant, "Shape": opShape, "Gather": opGather, "Unsqueeze": opUnsqueeze,
	"Squeeze": opSqueeze, "Concat": opConcat, "Cast": opCast,
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
	if len(in[0].Shape) != 4 || len(w.Shape) != 4 {
		return fmt.Errorf("only 2-D convolution is supported, got input %v weights %v", in[0].Shape, w.Shape)
	}
	a, err := convAttrs(nd, in[0].Shape, w.Shape)
	if err != nil {
		return err
	}
	y, err := r.tp.Conv(in[0], w, b, a, binary)
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

func convAttrs(nd *ir.Node, x, w []int) (autograd.ConvAttrs, error) {
	st, dil := nd.Ints("strides", []int64{1, 1}), nd.Ints("dilations", []int64{1, 1})
	if len(st) != 2 || len(dil) != 2 {
		return autograd.ConvAttrs{}, fmt.Errorf("strides %v and dilations %v must have 2 values", st, dil)
	}
	a := autograd.ConvAttrs{StrideH: int(st[0]), StrideW: int(st[1]), DilationH: int(dil[0]), DilationW: int(dil[1]),
		Group: int(nd.Int("group", 1))}
	pads, err := padsOf(nd, x[2:], []int{(w[2]-1)*a.DilationH + 1, (w[3]-1)*a.DilationW + 1}, []int{a.StrideH, a.StrideW})
	a.PadTop, a.PadLeft, a.PadBottom, a.PadRight = pads[0], pads[1], pads[2], pads[3]
	return a, err
}

// padsOf reads ONNX pads [top, left, bottom, right] or resolves auto_pad.
func padsOf(nd *ir.Node, in, k, s []int) ([]int, error) {
	switch ap := nd.String("auto_pad", "NOTSET"); ap {
	case "NOTSET", "VALID":
		p := nd.Ints("pads", []int64{0, 0, 0, 0})
		if ap == "VALID" {
			p = []int64{0, 0, 0, 0}
		}
		if len(p) != 4 {
			return []int{0, 0, 0, 0}, fmt.Errorf("pads %v must have 4 values", p)
		}
		return []int{int(p[0]), int(p[1]), int(p[2]), int(p[3])}, nil
	case "SAME_UPPER", "SAME_LOWER":
		out := make([]int, 4)
		for i := range 2 {
			total := max(0, ((in[i]+s[i]-1)/s[i]-1)*s[i]+k[i]-in[i])
			small := total / 2
			out[i], out[i+2] = small, total-small
			if ap == "SAME_LOWER" {
				out[i], out[i+2] = total-small, small
			}
		}
		return out, nil
	default:
		return []int{0, 0, 0, 0}, fmt.Errorf("auto_pad %q is not supported", ap)
	}
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
	a := autograd.GemmAttrs{Alpha: nd.Float("alpha", 1), Beta: nd.Float("beta", 1),
		TransA: nd.Int("transA", 0) != 0, TransB: nd.Int("transB", 0) != 0}
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
		c := len(st.mean)
		eval := r.tp.BatchNormEval
		if inPlace {
			eval = r.tp.BatchNormEvalInPlace
		}
		y, err := eval(in[0], in[1], in[2], autograd.New([]int{c}, st.mean), autograd.New([]int{c}, st.variance), st.eps)
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
		st.update(bs)
	} else {
		st.accumulate(bs)
	}
	r.env[out] = value{t: y}
	return nil
}

// update applies ONNX's running-statistics rule:
// running = running·momentum + batch·(1 − momentum), batch variance biased.
func (s *bnState) update(b autograd.BatchStats) {
	for i := range s.mean {
		s.mean[i] = s.mean[i]*s.momentum + b.Mean[i]*(1-s.momentum)
		s.variance[i] = s.variance[i]*s.momentum + b.Var[i]*(1-s.momentum)
	}
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
	lo, hi := nd.Float("min", float32(math.Inf(-1))), nd.Float("max", float32(math.Inf(1)))
	for i, dst := range []*float32{&lo, &hi} {
		t, err := r.tensor(nd, i+1)
		if err != nil {
			return err
		}
		if t != nil && len(t.Data) == 1 {
			*dst = t.Data[0]
		}
	}
	return r.set(nd, r.tp.Clip(x[0], lo, hi))
}

// opAdd writes over an input that nothing else reads when the planner found
// one (the BN output of a residual block), saving a fresh buffer.
func opAdd(r *run, nd *ir.Node) error {
	k, ok := r.n.addInto[nd]
	if !ok {
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

func poolAttrs(nd *ir.Node, x []int) (autograd.PoolAttrs, error) {
	k, st := nd.Ints("kernel_shape", nil), nd.Ints("strides", []int64{1, 1})
	if d := nd.Ints("dilations", []int64{1, 1}); len(d) != 2 || d[0] != 1 || d[1] != 1 {
		return autograd.PoolAttrs{}, fmt.Errorf("pooling dilations %v are not supported", d)
	}
	if len(k) != 2 || len(st) != 2 || len(x) != 4 {
		return autograd.PoolAttrs{}, fmt.Errorf("only 2-D pooling is supported (kernel %v, input %v)", k, x)
	}
	a := autograd.PoolAttrs{KH: int(k[0]), KW: int(k[1]), StrideH: int(st[0]), StrideW: int(st[1]),
		CeilMode: nd.Int("ceil_mode", 0) != 0, CountIncludePad: nd.Int("count_include_pad", 0) != 0}
	pads, err := padsOf(nd, x[2:], []int{a.KH, a.KW}, []int{a.StrideH, a.StrideW})
	a.PadTop, a.PadLeft, a.PadBottom, a.PadRight = pads[0], pads[1], pads[2], pads[3]
	return a, err
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
	a, err := poolAttrs(nd, x[0].Shape)
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
	shape, err := autograd.FlattenDims(x[0].Shape, int(nd.Int("axis", 1)))
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
