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

// torchStep compiles testdata/PREFIX.onnx (float weights) and runs one
// training-mode step on tp (batch statistics, mean cross-entropy, backward
// included) on the batch in PREFIX.x.npy and PREFIX.y.npy, the references
// a PyTorch script wrote. It returns the net, whose parameters hold their
// gradients, and the loss.
func torchStep(t *testing.T, prefix string, tp *autograd.Tape) (*net, float32) {
	t.Helper()
	m, err := onnx.ReadFile("testdata/" + prefix + ".onnx")
	if err != nil {
		t.Fatal(err)
	}
	untie(m.Graph)
	n, err := compile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := readNPY(t, "testdata/"+prefix+".x.npy")
	y, err := npy.ReadFile("testdata/" + prefix + ".y.npy")
	if err != nil {
		t.Fatal(err)
	}
	var labels []int
	for _, v := range y.Data.([]int64) {
		labels = append(labels, int(v))
	}
	logits, err := n.forward(tp, autograd.New(x.Shape, x.Data.([]float32)), modeStats)
	if err != nil {
		t.Fatal(err)
	}
	loss, _, err := tp.CrossEntropy(logits, labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	return n, loss.Data[0]
}

// checkTorchLoss compares a loss with PyTorch's in testdata/PREFIX.loss.npy.
func checkTorchLoss(t *testing.T, prefix string, loss float32) {
	t.Helper()
	if want := readNPY(t, "testdata/"+prefix+".loss.npy").Data.([]float32)[0]; math.Abs(float64(loss-want)) > 1e-5*float64(want) {
		t.Fatalf("loss %v, PyTorch %v", loss, want)
	}
}

// TestOpsGradientsMatchPyTorch: one training-mode step (batch statistics,
// mean cross-entropy, exact backward, float weights) of a network that puts
// every op the ResNet families train through on one trained path
// (testdata/scripts/torch_grads_ops.py says which) gives the loss and every
// parameter gradient PyTorch's autograd computed for the same batch.
func TestOpsGradientsMatchPyTorch(t *testing.T) {
	n, loss := torchStep(t, "ops_step", &autograd.Tape{})
	if len(n.acts) != 4 {
		t.Errorf("%d activation chains fused (SiLU, two HardSwish, GELU), want 4", len(n.acts))
	}
	checkTorchLoss(t, "ops_step", loss)
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

// TestOpsCompressedGradients: on the same step, compressing tapes (BN's
// input in 8 bits, so that the ops' own codes weigh most) give parameter
// gradients whose mean over 8 keys is within 2 % of the exact ones (in
// norm): the codes the new ops keep (SmoothBits of smooth activations'
// inputs and of Mul operands, masks of piecewise-linear ones) lose little
// and add no visible bias.
func TestOpsCompressedGradients(t *testing.T) {
	grads := func(tp *autograd.Tape) map[string][]float32 {
		n, _ := torchStep(t, "ops_step", tp)
		out := map[string][]float32{}
		for name, p := range n.params {
			out[name] = p.Grad()
		}
		return out
	}
	exact := grads(&autograd.Tape{})
	const draws = 8
	comp := map[string][]float32{}
	for k := range draws {
		for name, v := range grads(&autograd.Tape{Compress: true, BNBits: 8, Key: uint64(k + 1)}) {
			if comp[name] == nil {
				comp[name] = make([]float32, len(v))
			}
			for i := range v {
				comp[name][i] += v[i] / draws
			}
		}
	}
	for name, e := range exact {
		var diff, norm float64
		for i := range e {
			d := float64(comp[name][i] - e[i])
			diff, norm = diff+d*d, norm+float64(e[i])*float64(e[i])
		}
		rel := math.Sqrt(diff / norm)
		t.Logf("%s: relative error %.3g", name, rel)
		if rel > 0.02 {
			t.Errorf("%s: compressed gradient off by %.3g (relative, in norm)", name, rel)
		}
	}
}
