package reftest

import (
	"math"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

func TestCompare(t *testing.T) {
	want := ir.NewFloat32("", []int{1, 4}, []float32{1, -200, 0.5, 0})
	nan := float32(math.NaN())
	cases := []struct {
		got   []float32
		shape []int
		fail  string // "" when within 1e-3
	}{
		{[]float32{1, -200, 0.5, 0}, []int{1, 4}, ""},
		{[]float32{1.0009, -200.19, 0.5, 0.0009}, []int{1, 4}, ""}, // relative above 1, absolute below
		{[]float32{1, -200.3, 0.5, 0}, []int{1, 4}, "element 1"},   // 1.5e-3 relative
		{[]float32{1, -200, 0.5, 0.002}, []int{1, 4}, "element 3"}, // 2e-3 absolute near 0
		{[]float32{nan, -200, 0.5, 0.5}, []int{1, 4}, "element 0"}, // NaN first, larger error later
		{[]float32{1, -200, 0.5, 0}, []int{4}, "shape"},
		{[]float32{1, -200, 0.5}, []int{1, 3}, "shape"},
	}
	for _, c := range cases {
		err := Compare(ir.NewFloat32("", c.shape, c.got), want, 1e-3)
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("%v: %v", c.got, err)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%v: error %v, want one naming %q", c.got, err, c.fail)
		}
	}
	if err := Compare(nil, want, 1); err == nil {
		t.Error("a missing output compared equal")
	}
}
