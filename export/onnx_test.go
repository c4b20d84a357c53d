package export

import (
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
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

// dilatedSameBNN packs a network of convs with auto_pad SAME_UPPER and
// SAME_LOWER, dilations above 1 and odd strides, the middle one kept float.
func dilatedSameBNN(t testing.TB) *ir.Model {
	t.Helper()
	n := newTestNet("dilated", 13, 5, ir.Dim{Param: "batch"}, ir.Dim{Size: 3}, ir.Dim{Size: 11}, ir.Dim{Size: 10})
	g, m, node, ints := n.g, n.m, n.node, intsAttr
	randT := func(name string, shape ...int) string { return n.weight(name, 0.3, shape...) }
	pad := func(mode string) *ir.Attr { return &ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: []byte(mode)} }
	x := node("Conv", "conv1", []string{"input", randT("w1", 8, 3, 3, 3), randT("b1", 8)},
		pad("SAME_UPPER"), ints("dilations", 2, 3), ints("strides", 2, 1))
	x = node("Relu", "relu1", []string{x})
	x = node("Conv", "conv2", []string{x, randT("w2", 8, 8, 3, 2), randT("b2", 8)},
		pad("SAME_LOWER"), ints("dilations", 2, 2), ints("strides", 1, 2))
	x = node("Relu", "relu2", []string{x})
	x = node("Conv", "conv3", []string{x, randT("w3", 8, 8, 2, 3)}, pad("SAME_LOWER"), ints("dilations", 3, 1))
	x = node("GlobalAveragePool", "gap", []string{x})
	x = node("Flatten", "flat", []string{x})
	x = node("Gemm", "fc", []string{x, randT("w4", 4, 8), randT("b4", 4)}, &ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	g.Outputs = []*ir.ValueInfo{{Name: x, DType: ir.Float32}}
	if _, err := convert.Binarize(m, convert.Options{KeepFloat: []string{"conv2"}}); err != nil {
		t.Fatal(err)
	}
	b, err := pack.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	if layers, err := binaryLayers(b); err != nil || len(layers) != 3 { // conv1, conv3, fc
		t.Fatalf("%d binary layers (%v), want 3", len(layers), err)
	}
	return b
}

// TestONNXFormatsDilatedSame: the ONNX exports of convs with SAME auto_pad
// and dilation, binary and kept float, run in onnxruntime and agree with
// our execution of the .bnn. They kept auto_pad, which onnxruntime refuses
// with a dilation other than 1 ("Dilation not supported for
// AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER").
func TestONNXFormatsDilatedSame(t *testing.T) {
	ortref.SkipOrFail(t)
	bnn := dilatedSameBNN(t)
	x := synthInputShape(7, 2, 3, 11, 10)
	want := runOurs(t, bnn, x)
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		fn   func(*ir.Model) (*ir.Model, error)
	}{{"onnx", ONNX}, {"onnx-packed", ONNXPacked}, {"qonnx", QONNX}} {
		m, err := f.fn(bnn)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		for _, n := range m.Graph.Nodes {
			if n.OpType == "Conv" && n.Attr("auto_pad") != nil {
				t.Errorf("%s: conv %q keeps auto_pad", f.name, n.Name)
			}
		}
		if f.name == "qonnx" { // onnxruntime has no BipolarQuant: our executor runs it
			closeTo(t, f.name, runOurs(t, m, x), want, 1e-5)
			continue
		}
		out, err := ortref.Run(writeModel(t, dir, f.name+".onnx", m), map[string]*ir.Tensor{"input": x})
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		closeTo(t, f.name, out[bnn.Graph.Outputs[0].Name], want, 1e-4)
	}
}
