package autograd

import "fmt"

// viewOp passes the gradient through a reshape (the data is shared).
type viewOp struct{ out, in *Grad }

// View returns x with a new shape of the same size, sharing its data
// (Flatten and Reshape). It saves nothing for backward.
func (tp *Tape) View(x *Tensor, shape []int) *Tensor {
	out := resultOn(x.Backend(), append([]int(nil), shape...), x.Buffer(), x)
	out.temp = x.temp
	tp.record(out, &viewOp{out: out.g, in: x.g})
	return out
}

func (o *viewOp) backward() {
	if o.out.value() != nil {
		o.in.takeFrom(o.out)
	}
}

func (o *viewOp) saved() []Saved { return nil }

// ReshapeDims resolves ONNX Reshape's target (0 copies the input dimension
// unless allowZero, −1 is inferred) against the input shape.
func ReshapeDims(in []int, target []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(target))
	infer, known := -1, 1
	for i, d := range target {
		switch {
		case d == -1 && infer < 0:
			infer = i
			continue
		case d == 0 && !allowZero && i < len(in):
			out[i] = in[i]
		case d >= 0:
			out[i] = int(d)
		default:
			return nil, fmt.Errorf("autograd: reshape target %v is invalid for input %v", target, in)
		}
		known *= out[i]
	}
	total := lenOf(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("autograd: reshape %v to %v: cannot infer the -1 dimension", in, target)
		}
		out[infer] = total / known
	} else if known != total {
		return nil, fmt.Errorf("autograd: reshape %v to %v changes the element count", in, target)
	}
	return out, nil
}

// FlattenDims is ONNX Flatten's output shape for axis (negative counts from the end).
func FlattenDims(in []int, axis int) ([]int, error) {
	if axis < 0 {
		axis += len(in)
	}
	if axis < 0 || axis > len(in) {
		return nil, fmt.Errorf("autograd: flatten axis %d out of range for shape %v", axis, in)
	}
	return []int{lenOf(in[:axis]), lenOf(in[axis:])}, nil
}
