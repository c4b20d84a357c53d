package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// The elementwise activations and math ops, one handler each; their
// attributes come from the op layer (attrsOf).

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

// withAttrs adapts a handler of one float input and the op layer's
// attributes *T.
func withAttrs[T any](f func(tp *autograd.Tape, x *autograd.Tensor, a *T) *autograd.Tensor) opFunc {
	return func(r *run, nd *ir.Node) error {
		x, err := r.inputs(nd, 1)
		if err != nil {
			return err
		}
		a, err := attrsOf[T](r.n, nd)
		if err != nil {
			return err
		}
		return r.set(nd, f(r.tp, x[0], a))
	}
}

var (
	opLeakyRelu = withAttrs(func(tp *autograd.Tape, x *autograd.Tensor, a *schema.Alpha) *autograd.Tensor {
		return tp.LeakyRelu(x, a.Alpha)
	})
	opHardSigmoid = withAttrs(func(tp *autograd.Tape, x *autograd.Tensor, a *schema.HardSigmoid) *autograd.Tensor {
		return tp.HardSigmoid(x, a.Alpha, a.Beta)
	})
	opElu = withAttrs(func(tp *autograd.Tape, x *autograd.Tensor, a *schema.Alpha) *autograd.Tensor {
		return tp.Elu(x, a.Alpha)
	})
	opSelu = withAttrs(func(tp *autograd.Tape, x *autograd.Tensor, a *schema.Selu) *autograd.Tensor {
		return tp.Selu(x, a.Alpha, a.Gamma)
	})
	opGelu = withAttrs(func(tp *autograd.Tape, x *autograd.Tensor, a *schema.Gelu) *autograd.Tensor {
		return tp.Gelu(x, a.Approximate == "tanh")
	})
)

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
	a, err := attrsOf[schema.Softmax](r.n, nd)
	if err != nil {
		return err
	}
	axis, coerce := int(a.Axis), r.n.opsetOf(nd) < 13
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
