package autograd

import (
	"math/rand/v2"
	"testing"
)

func TestPoolGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	cases := []PoolAttrs{
		{KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{KH: 3, KW: 2, StrideH: 2, StrideW: 1, CeilMode: true},
		{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, CountIncludePad: true},
	}
	// Distinct values spaced well apart keep the max away from ties.
	x := Zeros(2, 2, 5, 6)
	for i, p := range r.Perm(len(x.Data)) {
		x.Data[i] = float32(p) * 0.1
	}
	for _, a := range cases {
		for _, compress := range []bool{false, true} {
			checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) {
				if tp != nil {
					tp.Compress = compress
				}
				return tp.MaxPool(in[0], a)
			}, []*Tensor{x}, 1e-2, 1e-3)
		}
		checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.AveragePool(in[0], a) }, []*Tensor{x}, 1e-2, 1e-3)
	}
	checkGrad(t, func(tp *Tape, in []*Tensor) (*Tensor, error) { return tp.GlobalAveragePool(in[0]) }, []*Tensor{x}, 1e-2, 1e-3)
}

// TestPoolValues holds pooling to hand-computed values.
func TestPoolValues(t *testing.T) {
	x := New([]int{1, 1, 3, 3}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9})
	a := PoolAttrs{KH: 2, KW: 2, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1}
	m, _ := (*Tape)(nil).MaxPool(x, a)
	av, _ := (*Tape)(nil).AveragePool(x, a)
	wantMax := []float32{1, 3, 7, 9}
	wantAvg := []float32{1, 2.5, 5.5, 7} // windows {1},{2,3},{4,7},{5,6,8,9}
	for i := range wantMax {
		if m.Data[i] != wantMax[i] || av.Data[i] != wantAvg[i] {
			t.Fatalf("pool %d: max %v avg %v, want %v %v", i, m.Data[i], av.Data[i], wantMax[i], wantAvg[i])
		}
	}
}
