package infer_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestMatchesONNXRuntime runs every PyTorch export in testdata/models on its
// fixed input, in our executor and in onnxruntime, and requires the outputs
// to agree within 1e-4 absolute.
func TestMatchesONNXRuntime(t *testing.T) {
	ortref.SkipOrFail(t)
	models, err := filepath.Glob("../testdata/models/*.onnx")
	if err != nil || len(models) == 0 {
		t.Fatalf("no testdata models: %v", err)
	}
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		t.Run(name, func(t *testing.T) {
			m, err := onnx.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a, err := npy.ReadFile(strings.TrimSuffix(path, ".onnx") + ".input.npy")
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*ir.Tensor{"input": ir.NewFloat32("input", a.Shape, a.Data.([]float32))}
			p, err := infer.Compile(m)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := p.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := ortref.Run(path, in)
			if err != nil {
				t.Fatal(err)
			}
			got, want := ours["logits"].Data.([]float32), theirs["logits"].Data.([]float32)
			if len(got) != len(want) {
				t.Fatalf("%d values, onnxruntime %d", len(got), len(want))
			}
			worst := 0.0
			for i := range got {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
			}
			if worst > 1e-4 {
				t.Errorf("max |ours - onnxruntime| = %.3g > 1e-4", worst)
			}
			t.Logf("max |ours - onnxruntime| = %.3g", worst)
		})
	}
}
