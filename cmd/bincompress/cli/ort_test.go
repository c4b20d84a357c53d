package cli

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/ir"
)

// TestONNXRuntimeCrossCheck is the check `verify` used to run inside the
// product (it found onnxruntime through the source tree): a .bnn exported
// as standard ONNX runs in onnxruntime to the logits `bincompress run`
// computes from the packed bits.
func TestONNXRuntimeCrossCheck(t *testing.T) {
	ortref.SkipOrFail(t)
	dir := t.TempDir()
	bnn := tinyBNN(t, dir)
	exported := filepath.Join(dir, "tiny.onnx")
	if code, _, errOut := run(t, "export", bnn, "--format", "onnx", "--out", exported); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	ours := filepath.Join(dir, "ours.npy")
	input := testModel("fmnist_tiny.input.npy")
	if code, _, errOut := run(t, "run", bnn, "--input", input, "--output", ours); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	x, err := npy.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	y, err := npy.ReadFile(ours)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := ortref.Run(exported, map[string]*ir.Tensor{"input": ir.NewFloat32("input", x.Shape, x.Data.([]float32))})
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	for _, v := range theirs {
		if got, err = v.Float32s(); err != nil {
			t.Fatal(err)
		}
	}
	want := y.Data.([]float32)
	if len(got) != len(want) {
		t.Fatalf("onnxruntime gave %d values, run %d", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(want[i])))
	}
	if worst > 1e-3 {
		t.Errorf("largest |logit| difference from onnxruntime %g, want <= 1e-3", worst)
	}
	t.Logf("largest |logit| difference from onnxruntime: %g", worst)
}
