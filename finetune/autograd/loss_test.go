package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCrossEntropyGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	z := randTensor(r, -3, 3, 4, 5)
	labels := []int{0, 4, 2, 2}
	checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
		y, _, err := tp.CrossEntropy(in[0], labels, 0.8)
		return y, err
	}, []*Tensor{z}, 1e-2, 1e-3)
	if _, _, err := (*Tape)(nil).CrossEntropy(z, []int{0, 5, 1, 1}, 1); err == nil {
		t.Fatal("want an error for a label outside the classes")
	}
}

// TestCrossEntropyValue: two classes with logits (0, log 3) give
// p = (1/4, 3/4); the loss for label 0 is log 4.
func TestCrossEntropyValue(t *testing.T) {
	z := New([]int{1, 2}, []float32{0, float32(math.Log(3))})
	y, correct, err := (*Tape)(nil).CrossEntropy(z, []int{0}, 1)
	if err != nil || math.Abs(float64(y.Data[0])-math.Log(4)) > 1e-6 || correct != 0 {
		t.Fatalf("loss %v correct %d err %v, want %v 0", y.Data[0], correct, err, math.Log(4))
	}
}

func TestDistillGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	z, teacher := randTensor(r, -3, 3, 3, 4), randTensor(r, -3, 3, 3, 4)
	for _, temp := range []float32{1, 4} {
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
			return tp.Distill(in[0], teacher, temp, 0.5)
		}, []*Tensor{z}, 1e-2, 1e-3)
	}
	same, _ := (*Tape)(nil).Distill(teacher, teacher, 2, 1)
	if math.Abs(float64(same.Data[0])) > 1e-6 {
		t.Fatalf("KL of a distribution with itself = %v, want 0", same.Data[0])
	}
}
