package onnx

import (
	"math"
	"math/rand/v2"

	"github.com/bincompress/bincompress/ir"
)

// Hand-made fixture models, written to ../testdata/onnx by
// `go test ./onnx -run TestFixtures -update` and checked against these
// builders on every run.

// fixtureBuilders maps each fixture file to the function that builds it.
var fixtureBuilders = map[string]func() *ir.Model{
	"tiny_convnet.onnx": tinyConvNet,
	"constants.onnx":    constantsModel,
	"dtypes.onnx":       dtypesModel,
	"subgraph.onnx":     subgraphModel,
	"ir3_opset7.onnx":   ir3Opset7Model,
}

// weights returns n deterministic pseudo-random floats in [-1, 1).
func weights(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x6f6e6e78))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.Float64()*2 - 1)
	}
	return out
}

func positive(seed uint64, n int) []float32 {
	w := weights(seed, n)
	for i := range w {
		w[i] = 0.5 + float32(math.Abs(float64(w[i])))
	}
	return w
}

func vi(name string, dt ir.DType, dims ...ir.Dim) *ir.ValueInfo {
	return &ir.ValueInfo{Name: name, DType: dt, Shape: dims}
}

func dims(sizes ...int64) []ir.Dim {
	out := make([]ir.Dim, len(sizes))
	for i, s := range sizes {
		out[i] = ir.Dim{Size: s}
	}
	return out
}

func node(op, name string, in, out []string, attrs ...*ir.Attr) *ir.Node {
	return &ir.Node{OpType: op, Name: name, Inputs: in, Outputs: out, Attrs: attrs}
}

func ints(name string, v ...int64) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v}
}

func intAttr(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

func floatAttr(name string, v float32) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v}
}

// tinyConvNet is a ResNet-shaped stem: Conv, BatchNormalization, Relu,
// MaxPool, a residual Add, GlobalAveragePool, Flatten and Gemm, with the
// initializers also listed as graph inputs (as old exporters do).
func tinyConvNet() *ir.Model {
	inits := []*ir.Tensor{
		ir.NewFloat32("conv.w", []int{4, 3, 3, 3}, weights(1, 108)),
		ir.NewFloat32("conv.b", []int{4}, weights(2, 4)),
		ir.NewFloat32("bn.scale", []int{4}, positive(3, 4)),
		ir.NewFloat32("bn.bias", []int{4}, weights(4, 4)),
		ir.NewFloat32("bn.mean", []int{4}, weights(5, 4)),
		ir.NewFloat32("bn.var", []int{4}, positive(6, 4)),
		ir.NewFloat32("conv2.w", []int{4, 4, 1, 1}, weights(7, 16)),
		ir.NewFloat32("fc.w", []int{5, 4}, weights(8, 20)),
		ir.NewFloat32("fc.b", []int{5}, weights(9, 5)),
	}
	inputs := []*ir.ValueInfo{vi("x", ir.Float32, ir.Dim{Param: "N"}, ir.Dim{Size: 3}, ir.Dim{Size: 8}, ir.Dim{Size: 8})}
	for _, t := range inits {
		v := &ir.ValueInfo{Name: t.Name, DType: t.DType, Shape: make([]ir.Dim, len(t.Shape))}
		for i, d := range t.Shape {
			v.Shape[i] = ir.Dim{Size: int64(d)}
		}
		inputs = append(inputs, v)
	}
	g := &ir.Graph{
		Name:         "tiny_convnet",
		DocString:    "a residual stem for reader tests",
		Inputs:       inputs,
		Outputs:      []*ir.ValueInfo{vi("y", ir.Float32, ir.Dim{Param: "N"}, ir.Dim{Size: 5})},
		ValueInfo:    []*ir.ValueInfo{vi("c1", ir.Float32, ir.UnknownDim, ir.Dim{Size: 4}, ir.UnknownDim, ir.UnknownDim), {Name: "untyped"}},
		Initializers: inits,
		Nodes: []*ir.Node{
			node("Conv", "conv", []string{"x", "conv.w", "conv.b"}, []string{"c1"},
				ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), ints("strides", 1, 1)),
			node("BatchNormalization", "bn", []string{"c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, []string{"b1"},
				floatAttr("epsilon", 1e-5), floatAttr("momentum", 0.9)),
			node("Relu", "relu", []string{"b1"}, []string{"r1"}),
			node("MaxPool", "pool", []string{"r1"}, []string{"p1"},
				ints("kernel_shape", 2, 2), ints("strides", 2, 2), intAttr("ceil_mode", 0)),
			node("Conv", "conv2", []string{"p1", "conv2.w", ""}, []string{"c2"}, ints("kernel_shape", 1, 1)),
			node("Add", "residual", []string{"c2", "p1"}, []string{"a1"}),
			node("GlobalAveragePool", "gap", []string{"a1"}, []string{"g1"}),
			node("Flatten", "flatten", []string{"g1"}, []string{"f1"}, intAttr("axis", 1)),
			node("Gemm", "fc", []string{"f1", "fc.w", "fc.b"}, []string{"y"},
				floatAttr("alpha", 1), floatAttr("beta", 1), intAttr("transB", 1)),
		},
	}
	g.Nodes[0].DocString = "first convolution"
	return &ir.Model{
		IRVersion:       7,
		OpsetImports:    []ir.OpsetImport{{Domain: "", Version: 13}},
		ProducerName:    "bincompress-onnx-test",
		ProducerVersion: "1",
		Domain:          "org.bincompress.test",
		ModelVersion:    3,
		DocString:       "hand-made fixture",
		Metadata:        []ir.KeyValue{{Key: "z-first", Value: "1"}, {Key: "a-second", Value: "2"}},
		Graph:           g,
	}
}

