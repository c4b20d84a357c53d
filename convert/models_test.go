package convert

import (
	"math/rand"

	"github.com/bincompress/bincompress/ir"
)

// builder assembles small test models with deterministic random weights.
type builder struct {
	m   *ir.Model
	rng *rand.Rand
}

func newBuilder(seed int64, input string, shape ...int64) *builder {
	dims := make([]ir.Dim, len(shape))
	for i, d := range shape {
		dims[i] = ir.Dim{Size: d}
	}
	g := &ir.Graph{Name: "test", Inputs: []*ir.ValueInfo{{Name: input, DType: ir.Float32, Shape: dims}}}
	m := &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 17}}, ProducerName: "convert_test", Graph: g}
	return &builder{m: m, rng: rand.New(rand.NewSource(seed))}
}

func (b *builder) rand(name string, shape ...int) string {
	data := make([]float32, ir.NumElements(shape))
	for i := range data {
		data[i] = float32(b.rng.NormFloat64())
	}
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, ir.NewFloat32(name, shape, data))
	return name
}

func (b *builder) positive(name string, n int) string {
	data := make([]float32, n)
	for i := range data {
		data[i] = 0.5 + b.rng.Float32()
	}
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, ir.NewFloat32(name, []int{n}, data))
	return name
}

func (b *builder) node(op, name string, in []string, out string, attrs ...*ir.Attr) *ir.Node {
	n := &ir.Node{Name: name, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, n)
	return n
}

func (b *builder) conv(name, x string, k, c, kh, kw int, bias bool, attrs ...*ir.Attr) string {
	in := []string{x, b.rand(name+".weight", k, c, kh, kw)}
	if bias {
		in = append(in, b.rand(name+".bias", k))
	}
	b.node("Conv", name, in, name+"_out", attrs...)
	return name + "_out"
}

func (b *builder) bn(name, x string, c int) string {
	in := []string{x, b.positive(name+".scale", c), b.rand(name+".B", c), b.rand(name+".mean", c), b.positive(name+".var", c)}
	b.node("BatchNormalization", name, in, name+"_out", floatAttr("epsilon", 1e-5))
	return name + "_out"
}

func (b *builder) relu(name, x string) string {
	b.node("Relu", name, []string{x}, name+"_out")
	return name + "_out"
}

func (b *builder) output(name string, shape ...int64) *ir.Model {
	dims := make([]ir.Dim, len(shape))
	for i, d := range shape {
		dims[i] = ir.Dim{Size: d}
	}
	b.m.Graph.Outputs = append(b.m.Graph.Outputs, &ir.ValueInfo{Name: name, DType: ir.Float32, Shape: dims})
	return b.m
}

func intsAttr(name string, v ...int64) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v}
}

func intAttr(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

func floatAttr(name string, v float32) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v}
}

// resnetBlockModel is a stem conv+BN+ReLU, a residual block with a strided
// 1×1 projection, global pooling and a Gemm classifier with bias.
func resnetBlockModel() *ir.Model {
	b := newBuilder(1, "x", 2, 3, 8, 8)
	x := b.relu("relu0", b.bn("bn0", b.conv("conv0", "x", 8, 3, 3, 3, false, intsAttr("pads", 1, 1, 1, 1)), 8))
	y := b.relu("relu1", b.bn("bn1", b.conv("conv1", x, 8, 8, 3, 3, false, intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 2, 2)), 8))
	y = b.bn("bn2", b.conv("conv2", y, 8, 8, 3, 3, false, intsAttr("pads", 1, 1, 1, 1)), 8)
	p := b.bn("bnp", b.conv("proj", x, 8, 8, 1, 1, false, intsAttr("strides", 2, 2)), 8)
	b.node("Add", "add", []string{y, p}, "sum")
	r := b.relu("relu2", "sum")
	b.node("GlobalAveragePool", "gap", []string{r}, "pooled")
	b.node("Flatten", "flatten", []string{"pooled"}, "flat", intAttr("axis", 1))
	b.node("Gemm", "fc", []string{"flat", b.rand("fc.weight", 5, 8), b.rand("fc.bias", 5)}, "logits", intAttr("transB", 1))
	return b.output("logits", 2, 5)
}

// groupedModel has a grouped, dilated conv whose output is also a graph
// output (so its BN must not fold) and a depthwise conv followed by a BN.
func groupedModel() *ir.Model {
	b := newBuilder(2, "x", 1, 4, 9, 9)
	y := b.bn("bn0", b.conv("gconv", "x", 6, 2, 3, 3, true, intAttr("group", 2), intsAttr("dilations", 2, 2)), 6)
	z := b.bn("bn1", b.conv("dwconv", y, 6, 1, 3, 3, false, intAttr("group", 6), intsAttr("pads", 1, 1, 1, 1)), 6)
	b.output("gconv_out", 1, 6, 5, 5)
	return b.output(z, 1, 6, 5, 5)
}

