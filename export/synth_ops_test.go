package export

import (
	"math"
	"math/rand"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// opsBNN packs a network that puts every op the C export implements
// besides the ResNet staples on one path: a binary Conv, then branches
// through each element-wise function (with and without parameters), the
// broadcasting Max/Min/Pow/PRelu, the gathers (Transpose, Slice, Pad in
// three modes, Expand, Tile), the reductions and LogSoftmax, summed,
// pooled and classified by a binary Gemm (HardSwish needs opset 14, Mish
// joins from 18, Gelu from 20).
func opsBNN(t testing.TB, opset int64) *ir.Model {
	t.Helper()
	rng := rand.New(rand.NewSource(opset))
	g := &ir.Graph{Name: "ops", Inputs: []*ir.ValueInfo{{Name: "input", DType: ir.Float32,
		Shape: []ir.Dim{{Param: "batch"}, {Size: 4}, {Size: 6}, {Size: 5}}}}}
	m := &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: opset}}, Graph: g}
	seq := 0
	node := func(op string, in []string, attrs ...*ir.Attr) string {
		seq++
		name := op + "_" + string(rune('a'+seq/26)) + string(rune('a'+seq%26))
		g.Nodes = append(g.Nodes, &ir.Node{Name: name, OpType: op, Inputs: in, Outputs: []string{name + "_y"}, Attrs: attrs})
		return name + "_y"
	}
	init := func(t *ir.Tensor) string {
		t.Name = "c" + string(rune('a'+len(g.Initializers)/26)) + string(rune('a'+len(g.Initializers)%26))
		g.Initializers = append(g.Initializers, t)
		return t.Name
	}
	randT := func(scale float64, shape ...int) string {
		d := make([]float32, ir.NumElements(shape))
		for i := range d {
			d[i] = float32(rng.NormFloat64() * scale)
		}
		return init(ir.NewFloat32("", shape, d))
	}
	i64 := func(v ...int64) string { return init(ir.NewInt64("", []int{len(v)}, v)) }
	f1 := func(v float32) string { return init(ir.NewFloat32("", nil, []float32{v})) }
	ints := func(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
	flt := func(name string, v float32) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v} }
	str := func(name, v string) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrString, S: []byte(v)} }
	one := f1(1)
	reduce := func(op, x string, axes ...int64) string { // axes are an input from opset 18 (13 for ReduceSum)
		if opset >= 18 || op == "ReduceSum" && opset >= 13 {
			return node(op, []string{x, i64(axes...)})
		}
		return node(op, []string{x}, ints("axes", axes...))
	}

	h := node("Conv", []string{"input", randT(0.4, 6, 4, 3, 3), randT(0.1, 6)}, ints("pads", 1, 1, 1, 1))
	pos := node("Add", []string{node("Abs", []string{h}), one})
	branches := []string{
		node("Tanh", []string{h}), node("Erf", []string{h}), node("Softplus", []string{h}), node("Softsign", []string{h}),
		node("HardSwish", []string{h}), node("Neg", []string{h}), node("Floor", []string{h}),
		node("Ceil", []string{h}), node("Exp", []string{node("Neg", []string{pos})}), node("Sqrt", []string{pos}),
		node("Log", []string{pos}), node("Reciprocal", []string{pos}),
		node("Elu", []string{h}, flt("alpha", 0.7)), node("Selu", []string{h}), node("Celu", []string{h}, flt("alpha", 1.3)),
		node("ThresholdedRelu", []string{h}, flt("alpha", 0.2)), node("HardSigmoid", []string{h}, flt("alpha", 0.3), flt("beta", 0.4)),
		node("Max", []string{h, randT(0.3, 6, 1, 1)}), node("Min", []string{randT(0.3, 5), h}),
		node("Pow", []string{pos, f1(1.5)}), node("PRelu", []string{h, randT(0.3, 6, 1, 1)}),
		node("Transpose", []string{node("Transpose", []string{h}, ints("perm", 0, 1, 3, 2))}, ints("perm", 0, 1, 3, 2)),
		node("Expand", []string{reduce("ReduceMean", h, 2, 3), i64(1, 1, 6, 5)}),
		node("Tile", []string{reduce("ReduceMax", h, 3), i64(1, 1, 1, 5)}),
		node("LogSoftmax", []string{h}, &ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1}),
	}
	sliced := node("Slice", []string{h, i64(0, 1), i64(6, 5), i64(2, 3), i64(2, 1)}) // [N, 6, 3, 4]
	for _, mode := range []string{"constant", "reflect", "edge"} {
		branches = append(branches, node("Pad", []string{sliced, i64(0, 0, 1, 0, 0, 0, 2, 1), f1(0.5)}, str("mode", mode)))
	}
	for _, op := range []string{"ReduceSum", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare"} {
		in := h
		if op == "ReduceProd" {
			in = node("Tanh", []string{h})
		}
		branches = append(branches, reduce(op, in, 1))
	}
	if opset >= 18 {
		branches = append(branches, node("Mish", []string{h}))
	}
	if opset >= 20 {
		branches = append(branches, node("Gelu", []string{h}), node("Gelu", []string{h}, str("approximate", "tanh")))
	}
	x := branches[0]
	for _, b := range branches[1:] {
		x = node("Add", []string{x, b})
	}
	x = node("Flatten", []string{node("GlobalAveragePool", []string{x})})
	x = node("Gemm", []string{x, randT(0.3, 5, 6), randT(0.1, 5)}, &ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	g.Outputs = []*ir.ValueInfo{{Name: x, DType: ir.Float32}}
	return binarizeAndPack(t, m)
}

