package autograd

import (
	"math"
	"testing"
)

func softmaxCases() []opCase {
	sm := func(axis int) forwardFn {
		return func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Softmax(in[0], axis) }
	}
	saved := func(in []*Tensor) (int64, int64) { return floatBytes(in[0]), codeBytes(in[0].Shape, SmoothBits) }
	return []opCase{
		{name: "SoftmaxLast", f: sm(3), inputs: shapeIn([]int{2, 3, 4, 5}, []int{4, 8, 64, 64}), eps: 1e-2, tol: 2e-3, codeTol: 0.01, saved: saved},
		{name: "SoftmaxChannels", f: sm(1), inputs: shapeIn([]int{2, 3, 4, 5}, []int{4, 8, 64, 64}), eps: 1e-2, tol: 2e-3, codeTol: 0.01, saved: saved},
	}
}

func TestSoftmaxGrad(t *testing.T) { checkOps(t, softmaxCases()) }

func TestSoftmaxValues(t *testing.T) {
	y, err := (*Tape)(nil).Softmax(New([]int{1, 3}, []float32{1000, 1001, 1002}), 1) // no overflow
	must(t, err)
	e := []float64{math.Exp(-2), math.Exp(-1), 1}
	s := e[0] + e[1] + e[2]
	for i := range e {
		if math.Abs(float64(y.Data[i])-e[i]/s) > 1e-6 {
			t.Fatalf("%v, want %v", y.Data, []float64{e[0] / s, e[1] / s, e[2] / s})
		}
	}
}
