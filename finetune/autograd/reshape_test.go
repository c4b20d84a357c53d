package autograd

import (
	"math/rand/v2"
	"testing"
)

func TestReshapeDims(t *testing.T) {
	got, err := ReshapeDims([]int{2, 3, 4}, []int64{0, -1}, false)
	if err != nil || len(got) != 2 || got[0] != 2 || got[1] != 12 {
		t.Fatalf("ReshapeDims = %v, %v; want [2 12]", got, err)
	}
	if _, err := ReshapeDims([]int{2, 3}, []int64{5}, false); err == nil {
		t.Fatal("want an error for a size change")
	}
	f, _ := FlattenDims([]int{2, 3, 4}, -1)
	if f[0] != 6 || f[1] != 4 {
		t.Fatalf("FlattenDims = %v, want [6 4]", f)
	}
}

func TestViewGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
		return tp.View(in[0], []int{6, 2}), nil
	}, []*Tensor{randTensor(r, -1, 1, 2, 3, 2)}, 1e-2, 1e-3)
}
