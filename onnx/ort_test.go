package onnx

import (
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/ir"
)

// TestUnchangedModelRunsIdentically: every testdata model that onnxruntime
// can run gives bit-identical outputs after ReadFile and WriteFile (external
// data is written inline). Models onnxruntime refuses are listed with its
// reason; the test fails if it runs none.
func TestUnchangedModelRunsIdentically(t *testing.T) {
	ortref.SkipOrFail(t)
	paths := testdataModels(t)
	if testing.Short() {
		paths = paths[:min(len(paths), 3)]
	}
	var ran atomic.Int32
	t.Run("models", func(t *testing.T) {
		for _, path := range paths {
			t.Run(modelName(path), func(t *testing.T) {
				t.Parallel()
				if runBoth(t, path) {
					ran.Add(1)
				}
			})
		}
	})
	t.Logf("%d of %d models ran identically in onnxruntime", ran.Load(), len(paths))
	if ran.Load() == 0 {
		t.Fatal("onnxruntime ran none of the testdata models")
	}
}

// runBoth runs the model and its ReadFile/WriteFile copy on the same
// inputs; it reports false when onnxruntime cannot run the original.
func runBoth(t *testing.T, path string) bool {
	m, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inputs := fixedInputs(m.Graph)
	want, err := runORT(path, inputs)
	if err != nil {
		t.Logf("not run: onnxruntime refuses the original: %v", err)
		return false
	}
	copyPath := filepath.Join(t.TempDir(), "copy.onnx")
	if err := WriteFile(copyPath, m); err != nil {
		t.Fatal(err)
	}
	got, err := runORT(copyPath, inputs)
	if err != nil {
		t.Fatalf("the original runs but the written copy fails: %v", err)
	}
	compareOutputs(t, modelName(path), want, got)
	return !t.Failed()
}

func runORT(path string, inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	return ortref.RunWithOptions(path, inputs, ortref.Options{Threads: 1})
}

func compareOutputs(t *testing.T, model string, want, got map[string]*ir.Tensor) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d outputs, copy %d", model, len(want), len(got))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: copy lacks output %q", model, name)
			continue
		}
		if d := diffTensors(w, g); d != "" {
			t.Errorf("%s: output %q differs: %s", model, name, d)
		}
	}
}

// fixedInputs gives every data input a deterministic value; unknown and
// symbolic dimensions become 2 (a batch of two).
func fixedInputs(g *ir.Graph) map[string]*ir.Tensor {
	inputs := make(map[string]*ir.Tensor)
	for i, v := range g.DataInputs() {
		shape := make([]int, len(v.Shape))
		for j, d := range v.Shape {
			shape[j] = 2
			if d.Known() {
				shape[j] = int(d.Size)
			}
		}
		n := ir.NumElements(shape)
		data, err := v.DType.MakeSlice(n)
		if err != nil {
			continue // left out: onnxruntime will name it
		}
		if f, ok := data.([]float32); ok {
			copy(f, weights(uint64(100+i), n))
		}
		inputs[v.Name] = &ir.Tensor{Name: v.Name, DType: v.DType, Shape: shape, Data: data}
	}
	return inputs
}
