package finetune

import (
	"context"
	"reflect"
	"testing"
)

// TestBatchesDeterministic: an epoch's batches depend only on (seed,
// epoch); another epoch shuffles differently; every sample appears once.
func TestBatchesDeterministic(t *testing.T) {
	src := stripes(4, 10, 3)
	read := func(epoch int) ([][]float32, []int) {
		var out [][]float32
		var labels []int
		for b := range newPlan(src, 4, false, true, Augment{Pad: 1, Flip: true}, 9, epoch).stream(context.Background()) {
			if b.err != nil {
				t.Fatal(b.err)
			}
			out = append(out, b.x.Data)
			labels = append(labels, b.labels...)
		}
		return out, labels
	}
	a, la := read(1)
	b, _ := read(1)
	c, _ := read(2)
	if len(a) != 3 || len(a[2]) != 2*64 {
		t.Fatalf("%d batches, last of %d values; want 3 batches, the last of 2 samples", len(a), len(a[2]))
	}
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Fatalf("same epoch equal: %v; next epoch equal: %v", reflect.DeepEqual(a, b), reflect.DeepEqual(a, c))
	}
	count := map[int]int{}
	for _, l := range la {
		count[l]++
	}
	want := map[int]int{}
	for _, l := range src.Labels {
		want[l]++
	}
	if !reflect.DeepEqual(count, want) {
		t.Fatalf("epoch labels %v, data set %v", count, want)
	}
	if plan := newPlan(src, 4, true, true, Augment{}, 9, 1); plan.count() != 2 {
		t.Fatalf("%d batches with drop-last; want 2", plan.count())
	}
}
