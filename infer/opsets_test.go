package infer_test

import (
	"fmt"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// runSingle runs one node: x is the graph input, consts become
// initializers (a nil const leaves that input empty).
func runSingle(t *testing.T, opset int64, op string, x *ir.Tensor, consts []*ir.Tensor, attrs ...*ir.Attr) *ir.Tensor {
	t.Helper()
	b := newBuilder(opset, 1)
	b.m.Graph.Inputs = []*ir.ValueInfo{{Name: "input", DType: x.DType}}
	names := []string{"input"}
	for _, c := range consts {
		if c == nil {
			names = append(names, "")
			continue
		}
		names = append(names, b.init(c))
	}
	b.output(b.node(op, names, attrs...))
	return run1(t, compile(t, b.m), x)
}

func i64(v ...int64) *ir.Tensor { return ir.NewInt64("", []int{len(v)}, v) }

func f32(v float32) *ir.Tensor { return ir.NewFloat32("", nil, []float32{v}) }

func floatAttr(name string, v float32) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v}
}

func strAttr(name, v string) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrString, S: []byte(v)} }

func reshaped(x *ir.Tensor, shape ...int) *ir.Tensor {
	return ir.NewFloat32("input", shape, x.Data.([]float32))
}

func sameTensor(t *testing.T, got, want *ir.Tensor) {
	t.Helper()
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	assertClose(t, got.Data.([]float32), want.Data.([]float32), 1e-6)
}

// TestOldOpsetForms holds each pre-opset-13 form (attributes instead of
// inputs, 2-D coercion, legacy broadcasting) and the Global pools to the
// modern forms that ONNX's node tests verify (TestConformance), since the
// node tests exist only at newer opsets.
func TestOldOpsetForms(t *testing.T) {
	x := randomInput(9, 2, 3, 4, 5)
	cases := map[string]func(t *testing.T){
		"Softmax<13 coerces to 2-D": func(t *testing.T) {
			for _, op := range []string{"Softmax", "LogSoftmax"} {
				old := runSingle(t, 11, op, x, nil, intAttr("axis", 2))
				flat := runSingle(t, 13, op, reshaped(x, 6, 20), nil, intAttr("axis", 1))
				sameTensor(t, reshaped(old, 6, 20), flat)
			}
		},
		"Clip<11 attributes": func(t *testing.T) {
			old := runSingle(t, 6, "Clip", x, nil, floatAttr("min", -0.3), floatAttr("max", 0.4))
			sameTensor(t, old, runSingle(t, 13, "Clip", x, []*ir.Tensor{f32(-0.3), f32(0.4)}))
			sameTensor(t, runSingle(t, 13, "Clip", x, []*ir.Tensor{nil, f32(0.4)}), runSingle(t, 6, "Clip", x, nil, floatAttr("max", 0.4)))
		},
		"Pad<11 attributes and axes>=18": func(t *testing.T) {
			for _, mode := range []string{"constant", "reflect", "edge"} {
				old := runSingle(t, 2, "Pad", x, nil, ints("pads", 0, 0, 1, 2, 0, 0, 2, 1), strAttr("mode", mode), floatAttr("value", 0.5))
				sameTensor(t, old, runSingle(t, 13, "Pad", x, []*ir.Tensor{i64(0, 0, 1, 2, 0, 0, 2, 1), f32(0.5)}, strAttr("mode", mode)))
				sameTensor(t, old, runSingle(t, 18, "Pad", x, []*ir.Tensor{i64(1, 2, 2, 1), f32(0.5), i64(2, -1)}, strAttr("mode", mode)))
			}
		},
		"Squeeze/Unsqueeze<13 attributes": func(t *testing.T) {
			u := runSingle(t, 11, "Unsqueeze", x, nil, ints("axes", 0, -1))
			sameTensor(t, u, runSingle(t, 13, "Unsqueeze", x, []*ir.Tensor{i64(0, -1)}))
			sameTensor(t, runSingle(t, 11, "Squeeze", u, nil, ints("axes", 0)), runSingle(t, 13, "Squeeze", u, []*ir.Tensor{i64(0)}))
			sameTensor(t, runSingle(t, 11, "Squeeze", u, nil), x)
		},
		"ReduceMean>=18 axes input": func(t *testing.T) {
			old := runSingle(t, 13, "ReduceMean", x, nil, ints("axes", 1, 3), intAttr("keepdims", 0))
			sameTensor(t, old, runSingle(t, 18, "ReduceMean", x, []*ir.Tensor{i64(1, 3)}, intAttr("keepdims", 0)))
		},
		"Add<7 legacy broadcast": func(t *testing.T) {
			bias := randomInput(3, 3, 4)
			old := runSingle(t, 6, "Add", x, []*ir.Tensor{bias}, intAttr("broadcast", 1), intAttr("axis", 1))
			sameTensor(t, old, runSingle(t, 13, "Add", x, []*ir.Tensor{reshaped(bias, 3, 4, 1)}))
		},
		"Global pools equal full-window pools": func(t *testing.T) {
			sameTensor(t, runSingle(t, 1, "GlobalAveragePool", x, nil), runSingle(t, 11, "AveragePool", x, nil, ints("kernel_shape", 4, 5)))
			sameTensor(t, runSingle(t, 1, "GlobalMaxPool", x, nil), runSingle(t, 12, "MaxPool", x, nil, ints("kernel_shape", 4, 5)))
		},
		"Dropout<12 and BatchNormalization<14": func(t *testing.T) {
			sameTensor(t, runSingle(t, 7, "Dropout", x, nil, floatAttr("ratio", 0.3)), x)
			c := []*ir.Tensor{randomInput(4, 3), randomInput(5, 3), randomInput(6, 3), reshaped(randomInput(7, 3), 3)}
			c[3].Data = []float32{0.5, 1, 2}
			sameTensor(t, runSingle(t, 7, "BatchNormalization", x, c), runSingle(t, 15, "BatchNormalization", x, c))
		},
	}
	for name, f := range cases {
		t.Run(name, f)
	}
}
