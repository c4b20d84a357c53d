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
