package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

func opSub(r *run, nd *ir.Node) error { return binop(r, nd, (*autograd.Tape).Sub) }
func opDiv(r *run, nd *ir.Node) error { return binop(r, nd, (*autograd.Tape).Div) }

// opMax and opMin fold any number of inputs pairwise, as Sum does.
func opMax(r *run, nd *ir.Node) error { return fold(r, nd, (*autograd.Tape).Max) }
func opMin(r *run, nd *ir.Node) error { return fold(r, nd, (*autograd.Tape).Min) }

func fold(r *run, nd *ir.Node, f func(*autograd.Tape, *autograd.Tensor, *autograd.Tensor) (*autograd.Tensor, error)) error {
	in, err := r.inputs(nd, len(nd.Inputs))
	if err != nil {
		return err
	}
	if len(in) == 0 {
		return fmt.Errorf("no inputs")
	}
	acc := in[0]
	for _, x := range in[1:] {
		if acc, err = f(r.tp, acc, x); err != nil {
			return err
		}
	}
	return r.set(nd, acc)
}

// opWhere takes a constant condition (an initializer or a folded value):
// the gradient flows to the selected float input.
func opWhere(r *run, nd *ir.Node) error {
	c, shape, err := r.ints(nd, 0)
	if err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	in := make([]*autograd.Tensor, 2)
	for i := range in {
		if in[i], err = r.tensor(nd, i+1); err != nil {
			return err
		}
		if in[i] == nil {
			return fmt.Errorf("missing required input")
		}
	}
	cond := make([]bool, len(c))
	for i, v := range c {
		cond[i] = v != 0
	}
	y, err := r.tp.Where(cond, shape, in[0], in[1])
	if err != nil {
		return err
	}
	return r.set(nd, y)
}

// opReduce reduces over axes from the attribute (opset < 13 for ReduceSum,
// < 18 for the others) or input 1; keepdims defaults to 1; no axes means
// all of them unless noop_with_empty_axes is set.
func opReduce(f func(*autograd.Tape, *autograd.Tensor, []int, bool) (*autograd.Tensor, error)) opFunc {
	return func(r *run, nd *ir.Node) error {
		x, err := r.inputs(nd, 1)
		if err != nil {
			return err
		}
		a, err := attrsOf[schema.Reduce](r.n, nd)
		if err != nil {
			return err
		}
		axes := a.Axes
		if nd.Input(1) != "" {
			if axes, _, err = r.ints(nd, 1); err != nil {
				return err
			}
		}
		red, _, err := schema.ReducedAxes(axes, len(x[0].Shape), a.NoopWithEmptyAxes)
		if err != nil {
			return err
		}
		if red == nil { // no axes, noop_with_empty_axes
			return r.set(nd, r.tp.View(x[0], x[0].Shape))
		}
		var list []int
		for ax, on := range red {
			if on {
				list = append(list, ax)
			}
		}
		y, err := f(r.tp, x[0], list, a.KeepDims)
		if err != nil {
			return err
		}
		return r.set(nd, y)
	}
}

var (
	opReduceMean = opReduce((*autograd.Tape).ReduceMean)
	opReduceSum  = opReduce((*autograd.Tape).ReduceSum)
	opReduceMax  = opReduce((*autograd.Tape).ReduceMax)
)

// intOps is the arithmetic of shape subgraphs (torch's reflect F.pad
// computes its pads at run time), on int64 as ONNX defines it for integers
// (Div truncates).
var intOps = map[string]func(a, b int64) int64{
	"Add": func(a, b int64) int64 { return a + b },
	"Sub": func(a, b int64) int64 { return a - b },
	"Mul": func(a, b int64) int64 { return a * b },
	"Div": func(a, b int64) int64 {
		if b == 0 {
			return 0
		}
		return a / b
	},
}

// intInputs reports whether nd's two inputs are integer values.
func (r *run) intInputs(nd *ir.Node) bool {
	for i := range 2 {
		if v, ok := r.get(nd.Input(i)); !ok || v.t != nil {
			return false
		}
	}
	return len(nd.Inputs) == 2
}

// intArith applies intOps[nd.OpType] with broadcasting: each operand's
// element numbers are expanded to the common shape (see moveData).
func (r *run) intArith(nd *ir.Node) error {
	f, ok := intOps[nd.OpType]
	if !ok {
		return fmt.Errorf("integer %s is not supported", nd.OpType)
	}
	a, _ := r.get(nd.Input(0))
	b, _ := r.get(nd.Input(1))
	ea, err := numbered(a, b.shape)
	if err != nil {
		return err
	}
	eb, err := numbered(b, a.shape)
	if err != nil {
		return err
	}
	out := make([]int64, len(ea.Data))
	for i := range out {
		out[i] = f(a.ints[int(ea.Data[i])], b.ints[int(eb.Data[i])])
	}
	r.env[nd.Outputs[0]] = value{ints: out, shape: ea.Shape}
	return nil
}

// numbered is v's element numbers broadcast against shape.
func numbered(v value, shape []int) (*autograd.Tensor, error) {
	if len(v.ints) > maxIndexed {
		return nil, fmt.Errorf("integer input of %d elements is too large", len(v.ints))
	}
	idx := make([]float32, len(v.ints))
	for i := range idx {
		idx[i] = float32(i)
	}
	return (*autograd.Tape)(nil).Expand(autograd.New(v.shape, idx), shape)
}
