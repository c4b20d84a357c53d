package finetune

import (
	"errors"
	"reflect"
	"testing"

	"github.com/bincompress/bincompress/internal/dataset"
)

// TestDatasetSource: pixels are scaled to [0,1] and normalized as
// torchvision's ToTensor + Normalize do, and augmentation pads with black
// before normalizing, as torchvision's RandomCrop(padding) does.
func TestDatasetSource(t *testing.T) {
	m := &dataset.Memory{Name: "m", Format: "memory", Size: dataset.Shape{C: 1, H: 2, W: 2},
		U8: []uint8{0, 51, 102, 255, 255, 0, 0, 0}, Labels: []int{1, 0}, Classes: 2}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	src, err := NewDatasetSource(m, dataset.Preprocess{Mean: []float32{0.5}, Std: []float32{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	b := newPlan(src, 2, false, false, Augment{}, 0, 0).load(0)
	if b.err != nil {
		t.Fatal(b.err)
	}
	want := []float32{-1, 0.2/0.5 - 1, 0.4/0.5 - 1, 1, 1, -1, -1, -1}
	for i := range want {
		if d := b.x.Data[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("x = %v, want %v", b.x.Data, want)
		}
	}
	if !reflect.DeepEqual(b.labels, []int{1, 0}) || !reflect.DeepEqual(b.x.Shape, []int{2, 1, 2, 2}) {
		t.Fatalf("labels %v, shape %v; want [1 0], [2 1 2 2]", b.labels, b.x.Shape)
	}
	// Padded by 2 on a 2×2 image, most crops hold black (-1 normalized).
	black := 0
	for epoch := range 20 {
		b := newPlan(src, 2, false, false, Augment{Pad: 2}, 1, epoch).load(0)
		for _, v := range b.x.Data {
			if v == -1 {
				black++
			}
		}
	}
	if black < 100 {
		t.Fatalf("%d black pixels in 20 padded epochs", black)
	}
	if _, err := NewDatasetSource(&dataset.Memory{Size: dataset.Shape{C: 1, H: 2, W: 2}}, dataset.Preprocess{}); !errors.Is(err, ErrEmptyData) {
		t.Fatalf("empty dataset: %v", err)
	}
}

// TestHoldout: the held-out slice is the seeded share of the data, capped,
// disjoint from the training part, and the same for the same seed.
func TestHoldout(t *testing.T) {
	src := stripes(1, 50, 3)
	train, held, err := Holdout(src, 0.1, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 45 || held.Len() != 5 {
		t.Fatalf("split %d/%d, want 45/5", train.Len(), held.Len())
	}
	_, capped, err := Holdout(src, 0.5, 3, 7)
	if err != nil || capped.Len() != 3 {
		t.Fatalf("capped at 3: %v, %v", capped, err)
	}
	if _, none, err := Holdout(src, 0, 0, 7); err != nil || none != nil {
		t.Fatalf("no holdout: %v, %v", none, err)
	}
	again, _, _ := Holdout(src, 0.1, 0, 7)
	a, b := newPlan(train, 45, false, false, Augment{}, 0, 0).load(0), newPlan(again, 45, false, false, Augment{}, 0, 0).load(0)
	if !reflect.DeepEqual(a.x.Data, b.x.Data) {
		t.Fatal("the same seed gave another split")
	}
}
