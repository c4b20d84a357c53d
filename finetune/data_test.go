package finetune

import (
	"context"
	"testing"
)

// TestShiftFlip: crop offsets and the flip by hand on a 3×3 image.
func TestShiftFlip(t *testing.T) {
	img := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	cases := []struct {
		dy, dx int
		flip   bool
		want   []float32
	}{
		{1, -1, false, []float32{-1, 4, 5, -1, 7, 8, -1, -1, -1}},
		{0, 0, true, []float32{3, 2, 1, 6, 5, 4, 9, 8, 7}},
		{0, 1, true, []float32{-1, 3, 2, -1, 6, 5, -1, 9, 8}}, // crop, then mirror
	}
	for _, c := range cases {
		s := append([]float32(nil), img...)
		shiftFlip(s, make([]float32, 9), []int{1, 3, 3}, c.dy, c.dx, c.flip, Augment{Fill: []float32{-1}})
		for i := range s {
			if s[i] != c.want[i] {
				t.Fatalf("dy %d dx %d flip %v: %v, want %v", c.dy, c.dx, c.flip, s, c.want)
			}
		}
	}
}

// TestBatchesDeterministic: an epoch's batches depend only on (seed,
// epoch); another epoch shuffles differently; every sample appears once.
func TestBatchesDeterministic(t *testing.T) {
	src := stripes(4, 10, 3)
	read := func(epoch int) [][]float32 {
		var out [][]float32
		for b := range newPlan(src, 4, false, true, Augment{Pad: 1, Flip: true}, 9, epoch).stream(context.Background()) {
			if b.err != nil {
				t.Fatal(b.err)
			}
			out = append(out, b.x.Data)
		}
		return out
	}
	a, b, c := read(1), read(1), read(2)
	if len(a) != 3 || len(a[2]) != 2*64 {
		t.Fatalf("%d batches, last of %d values; want 3 batches, the last of 2 samples", len(a), len(a[2]))
	}
	same := func(x, y [][]float32) bool {
		for i := range x {
			for j := range x[i] {
				if x[i][j] != y[i][j] {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Fatalf("same epoch equal: %v; next epoch equal: %v", same(a, b), same(a, c))
	}
	plan := newPlan(src, 4, true, true, Augment{}, 9, 1)
	seen := map[int]bool{}
	for _, i := range plan.order {
		seen[i] = true
	}
	if len(seen) != 10 || plan.count() != 2 {
		t.Fatalf("order covers %d samples, %d batches with drop-last; want 10 and 2", len(seen), plan.count())
	}
}
