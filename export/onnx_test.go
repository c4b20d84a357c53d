package export

import (
	"testing"

	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/ir"
)

// onnxModels are the testdata ResNets the ONNX exports are checked on.
var onnxModels = []string{"resnet20_cifar_op11", "resnet20_cifar_folded_op13", "resnet18_w8_op11", "resnet50_w8_op17"}

// TestONNXFormatsMatchORT runs each ONNX export in onnxruntime and checks
// it against our execution of the .bnn within 1e-4.
func TestONNXFormatsMatchORT(t *testing.T) {
	ortref.SkipOrFail(t)
	formats := []struct {
		name string
		fn   func(*ir.Model) (*ir.Model, error)
	}{{"onnx", ONNX}, {"onnx-packed", ONNXPacked}}
	for _, name := range onnxModels {
		if testing.Short() && name != "resnet20_cifar_op11" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			bnn := loadBNN(t, name)
			x := loadInput(t, name)
			want := runOurs(t, bnn, x)
			dir := t.TempDir()
			for _, f := range formats {
				m, err := f.fn(bnn)
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				out, err := ortref.Run(writeModel(t, dir, f.name+".onnx", m), map[string]*ir.Tensor{"input": x})
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				closeTo(t, f.name, out[bnn.Graph.Outputs[0].Name], want, 1e-4)
			}
		})
	}
}

// TestONNXFormatsOddSizes checks the exports of synthBNN in onnxruntime at
// opset 9 (Slice with attributes) and 13 (Slice with inputs): rows of 27 and
// 60 bits, a transposed MatMul weight and grouped, strided, padded convs.
func TestONNXFormatsOddSizes(t *testing.T) {
	ortref.SkipOrFail(t)
	for _, opset := range []int64{9, 13} {
		bnn := synthBNN(t, opset, opset)
		x := synthInput(opset, 3)
		want := runOurs(t, bnn, x)
		dir := t.TempDir()
		for _, f := range []struct {
			name string
			fn   func(*ir.Model) (*ir.Model, error)
		}{{"onnx", ONNX}, {"onnx-packed", ONNXPacked}} {
			m, err := f.fn(bnn)
			if err != nil {
				t.Fatalf("opset %d %s: %v", opset, f.name, err)
			}
			out, err := ortref.Run(writeModel(t, dir, f.name+".onnx", m), map[string]*ir.Tensor{"input": x})
			if err != nil {
				t.Fatalf("opset %d %s: %v", opset, f.name, err)
			}
			closeTo(t, f.name, out[bnn.Graph.Outputs[0].Name], want, 1e-4)
		}
	}
}

// TestExportsUseEveryInitializer: every initializer of every ONNX-family
// export feeds a node or is a graph output; onnxruntime warns about any
// other ("Removing initializer ... It is not used by any node") each time
// it loads the model. (The C export's unused static arrays would fail
// TestCMatchesBNN: -Wall -Werror warns about them.)
func TestExportsUseEveryInitializer(t *testing.T) {
	models := map[string]*ir.Model{"resnet20_cifar_op11": loadBNN(t, "resnet20_cifar_op11"),
		"synth_op9": synthBNN(t, 9, 9), "synth_op13": synthBNN(t, 13, 13), "ops_op20": opsBNN(t, 20)}
	for name, bnn := range models {
		for _, f := range Formats {
			if f == "c" {
				continue
			}
			m, err := Model(bnn, f)
			if err != nil {
				t.Fatalf("%s %s: %v", name, f, err)
			}
			used := map[string]bool{}
			for _, n := range m.Graph.Nodes {
				for _, in := range n.Inputs {
					used[in] = true
				}
			}
			for _, o := range m.Graph.Outputs {
				used[o.Name] = true
			}
			for _, init := range m.Graph.Initializers {
				if !used[init.Name] {
					t.Errorf("%s %s: initializer %q is used by no node", name, f, init.Name)
				}
			}
		}
	}
}
