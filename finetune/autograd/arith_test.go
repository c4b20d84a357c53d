package autograd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAddMulGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	shapes := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}},
		{{2, 3, 4}, {3, 1}},
		{{1, 3, 1}, {2, 1, 4}},
		{{2, 3}, {}},
	}
	for _, s := range shapes {
		ins := []*Tensor{randTensor(r, -1, 1, s[0]...), randTensor(r, -1, 1, s[1]...)}
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Add(in[0], in[1]) }, ins, 1e-2, 2e-3)
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Mul(in[0], in[1]) }, ins, 1e-2, 2e-3)
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.Sum(in[0], in[1], in[0]) }, ins, 1e-2, 2e-3)
	}
	if _, err := (*Tape)(nil).Add(Zeros(2, 3), Zeros(4)); err == nil {
		t.Fatal("want an error for shapes that do not broadcast")
	}
}

// TestAddInPlace: the same values and gradients as Add, written over a;
// with broadcasting it leaves a alone.
func TestAddInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	a, b := randTensor(r, -1, 1, 2, 3, 4), randTensor(r, -1, 1, 2, 3, 4)
	dy := randTensor(r, -1, 1, 2, 3, 4).Data
	run := func(inPlace bool) (y []float32, ga, gb []float32, aliased bool) {
		pa, pb := Param(a.Shape, slices.Clone(a.Data)), Param(b.Shape, b.Data)
		tp := &Tape{}
		add := tp.Add
		if inPlace {
			add = tp.AddInPlace
		}
		out, err := add(pa, pb)
		if err != nil {
			t.Fatal(err)
		}
		y = slices.Clone(out.Data)
		aliased = &out.Data[0] == &pa.Data[0]
		if err := tp.BackwardFrom(out, dy); err != nil {
			t.Fatal(err)
		}
		return y, pa.Grad(), pb.Grad(), aliased
	}
	y0, ga0, gb0, _ := run(false)
	y1, ga1, gb1, aliased := run(true)
	if !aliased || !slices.Equal(y0, y1) || !slices.Equal(ga0, ga1) || !slices.Equal(gb0, gb1) {
		t.Fatalf("in place (wrote over a: %v): values or gradients differ from Add", aliased)
	}
	bias := randTensor(r, -1, 1, 1, 3, 1)
	out, err := (*Tape)(nil).AddInPlace(a, bias)
	if err != nil {
		t.Fatal(err)
	}
	if &out.Data[0] == &a.Data[0] || len(out.Data) != len(a.Data) {
		t.Fatal("a broadcast add wrote over its input")
	}
}
