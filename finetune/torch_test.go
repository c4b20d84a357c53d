package finetune

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestForwardMatchesPyTorch runs the trainer's own forward pass (float
// weights, running statistics) on the PyTorch exports of testdata/models
// and compares the logits with PyTorch's, saved when the model was exported.
func TestForwardMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"resnet20_cifar_op11", "resnet20_cifar_op17", "resnet20_cifar_folded_op13", "fmnist_tiny", "resnet18_w8_op11"} {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join("..", "testdata", "models", name)
			m := readModel(t, name)
			x, want := readNPY(t, base+".input.npy"), readNPY(t, base+".torch_output.npy")
			n, err := compile(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := n.forward(nil, autograd.New(x.Shape, x.Data.([]float32)), modeEval)
			if err != nil {
				t.Fatal(err)
			}
			w := want.Data.([]float32)
			for i := range w {
				if math.Abs(float64(got.Data[i]-w[i])) > 1e-4*(1+math.Abs(float64(w[i]))) {
					t.Fatalf("logit %d: %v, PyTorch %v", i, got.Data[i], w[i])
				}
			}
		})
	}
}

// readModel reads testdata/models/NAME.onnx.
func readModel(tb testing.TB, name string) *ir.Model {
	tb.Helper()
	m, err := onnx.ReadFile(filepath.Join("..", "testdata", "models", name+".onnx"))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func readNPY(t *testing.T, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "float32" {
		t.Fatalf("%s: dtype %s, want float32", path, a.DType)
	}
	return a
}

// TestGradientsMatchPyTorch: one training-mode step of fmnist_tiny (batch
// statistics, mean cross-entropy, exact backward, float weights) gives the
// loss and every parameter gradient PyTorch computed for the same batch
// (testdata/torch_grads.py).
func TestGradientsMatchPyTorch(t *testing.T) {
	n, loss := torchStep(t, "fmnist_tiny_step", &autograd.Tape{})
	if len(n.addInto) == 0 {
		t.Fatal("no residual Add runs in place: this test would not cover AddInPlace")
	}
	checkTorchLoss(t, "fmnist_tiny_step", loss)
	ref := readNPY(t, "testdata/fmnist_tiny_step.grads.npy").Data.([]float32)
	off := 0
	for _, nd := range n.nodes {
		if nd.OpType != "Conv" && nd.OpType != "Gemm" && nd.OpType != "BatchNormalization" {
			continue
		}
		for _, in := range nd.Inputs[1:min(3, len(nd.Inputs))] {
			p, ok := n.params[in]
			if !ok {
				continue
			}
			compareGrad(t, in, p.Grad(), ref[off:off+len(p.Data)])
			off += len(p.Data)
		}
	}
	if off != len(ref) {
		t.Fatalf("compared %d gradient values, PyTorch wrote %d", off, len(ref))
	}
}

// compareGrad allows float32 rounding: 1e-3 relative plus 1e-4 of the
// tensor's largest gradient.
func compareGrad(t *testing.T, name string, got, want []float32) {
	t.Helper()
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-3*math.Abs(float64(want[i]))+1e-4*scale {
			t.Fatalf("%s[%d]: gradient %v, PyTorch %v (largest %v)", name, i, got[i], want[i], scale)
		}
	}
}

// TestTrainOnExports runs a short fine-tune on each PyTorch export kind
// (opset 11 and 17, BN kept or folded into the convs, the Identity nodes
// of merged initializers) and checks that every binary layer's latent
// weights moved and the result records the binarization.
func TestTrainOnExports(t *testing.T) {
	for _, name := range []string{"resnet20_cifar_op11", "resnet20_cifar_folded_op13", "fmnist_tiny"} {
		t.Run(name, func(t *testing.T) {
			m := readModel(t, name)
			in := m.Graph.DataInputs()[0].Shape
			src := randomSource(8, int(in[1].Size), int(in[2].Size), int(in[3].Size), 10, 3)
			cfg := DefaultConfig()
			cfg.Epochs, cfg.BatchSize, cfg.BNBatches = 1, 4, 1
			res, err := Train(context.Background(), m, src, src, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := res.Model.MetadataValue(MetadataKey); !ok || len(res.Layers) == 0 {
				t.Fatalf("binarization not recorded: %q, %d layers", v, len(res.Layers))
			}
			for _, l := range res.Layers {
				before, after := m.Graph.Initializer(l.Weight), res.Model.Graph.Initializer(l.Weight)
				if reflect.DeepEqual(before.Data, after.Data) {
					t.Errorf("layer %s: latent weights did not change", l.Node)
				}
			}
		})
	}
}
