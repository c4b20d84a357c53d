package finetune

import (
	"errors"
	"testing"

	"github.com/bincompress/bincompress/internal/dataset"
)

// TestDatasetSource: pixels are scaled to [0,1] and normalized as
// torchvision's ToTensor + Normalize do.
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
	x, labels := make([]float32, 8), make([]int, 2)
	if err := src.Load([]int{1, 0}, x, labels); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -1, -1, -1, -1, 0.2/0.5 - 1, 0.4/0.5 - 1, 1}
	for i := range want {
		if d := x[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("x = %v, want %v", x, want)
		}
	}
	if b := src.Black(); len(b) != 1 || b[0] != -1 {
		t.Fatalf("black level %v, want [-1]", b)
	}
	if labels[0] != 0 || labels[1] != 1 {
		t.Fatalf("labels %v, want [0 1]", labels)
	}
	if _, err := NewDatasetSource(&dataset.Memory{Size: dataset.Shape{C: 1, H: 2, W: 2}}, dataset.Preprocess{}); !errors.Is(err, ErrEmptyData) {
		t.Fatalf("empty dataset: %v", err)
	}
}
