package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forwardFn builds an op (or a small chain) from inputs on a tape.
type forwardFn func(tp *Tape, in []*Tensor) (*Tensor, error)

// randTensor fills a tensor with values uniform in [lo, hi).
func randTensor(r *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

// weighted is Σ r·y in float64: the scalar whose gradient the check compares.
func weighted(y *Tensor, r []float32) float64 {
	var s float64
	for i, v := range y.Data {
		s += float64(v) * float64(r[i])
	}
	return s
}

// checkGrad compares the tape's gradient of Σ r·f(inputs) against central
// finite differences, for up to maxPer elements of each input (float64
// accumulation of the scalar; |analytic − numeric| ≤ tol·(1 + |numeric|)).
func checkGrad(t *testing.T, f forwardFn, inputs []*Tensor, eps, tol float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	params := make([]*Tensor, len(inputs))
	for i, in := range inputs {
		params[i] = Param(in.Shape, in.Data)
	}
	tp := &Tape{}
	y, err := f(tp, params)
	if err != nil {
		t.Fatal(err)
	}
	seed := randTensor(rng, -1, 1, len(y.Data)).Data
	if err := tp.BackwardFrom(y, seed); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		checkInput(t, f, inputs, i, p.Grad(), seed, eps, tol, rng)
	}
}

func checkInput(t *testing.T, f forwardFn, inputs []*Tensor, i int, grad, seed []float32, eps, tol float64, rng *rand.Rand) {
	t.Helper()
	x := inputs[i].Data
	idx := rng.Perm(len(x))[:min(len(x), 40)]
	for _, j := range idx {
		num := numericGrad(t, f, inputs, x, j, seed, eps)
		var ana float64
		if grad != nil {
			ana = float64(grad[j])
		}
		if math.Abs(ana-num) > tol*(1+math.Abs(num)) {
			t.Errorf("input %d element %d: analytic %.6g, numeric %.6g", i, j, ana, num)
		}
	}
}

func numericGrad(t *testing.T, f forwardFn, inputs []*Tensor, x []float32, j int, seed []float32, eps float64) float64 {
	t.Helper()
	orig := x[j]
	eval := func(v float32) float64 {
		x[j] = v
		y, err := f(nil, inputs)
		if err != nil {
			t.Fatal(err)
		}
		return weighted(y, seed)
	}
	plus, minus := eval(orig+float32(eps)), eval(orig-float32(eps))
	x[j] = orig
	return (plus - minus) / (2 * eps)
}
