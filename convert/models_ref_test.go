package convert

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

func readModel(t *testing.T, name string) *ir.Model {
	t.Helper()
	m, err := onnx.ReadFile(filepath.Join("..", "testdata", "models", name+".onnx"))
	if err != nil {
		t.Skipf("%v", err)
	}
	return m
}

func runModel(t *testing.T, m *ir.Model, x *ir.Tensor) []float32 {
	t.Helper()
	p, err := infer.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*ir.Tensor{p.Inputs()[0]: x})
	if err != nil {
		t.Fatal(err)
	}
	return out[p.Outputs()[0]].Data.([]float32)
}

func modelInput(t *testing.T, name string) *ir.Tensor {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join("..", "testdata", "models", name+".input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return ir.NewFloat32("input", a.Shape, a.Data.([]float32))
}

func relDiff(a, b []float32) float64 {
	var d, s float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		s = math.Max(s, math.Abs(float64(b[i])))
	}
	return d / s
}

// TestFoldedBNRouteAgrees binarizes PyTorch's ResNet-20 twice: as exported
// with BatchNormalization nodes (binarize, then fold-bn) and as exported
// with each BN folded into its conv by PyTorch (binarize the folded weight,
// keep the conv bias). docs/bnn-format.md derives that the channel scale
// makes both the same network.
func TestFoldedBNRouteAgrees(t *testing.T) {
	withBN, folded := readModel(t, "resnet20_cifar_op11"), readModel(t, "resnet20_cifar_folded_op13")
	x := modelInput(t, "resnet20_cifar_op11")
	floatDiff := relDiff(runModel(t, folded, x), runModel(t, withBN, x))
	for _, m := range []*ir.Model{withBN, folded} {
		rep, err := Binarize(m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Binarized() != 22 {
			t.Fatalf("%d layers binarized, want 21 convs and the classifier", rep.Binarized())
		}
	}
	a, b := runModel(t, withBN, x), runModel(t, folded, x)
	if d := relDiff(b, a); d > 1e-4 {
		t.Errorf("binarized folded and unfolded ResNet-20 differ by %.3g relative (float models: %.3g)", d, floatDiff)
	}
	for _, n := range withBN.Graph.Nodes {
		if n.OpType == "BatchNormalization" {
			t.Errorf("BatchNormalization %s was not folded", n.Name)
		}
	}
}

// TestFoldBNPreservesFunction runs the binarized float graph before and
// after the fold-bn pass: folding must not change the outputs.
func TestFoldBNPreservesFunction(t *testing.T) {
	for _, name := range []string{"resnet20_cifar_op17", "resnet18_w8_op11"} {
		m := readModel(t, name)
		x := modelInput(t, name)
		if _, err := (Pipeline{Select(), BinarizeWeights()}).Run(m, Options{}); err != nil {
			t.Fatal(err)
		}
		before := runModel(t, m, x)
		if _, err := (Pipeline{Select(), FoldBatchNorm()}).Run(m, Options{}); err != nil {
			t.Fatal(err)
		}
		if d := relDiff(runModel(t, m, x), before); d > 1e-5 {
			t.Errorf("%s: fold-bn changed the outputs by %.3g relative", name, d)
		}
	}
}