// foldedModel is a conv stack whose BatchNormalizations were folded into
// conv biases by the exporter, ending in Flatten → MatMul → Add.
func foldedModel() *ir.Model {
	b := newBuilder(3, "x", 1, 3, 6, 6)
	y := b.relu("relu0", b.conv("conv0", "x", 5, 3, 3, 3, true))
	y = b.relu("relu1", b.conv("conv1", y, 7, 5, 3, 3, true, intsAttr("pads", 1, 1, 1, 1)))
	b.node("Flatten", "flatten", []string{y}, "flat", intAttr("axis", 1))
	b.node("MatMul", "fc", []string{"flat", b.rand("fc.weight", 7*4*4, 3)}, "mm")
	b.node("Add", "fc_add", []string{"mm", b.rand("fc.bias", 3)}, "logits")
	return b.output("logits", 1, 3)
}

// unsupportedModel holds layers that cannot be binarized, each for its own
// reason, plus a BN-followed Gemm with transB = 0 and scalar C that can.
func unsupportedModel() *ir.Model {
	b := newBuilder(4, "x", 2, 6)
	g := b.m.Graph
	g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: "wdyn", DType: ir.Float32, Shape: []ir.Dim{{Size: 6}, {Size: 6}}})
	b.node("MatMul", "dynamic", []string{"x", "wdyn"}, "a")
	shared := b.rand("shared", 6, 6)
	b.node("MatMul", "s1", []string{"a", shared}, "b")
	b.node("MatMul", "s2", []string{"b", shared}, "c")
	b.node("Gemm", "fullc", []string{"c", b.rand("fullc.w", 6, 6), b.rand("fullc.c", 2, 6)}, "d")
	half := &ir.Tensor{Name: "half.w", DType: ir.Float16, Shape: []int{6, 6}, Data: make([]uint16, 36)}
	g.Initializers = append(g.Initializers, half)
	b.node("MatMul", "", []string{"d", "half.w"}, "e")
	g.Initializers = append(g.Initializers, ir.NewFloat32("scalar.c", []int{}, []float32{0.25}))
	y := b.bn("bn", b.gemmNoTrans("fc", "e", 6, 4, "scalar.c"), 4)
	return b.output(y, 2, 4)
}

func (b *builder) gemmNoTrans(name, x string, k, n int, c string) string {
	b.node("Gemm", name, []string{x, b.rand(name+".w", k, n), c}, name+"_out", floatAttr("alpha", 0.5), floatAttr("beta", 2))
	return name + "_out"
}

// sharedParamsModel has two conv+BN pairs whose BN parameters the exporter
// deduplicated: the second BN reads the first one's through Identity nodes.
func sharedParamsModel() *ir.Model {
	b := newBuilder(5, "x", 1, 2, 4, 4)
	y := b.bn("bn0", b.conv("conv0", "x", 3, 2, 1, 1, false), 3)
	z := b.conv("conv1", y, 3, 3, 3, 3, false, intsAttr("pads", 1, 1, 1, 1))
	var params []string
	for _, p := range []string{"scale", "B", "mean", "var"} {
		b.node("Identity", "id_"+p, []string{"bn0." + p}, "bn1."+p)
		params = append(params, "bn1."+p)
	}
	b.node("BatchNormalization", "bn1", append([]string{z}, params...), "bn1_out")
	return b.output("bn1_out", 1, 3, 4, 4)
}

// identityBiasModel is a conv whose bias and a Gemm whose C reach their
// initializers through Identity nodes.
func identityBiasModel() *ir.Model {
	b := newBuilder(6, "x", 1, 2, 3, 3)
	b.rand("shared.bias", 4)
	b.node("Identity", "id_b", []string{"shared.bias"}, "conv0.bias")
	b.node("Identity", "id_c", []string{"shared.bias"}, "fc.c")
	y := b.relu("relu", b.conv("conv0", "x", 4, 2, 3, 3, false))
	b.m.Graph.Nodes[2].Inputs = append(b.m.Graph.Nodes[2].Inputs, "conv0.bias")
	b.node("Flatten", "flat", []string{y}, "f", intAttr("axis", 1))
	b.node("Gemm", "fc", []string{"f", b.rand("fc.w", 4, 4), "fc.c"}, "logits", intAttr("transB", 1))
	return b.output("logits", 1, 4)
}
