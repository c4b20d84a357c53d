package finetune

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/onnx"
)

// TestOpsGradientsMatchPyTorch: one training-mode step (batch statistics,
// mean cross-entropy, exact backward, float weights) of a network that puts
// every op the ResNet families train through on one trained path
// (testdata/scripts/torch_grads_ops.py says which) gives the loss and every
// parameter gradient PyTorch's autograd computed for the same batch.
func TestOpsGradientsMatchPyTorch(t *testing.T) {
	m, err := onnx.ReadFile("testdata/ops_step.onnx")
	if err != nil {
		t.Fatal(err)
	}
	n, err := compile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.acts) != 4 {
		t.Errorf("%d activation chains fused (SiLU, two HardSwish, GELU), want 4", len(n.acts))
	}
	x := readNPY(t, "testdata/ops_step.x.npy")
	y, err := npy.ReadFile("testdata/ops_step.y.npy")
	if err != nil {
		t.Fatal(err)
	}
	var labels []int
	for _, v := range y.Data.([]int64) {
		labels = append(labels, int(v))
	}
	tp := &autograd.Tape{}
	logits, err := n.forward(tp, autograd.New(x.Shape, x.Data.([]float32)), modeStats)
	if err != nil {
		t.Fatal(err)
	}
	loss, _, err := tp.CrossEntropy(logits, labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := readNPY(t, "testdata/ops_step.loss.npy").Data.([]float32)[0]; math.Abs(float64(loss.Data[0]-want)) > 1e-5*float64(want) {
		t.Fatalf("loss %v, PyTorch %v", loss.Data[0], want)
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	names, err := os.ReadFile("testdata/ops_step.names.txt")
	if err != nil {
		t.Fatal(err)
	}
	ref := readNPY(t, "testdata/ops_step.grads.npy").Data.([]float32)
	off := 0
	for _, name := range strings.Fields(string(names)) {
		p, ok := n.params[name]
		if !ok {
			t.Fatalf("PyTorch parameter %s is not trained", name)
		}
		compareGrad(t, name, p.Grad(), ref[off:off+len(p.Data)])
		off += len(p.Data)
	}
	if off != len(ref) || len(n.params) != len(strings.Fields(string(names))) {
		t.Fatalf("compared %d of %d gradient values; %d parameters trained, PyTorch has %d", off, len(ref), len(n.params), len(strings.Fields(string(names))))
	}
}
