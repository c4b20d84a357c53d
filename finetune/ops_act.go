package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
)

// The elementwise activations and math ops: one handler each, their
// attributes read by one small function each (defaults as ONNX states
// them) until the op layer reads them for every stage.

// unaryOp adapts a tape method that takes one tensor.
func unaryOp(f func(*autograd.Tape, *autograd.Tensor) *autograd.Tensor) opFunc {
	return func(r *run, nd *ir.Node) error {
		x, err := r.inputs(nd, 1)
		if err != nil {
			return err
		}
		return r.set(nd, f(r.tp, x[0]))
	}
}

var (
	opSigmoid    = unaryOp((*autograd.Tape).Sigmoid)
	opTanh       = unaryOp((*autograd.Tape).Tanh)
	opErf        = unaryOp((*autograd.Tape).Erf)
	opSoftplus   = unaryOp((*autograd.Tape).Softplus)
	opHardSwish  = unaryOp((*autograd.Tape).HardSwish)
	opNeg        = unaryOp((*autograd.Tape).Neg)
	opExp        = unaryOp((*autograd.Tape).Exp)
	opLog        = unaryOp((*autograd.Tape).Log)
	opSqrt       = unaryOp((*autograd.Tape).Sqrt)
	opReciprocal = unaryOp((*autograd.Tape).Reciprocal)
)

func opLeakyRelu(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.LeakyRelu(x[0], leakyReluAttrs(nd)))
}

func leakyReluAttrs(nd *ir.Node) (alpha float32) { return nd.Float("alpha", 0.01) }

func opHardSigmoid(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	alpha, beta := hardSigmoidAttrs(nd)
	return r.set(nd, r.tp.HardSigmoid(x[0], alpha, beta))
}

func hardSigmoidAttrs(nd *ir.Node) (alpha, beta float32) {
	return nd.Float("alpha", 0.2), nd.Float("beta", 0.5)
}

func opElu(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.Elu(x[0], eluAttrs(nd)))
}

func eluAttrs(nd *ir.Node) (alpha float32) { return nd.Float("alpha", 1) }

func opSelu(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	alpha, gamma := seluAttrs(nd)
	return r.set(nd, r.tp.Selu(x[0], alpha, gamma))
}

func seluAttrs(nd *ir.Node) (alpha, gamma float32) {
	return nd.Float("alpha", 1.67326319217681884765625), nd.Float("gamma", 1.05070102214813232421875)
}

func opGelu(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	tanh, err := geluAttrs(nd)
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.Gelu(x[0], tanh))
}

// geluAttrs reads approximate ("none" or "tanh", opset 20).
func geluAttrs(nd *ir.Node) (tanh bool, err error) {
	switch a := nd.String("approximate", "none"); a {
	case "none", "tanh":
		return a == "tanh", nil
	default:
		return false, fmt.Errorf("approximate %q is not none or tanh", a)
	}
}

// opPRelu trains the slope (markParams makes an initializer slope a
// parameter).
func opPRelu(r *run, nd *ir.Node) error {
	in, err := r.inputs(nd, 2)
	if err != nil {
		return err
	}
	y, err := r.tp.PRelu(in[0], in[1])
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

// viewSource follows a value back through ops that only reshape it (an
// export without constant folding unsqueezes PReLU's [C] slope to
// [C, 1, 1] at run time) to the value they start from.
func viewSource(g *ir.Graph, name string) string {
	prod := g.Producers()
	for {
		p := prod[name]
		if p == nil || !reshapes[p.OpType] || len(p.Inputs) == 0 {
			return name
		}
		name = p.Input(0)
	}
}

var reshapes = map[string]bool{"Unsqueeze": true, "Squeeze": true, "Reshape": true, "Flatten": true, "Identity": true}

// opPow supports a constant exponent, the form activations and norms
// export (x³ in GELU's tanh form, x² in a mean of squares).
func opPow(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	e, err := r.scalar(nd, 1)
	if err != nil {
		return fmt.Errorf("exponent: %w", err)
	}
	return r.set(nd, r.tp.Pow(x[0], e))
}

// scalar returns input i of nd as one constant number.
func (r *run) scalar(nd *ir.Node, i int) (float32, error) {
	v, ok := r.get(nd.Input(i))
	switch {
	case !ok:
		return 0, fmt.Errorf("input %q is undefined", nd.Input(i))
	case v.t != nil && len(v.t.Data) == 1 && !v.t.RequiresGrad():
		return v.t.Data[0], nil
	case v.t == nil && len(v.ints) == 1:
		return float32(v.ints[0]), nil
	}
	return 0, fmt.Errorf("input %q is not a constant scalar", nd.Input(i))
}

// opSoftmax is a Softmax inside the graph (a final one is dropped so that
// the loss sees logits). Before opset 13 it normalizes over the input
// coerced to 2-D at axis.
func opSoftmax(r *run, nd *ir.Node) error {
	x, err := r.inputs(nd, 1)
	if err != nil {
		return err
	}
	axis, coerce := softmaxAttrs(nd, r.n.opset)
	if axis < 0 {
		axis += len(x[0].Shape)
	}
	if !coerce {
		y, err := r.tp.Softmax(x[0], axis)
		if err != nil {
			return err
		}
		return r.set(nd, y)
	}
	flat, err := autograd.FlattenDims(x[0].Shape, axis)
	if err != nil {
		return err
	}
	y, err := r.tp.Softmax(r.tp.View(x[0], flat), 1)
	if err != nil {
		return err
	}
	return r.set(nd, r.tp.View(y, x[0].Shape))
}

// softmaxAttrs reads axis: default −1 from opset 13, else 1 with the input
// coerced to 2-D.
func softmaxAttrs(nd *ir.Node, opset int64) (axis int, coerce bool) {
	if opset >= 13 {
		return int(nd.Int("axis", -1)), false
	}
	return int(nd.Int("axis", 1)), true
}