// constantsModel holds Constant nodes of every value kind the executor
// evaluates, and a Clip whose min input is omitted ("").
func constantsModel() *ir.Model {
	g := &ir.Graph{
		Name:    "constants",
		Inputs:  []*ir.ValueInfo{vi("x", ir.Float32, dims(2, 3)...)},
		Outputs: []*ir.ValueInfo{vi("y", ir.Float32, dims(2, 3)...), vi("shape", ir.Int64, dims(2)...), vi("k", ir.Int64, dims()...)},
		Nodes: []*ir.Node{
			node("Constant", "c_tensor", nil, []string{"ct"}, &ir.Attr{Name: "value", Type: ir.AttrTensor,
				T: ir.NewFloat32("", []int{2, 3}, weights(11, 6))}),
			node("Constant", "c_float", nil, []string{"cf"}, &ir.Attr{Name: "value_float", Type: ir.AttrFloat, F: 0.25}),
			node("Constant", "c_floats", nil, []string{"cfs"}, &ir.Attr{Name: "value_floats", Type: ir.AttrFloats, Floats: []float32{1, -2, 3.5}}),
			node("Constant", "c_int", nil, []string{"k"}, &ir.Attr{Name: "value_int", Type: ir.AttrInt, I: -7}),
			node("Constant", "c_ints", nil, []string{"shape"}, &ir.Attr{Name: "value_ints", Type: ir.AttrInts, Ints: []int64{2, 3}}),
			node("Mul", "mul", []string{"x", "ct"}, []string{"m"}),
			node("Add", "add", []string{"m", "cfs"}, []string{"a"}),
			node("Mul", "scale", []string{"a", "cf"}, []string{"s"}),
			node("Clip", "clip", []string{"s", "", "cf"}, []string{"y"}),
		},
	}
	return &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 17}}, ProducerName: "bincompress-onnx-test", Graph: g}
}

// dtypesTensors has one initializer of every element type the IR holds,
// with values at the edges of each type's range.
func dtypesTensors() []*ir.Tensor {
	t := func(name string, dt ir.DType, shape []int, data any) *ir.Tensor {
		return &ir.Tensor{Name: name, DType: dt, Shape: shape, Data: data}
	}
	return []*ir.Tensor{
		t("f32", ir.Float32, []int{2, 2}, []float32{1.5, float32(math.Copysign(0, -1)), float32(math.Inf(1)), math.SmallestNonzeroFloat32}),
		t("f64", ir.Float64, []int{3}, []float64{math.Pi, -1e300, math.MaxFloat64}),
		t("f16", ir.Float16, []int{3}, []uint16{0x3c00, 0xc000, 0x7bff}),
		t("bf16", ir.BFloat16, []int{2}, []uint16{0x3f80, 0xff7f}),
		t("i8", ir.Int8, []int{3}, []int8{-128, 0, 127}),
		t("u8", ir.Uint8, []int{2}, []uint8{0, 255}),
		t("i16", ir.Int16, []int{2}, []int16{-32768, 32767}),
		t("u16", ir.Uint16, []int{2}, []uint16{0, 65535}),
		t("i32", ir.Int32, []int{2}, []int32{math.MinInt32, math.MaxInt32}),
		t("u32", ir.Uint32, []int{2}, []uint32{0, math.MaxUint32}),
		t("i64", ir.Int64, []int{2}, []int64{math.MinInt64, math.MaxInt64}),
		t("u64", ir.Uint64, []int{2}, []uint64{0, math.MaxUint64}),
		t("b", ir.Bool, []int{3}, []bool{true, false, true}),
		t("s", ir.String, []int{2}, [][]byte{[]byte("resnet"), []byte("")}),
		t("scalar", ir.Float32, []int{}, []float32{42}),
		t("empty", ir.Float32, []int{0, 3}, []float32{}),
	}
}

