package finetune

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// familyDir holds the PyTorch exports of every ResNet family of issue 14
// (testdata/scripts/export_families.py).
const familyDir = "../testdata/models/families"

// families lists the family models by file name (without .onnx).
func families(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(familyDir, "*.onnx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no family models in %s: %v", familyDir, err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".onnx"))
	}
	return names
}

func readFamily(t *testing.T, name string) *ir.Model {
	t.Helper()
	m, err := onnx.ReadFile(filepath.Join(familyDir, name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fusedActs is how many activation chains each family's export fuses.
var fusedActs = map[string]int{"act_silu_op13": 7, "se_silu_op17": 10, "act_gelu_op13": 7}

// TestFamiliesForward: the trainer's own forward pass (float weights,
// running statistics) gives PyTorch's logits on every family.
func TestFamiliesForward(t *testing.T) {
	for _, name := range families(t) {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join(familyDir, name)
			x, want := readNPY(t, base+".input.npy"), readNPY(t, base+".torch_output.npy")
			n, err := compile(readFamily(t, name), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(n.acts) != fusedActs[name] {
				t.Errorf("%d activation chains fused, want %d", len(n.acts), fusedActs[name])
			}
			got, err := n.forward(nil, autograd.New(x.Shape, x.Data.([]float32)), modeEval)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want.Data.([]float32) {
				if math.Abs(float64(got.Data[i]-w)) > 1e-4*(1+math.Abs(float64(w))) {
					t.Fatalf("logit %d: %v, PyTorch %v", i, got.Data[i], w)
				}
			}
		})
	}
}

// TestFamiliesTrain fine-tunes every family for one epoch on a tiny random
// data set, with compressed and with exact backward: the loss stays finite,
// every trained parameter (binary layers' latent weights, PReLU slopes, BN
// scales) moves, and compressed backward keeps less than a fifth of the
// bytes per image that exact backward keeps (7.8× to 31× on these models).
func TestFamiliesTrain(t *testing.T) {
	for _, name := range families(t) {
		for _, exact := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/compressed", true: "/exact"}[exact], func(t *testing.T) {
				m := readFamily(t, name)
				var dims []int
				for _, d := range m.Graph.DataInputs()[0].Shape[1:] {
					dims = append(dims, int(d.Size))
				}
				src := randomSource(16, dims[0], dims[1], dims[2], 10, 3)
				cfg := DefaultConfig()
				cfg.Epochs, cfg.BatchSize, cfg.BNBatches, cfg.ExactBackward = 1, 8, 1, exact
				cfg.Augment = Augment{}
				res, err := Train(context.Background(), m, src, nil, cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				if l := res.Epochs[0].Loss; math.IsNaN(l) || math.IsInf(l, 0) {
					t.Fatalf("loss %v", l)
				}
				mem := res.Memory
				t.Logf("saved per image: exact %.0f B, compressed %.0f B (%.1f×)", mem.ExactPerImage, mem.CompressedPerImage, mem.ExactPerImage/mem.CompressedPerImage)
				if mem.CompressedPerImage*5 > mem.ExactPerImage {
					t.Errorf("compressed backward keeps %.0f B per image, more than a fifth of exact's %.0f B", mem.CompressedPerImage, mem.ExactPerImage)
				}
				if len(res.Layers) == 0 {
					t.Fatal("no binary layer")
				}
				trained := trainedParams(t, m)
				for _, nd := range m.Graph.Nodes {
					if nd.OpType == "PRelu" && !slices.Contains(trained, nd.Input(1)) {
						t.Errorf("PReLU slope %s is not trained", nd.Input(1))
					}
				}
				for _, p := range trained {
					if reflect.DeepEqual(m.Graph.Initializer(p).Data, res.Model.Graph.Initializer(p).Data) {
						t.Errorf("parameter %s did not change", p)
					}
				}
			})
		}
	}
}

// trainedParams names the initializers the trainer makes parameters.
func trainedParams(t *testing.T, m *ir.Model) []string {
	t.Helper()
	work := m.Clone()
	untie(work.Graph)
	n, err := compile(work, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range n.order {
		if m.Graph.Initializer(p) != nil {
			out = append(out, p)
		}
	}
	return out
}

// TestHostileShapes: a shape subgraph that asks for more elements than the
// op layer's ceiling (ConstantOfShape, Expand, Pad) gets an error naming
// the node, not an allocation.
func TestHostileShapes(t *testing.T) {
	huge := ir.NewInt64("huge", []int{3}, []int64{1 << 20, 2, 1 << 20})
	pads := ir.NewInt64("pads", []int{4}, []int64{0, 1 << 30, 0, 1 << 30})
	for _, nd := range []*ir.Node{
		{Name: "cos", OpType: "ConstantOfShape", Inputs: []string{"huge"}, Outputs: []string{"y"}},
		{Name: "expand", OpType: "Expand", Inputs: []string{"x", "huge"}, Outputs: []string{"y"}},
		{Name: "pad", OpType: "Pad", Inputs: []string{"x", "pads"}, Outputs: []string{"y"}},
	} {
		m := &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: &ir.Graph{
			Nodes: []*ir.Node{nd}, Initializers: []*ir.Tensor{huge, pads},
			Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Param: "N"}, {Size: 1}}}},
			Outputs: []*ir.ValueInfo{{Name: "y", DType: ir.Float32}},
		}}
		n, err := compile(m, nil)
		if err == nil {
			_, err = n.exec(nil, autograd.Zeros(2, 1), modeEval)
		}
		if err == nil || !strings.Contains(err.Error(), nd.Name) {
			t.Errorf("%s: error %v, want one naming the node", nd.OpType, err)
		}
	}
}
