package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// awayFrom returns values uniform in [lo, hi) but at least gap from each kink.
func awayFrom(r *rand.Rand, lo, hi, gap float32, kinks []float32, shape ...int) *Tensor {
	t := randTensor(r, lo, hi, shape...)
	for i, v := range t.Data {
		for _, k := range kinks {
			if v > k-gap && v < k+gap {
				t.Data[i] = k + 2*gap
			}
		}
	}
	return t
}

func TestReluClipGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x := awayFrom(r, -2, 8, 0.05, []float32{0, 6}, 3, 4, 5)
	for _, compress := range []bool{false, true} {
		wrap := func(f forwardFn) forwardFn {
			return func(tp *Tape, in []*Tensor) (*Tensor, error) {
				if tp != nil {
					tp.Compress = compress
				}
				return f(tp, in)
			}
		}
		checkGrad(t, wrap(func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Relu(in[0]), nil }), []*Tensor{x}, 1e-2, 1e-3)
		checkGrad(t, wrap(func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Clip(in[0], 0, 6), nil }), []*Tensor{x}, 1e-2, 1e-3)
	}
}

// TestReluInPlace: same values and gradient as Relu, written over x.
func TestReluInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	x := awayFrom(r, -2, 2, 0.01, []float32{0}, 2, 3, 4)
	seed := randTensor(r, -1, 1, 24).Data
	grads := make([][]float32, 2)
	var want []float32
	for k, inPlace := range []bool{false, true} {
		p := Param(x.Shape, x.Data)
		tp := &Tape{}
		y, err := tp.Add(p, Zeros(x.Shape...)) // a fresh tensor that only the ReLU reads
		must(t, err)
		z := tp.Relu(y)
		if inPlace {
			z = tp.ReluInPlace(y)
			if &z.Data[0] != &y.Data[0] {
				t.Fatal("ReluInPlace allocated")
			}
			for i := range want {
				if z.Data[i] != want[i] {
					t.Fatalf("element %d: %v vs %v", i, z.Data[i], want[i])
				}
			}
		}
		want = z.Data
		must(t, tp.BackwardFrom(z, seed))
		grads[k] = append([]float32(nil), p.Grad()...)
	}
	for i := range grads[0] {
		if grads[0][i] != grads[1][i] {
			t.Fatalf("gradient %d: %v vs %v", i, grads[0][i], grads[1][i])
		}
	}
}

// TestReluCompressedMask: a compressing tape's ReLU (mask bits taken as it
// writes) passes exactly the gradient an exact tape's passes, over lengths
// across the 64-element words and the goroutine split, with 0, −0 and NaN.
func TestReluCompressedMask(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, n := range []int{1, 63, 64, 65, 4095, 4097, 70001} {
		x := randTensor(r, -1, 1, n)
		x.Data[0] = float32(math.Copysign(0, -1))
		x.Data[n/2] = float32(math.NaN())
		x.Data[n-1] = 0
		dOut := randTensor(r, -1, 1, n).Data
		var grads [2][]float32
		for i, compress := range []bool{false, true} {
			p := Param(x.Shape, append([]float32(nil), x.Data...))
			tp := &Tape{Compress: compress}
			y := tp.Relu(p)
			if err := tp.BackwardFrom(y, dOut); err != nil {
				t.Fatal(err)
			}
			grads[i] = p.Grad()
		}
		if !sameBits(grads[0], grads[1]) {
			t.Fatalf("n=%d: the compressed ReLU's gradient differs from the exact one", n)
		}
	}
}
