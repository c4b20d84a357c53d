package finetune

import (
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// The ops of shape subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape,
// as PyTorch exports flatten) run on small int64 values and fold as they go.

func opConstant(r *run, nd *ir.Node) error {
	if c := r.n.deviceConst(nd.Outputs[0]); c != nil { // uploaded once (toDevice)
		r.env[nd.Outputs[0]] = value{t: c}
		return nil
	}
	a, err := attrsOf[schema.Constant](r.n, nd)
	if err != nil {
		return err
	}
	v, err := constValue(a.Value)
	if err != nil {
		return err
	}
	r.env[nd.Outputs[0]] = v
	return nil
}

func constValue(t *ir.Tensor) (value, error) {
	if t.DType == ir.Float32 || t.DType == ir.Float64 || t.DType == ir.Float16 {
		f, err := t.Float32s()
		return value{t: autograd.New(t.Shape, f)}, err
	}
	i, err := intsOf(t)
	return value{ints: i, shape: t.Shape}, err
}

func opShape(r *run, nd *ir.Node) error {
	v, ok := r.get(nd.Input(0))
	if !ok {
		return fmt.Errorf("input %q is undefined", nd.Input(0))
	}
	shape := v.shape
	if v.t != nil {
		shape = v.t.Shape
	}
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	a, err := attrsOf[schema.Shape](r.n, nd)
	if err != nil {
		return err
	}
	start, end := int(a.Start), len(dims)
	if a.End != nil {
		end = int(*a.End)
	}
	start, end = clampAxis(start, len(dims)), clampAxis(end, len(dims))
	dims = dims[start:max(start, end)]
	r.env[nd.Outputs[0]] = value{ints: dims, shape: []int{len(dims)}}
	return nil
}

func clampAxis(a, n int) int {
	if a < 0 {
		a += n
	}
	return min(max(a, 0), n)
}

func opGather(r *run, nd *ir.Node) error {
	data, dshape, err := r.ints(nd, 0)
	if err != nil {
		return err
	}
	idx, ishape, err := r.ints(nd, 1)
	if err != nil {
		return err
	}
	a, err := attrsOf[schema.Gather](r.n, nd)
	if err != nil {
		return err
	}
	if len(dshape) != 1 || a.Axis != 0 {
		return fmt.Errorf("only gathering from a 1-D integer tensor along axis 0 is supported")
	}
	out := make([]int64, len(idx))
	for i, k := range idx {
		if k < 0 {
			k += int64(len(data))
		}
		if k < 0 || k >= int64(len(data)) {
			return fmt.Errorf("index %d is out of range for %d values", idx[i], len(data))
		}
		out[i] = data[k]
	}
	r.env[nd.Outputs[0]] = value{ints: out, shape: ishape}
	return nil
}

// axesOf reads axes from the attribute (opset < 13) or the second input.
func (r *run) axesOf(nd *ir.Node) ([]int64, error) {
	a, err := attrsOf[schema.Axes](r.n, nd)
	if err != nil {
		return nil, err
	}
	if r.n.opsetOf(nd) < 13 || nd.Input(1) == "" {
		return a.Axes, nil
	}
	axes, _, err := r.ints(nd, 1)
	return axes, err
}

func opUnsqueeze(r *run, nd *ir.Node) error {
	return reshapeInts(r, nd, func(shape []int, axes []int64) []int {
		out := slices.Clone(shape)
		n := len(shape) + len(axes)
		norm := make([]int, len(axes))
		for i, a := range axes {
			norm[i] = clampAxis(int(a), n)
		}
		slices.Sort(norm)
		for _, a := range norm {
			out = slices.Insert(out, min(a, len(out)), 1)
		}
		return out
	})
}

func opSqueeze(r *run, nd *ir.Node) error {
	return reshapeInts(r, nd, func(shape []int, axes []int64) []int {
		var out []int
		for i, d := range shape {
			drop := d == 1 && len(axes) == 0
			for _, a := range axes {
				drop = drop || clampAxis(int(a), len(shape)) == i
			}
			if !drop {
				out = append(out, d)
			}
		}
		return out
	})
}

// reshapeInts applies a shape change to an integer value, or to a float
// tensor as a view.
func reshapeInts(r *run, nd *ir.Node, f func([]int, []int64) []int) error {
	v, ok := r.get(nd.Input(0))
	if !ok {
		return fmt.Errorf("input %q is undefined", nd.Input(0))
	}
	axes, err := r.axesOf(nd)
	if err != nil {
		return err
	}
	if v.t != nil {
		return r.set(nd, r.tp.View(v.t, f(v.t.Shape, axes)))
	}
	r.env[nd.Outputs[0]] = value{ints: v.ints, shape: f(v.shape, axes)}
	return nil
}

// opCast converts between the integer values of shape subgraphs and floats.
func opCast(r *run, nd *ir.Node) error {
	v, ok := r.get(nd.Input(0))
	if !ok {
		return fmt.Errorf("input %q is undefined", nd.Input(0))
	}
	a, err := attrsOf[schema.Cast](r.n, nd)
	if err != nil {
		return err
	}
	toFloat := a.To == ir.Float32
	switch {
	case v.t != nil && !toFloat:
		is := make([]int64, len(v.t.Data))
		for i, f := range v.t.Data {
			is[i] = int64(f)
		}
		v = value{ints: is, shape: v.t.Shape}
	case v.t == nil && toFloat:
		fs := make([]float32, len(v.ints))
		for i, x := range v.ints {
			fs[i] = float32(x)
		}
		v = value{t: autograd.New(v.shape, fs)}
	}
	r.env[nd.Outputs[0]] = v
	return nil
}