// dtypesModel passes each dtypes initializer through Identity to an output.
func dtypesModel() *ir.Model {
	g := &ir.Graph{Name: "dtypes", Initializers: dtypesTensors()}
	for _, t := range g.Initializers {
		g.Nodes = append(g.Nodes, node("Identity", "id_"+t.Name, []string{t.Name}, []string{t.Name + "_out"}))
		g.Outputs = append(g.Outputs, vi(t.Name+"_out", t.DType))
	}
	return &ir.Model{IRVersion: 9, OpsetImports: []ir.OpsetImport{{Version: 19}}, ProducerName: "bincompress-onnx-test", Graph: g}
}

// subgraphModel has an If node (graph attributes) and a custom-domain node
// carrying one attribute of every other kind.
func subgraphModel() *ir.Model {
	branch := func(name string, v float32) *ir.Graph {
		return &ir.Graph{
			Name:    name,
			Outputs: []*ir.ValueInfo{vi(name+"_y", ir.Float32, dims(1)...)},
			Nodes: []*ir.Node{node("Constant", name+"_c", nil, []string{name + "_y"},
				&ir.Attr{Name: "value", Type: ir.AttrTensor, T: ir.NewFloat32("", []int{1}, []float32{v})})},
		}
	}
	all := node("Everything", "attrs", []string{"y"}, []string{"z"},
		&ir.Attr{Name: "s", Type: ir.AttrString, S: []byte("same")},
		&ir.Attr{Name: "ss", Type: ir.AttrStrings, Strings: [][]byte{[]byte("a"), []byte("bc")}, DocString: "strings"},
		&ir.Attr{Name: "ts", Type: ir.AttrTensors, Tensors: []*ir.Tensor{ir.NewInt64("t0", []int{1}, []int64{5}), ir.NewFloat32("t1", []int{2}, []float32{1, 2})}},
		&ir.Attr{Name: "gs", Type: ir.AttrGraphs, Graphs: []*ir.Graph{branch("g0", 0)}},
		floatAttr("f", -0.5), intAttr("i", 1<<40), ints("is"), &ir.Attr{Name: "fs", Type: ir.AttrFloats, Floats: []float32{}},
	)
	all.Domain = "ai.bincompress.test"
	g := &ir.Graph{
		Name:    "subgraph",
		Inputs:  []*ir.ValueInfo{vi("cond", ir.Bool, dims()...)},
		Outputs: []*ir.ValueInfo{vi("y", ir.Float32, dims(1)...), vi("z", ir.Float32, ir.UnknownDim)},
		Nodes: []*ir.Node{
			node("If", "if", []string{"cond"}, []string{"y"},
				&ir.Attr{Name: "then_branch", Type: ir.AttrGraph, G: branch("then", 1)},
				&ir.Attr{Name: "else_branch", Type: ir.AttrGraph, G: branch("else", -1)}),
			all,
		},
	}
	return &ir.Model{
		IRVersion:    6,
		OpsetImports: []ir.OpsetImport{{Version: 11}, {Domain: "ai.bincompress.test", Version: 1}},
		ProducerName: "bincompress-onnx-test",
		Graph:        g,
	}
}

// ir3Opset7Model is the oldest model this reader accepts.
func ir3Opset7Model() *ir.Model {
	g := &ir.Graph{
		Name:         "old",
		Inputs:       []*ir.ValueInfo{vi("x", ir.Float32, dims(1, 4)...), vi("bias", ir.Float32, dims(4)...)},
		Outputs:      []*ir.ValueInfo{vi("y", ir.Float32, dims(1, 4)...)},
		Initializers: []*ir.Tensor{ir.NewFloat32("bias", []int{4}, weights(21, 4))},
		Nodes: []*ir.Node{
			node("Add", "", []string{"x", "bias"}, []string{"a"}),
			node("Relu", "", []string{"a"}, []string{"y"}),
		},
	}
	return &ir.Model{IRVersion: 3, OpsetImports: []ir.OpsetImport{{Domain: "", Version: 7}}, ProducerName: "bincompress-onnx-test", Graph: g}
}