func opsInput(batch int) *ir.Tensor {
	rng := rand.New(rand.NewSource(5))
	d := make([]float32, batch*4*6*5)
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return ir.NewFloat32("input", []int{batch, 4, 6, 5}, d)
}

// selectBNN packs a network of the ops that only compare and select input
// values, each applied to the input [N, 2, 4, 5] and flattened into one
// output: Relu, MaxPool (3×3, stride 2, padded), GlobalMaxPool and Clip,
// then a binary Gemm of the input's last row (nanInput has no NaN there;
// a .bnn needs a binary layer). NaN in the input reaches the output as
// each op passes it on.
func selectBNN(t testing.TB) *ir.Model {
	t.Helper()
	rng := rand.New(rand.NewSource(3))
	g := &ir.Graph{Name: "select", Inputs: []*ir.ValueInfo{{Name: "input", DType: ir.Float32,
		Shape: []ir.Dim{{Param: "batch"}, {Size: 2}, {Size: 4}, {Size: 5}}}}}
	m := &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: g}
	w := make([]float32, 3*10)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	i64 := func(name string, v ...int64) *ir.Tensor { return ir.NewInt64(name, []int{len(v)}, v) }
	g.Initializers = []*ir.Tensor{ir.NewFloat32("lo", nil, []float32{-0.5}), ir.NewFloat32("hi", nil, []float32{0.5}),
		i64("starts", 3), i64("ends", 4), i64("axes", 2), ir.NewFloat32("w", []int{3, 10}, w)}
	ints := func(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
	var flat []string
	for _, n := range []*ir.Node{
		{OpType: "Relu", Inputs: []string{"input"}},
		{OpType: "MaxPool", Inputs: []string{"input"}, Attrs: []*ir.Attr{ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)}},
		{OpType: "GlobalMaxPool", Inputs: []string{"input"}},
		{OpType: "Clip", Inputs: []string{"input", "lo", "hi"}},
		{OpType: "Slice", Inputs: []string{"input", "starts", "ends", "axes"}},
	} {
		n.Name, n.Outputs = n.OpType, []string{n.OpType + "_y"}
		g.Nodes = append(g.Nodes, n, &ir.Node{Name: n.OpType + "_flat", OpType: "Flatten", Inputs: n.Outputs, Outputs: []string{n.OpType + "_flat"}})
		flat = append(flat, n.OpType+"_flat")
	}
	last := len(flat) - 1
	g.Nodes = append(g.Nodes, &ir.Node{Name: "fc", OpType: "Gemm", Inputs: []string{flat[last], "w"}, Outputs: []string{"fc_y"},
		Attrs: []*ir.Attr{{Name: "transB", Type: ir.AttrInt, I: 1}}})
	flat[last] = "fc_y"
	g.Nodes = append(g.Nodes, &ir.Node{Name: "cat", OpType: "Concat", Inputs: flat, Outputs: []string{"output"},
		Attrs: []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 1}}})
	g.Outputs = []*ir.ValueInfo{{Name: "output", DType: ir.Float32}}
	return binarizeAndPack(t, m)
}

// nanInput is a batch of 2 for selectBNN, standard normal with NaN at
// places that each op must pass on: the first element of a plane (the
// value a maximum starts from), one inside a pooling window and one in
// the second image only; none in the last row.
func nanInput() *ir.Tensor {
	rng := rand.New(rand.NewSource(11))
	d := make([]float32, 2*2*4*5)
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	nan := float32(math.NaN())
	d[0], d[20+7], d[40+13] = nan, nan, nan
	return ir.NewFloat32("input", []int{2, 2, 4, 5}, d)
}
