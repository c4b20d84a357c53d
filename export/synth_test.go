package export

import (
	"math/rand"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
)

// synthBNN builds and packs a small network whose binary layers have odd
// sizes: a grouped strided Conv with 3·3·3 = 27 bits per row, a 1×1 Conv,
// MaxPool, Add, Flatten, a MatMul (stored transposed) and a Gemm, at the
// given opset. Weights are seeded normal; two channels get a negative
// BatchNormalization scale (convert folds it into flipped signs).
func synthBNN(t testing.TB, opset int64, seed int64) *ir.Model {
	t.Helper()
	n := newTestNet("synth", opset, seed, ir.Dim{Param: "batch"}, ir.Dim{Size: 6}, ir.Dim{Size: 9}, ir.Dim{Size: 7})
	g, randT, node, ints := n.g, n.weight, n.node, intsAttr
	x := node("Conv", "conv1", []string{"input", randT("w1", 0.3, 10, 3, 3, 3), randT("b1", 0.1, 10)},
		ints("pads", 1, 0, 1, 1), ints("strides", 2, 1), &ir.Attr{Name: "group", Type: ir.AttrInt, I: 2})
	scale := randT("bn_s", 0.5, 10)
	g.Initializer(scale).Data.([]float32)[3] = -0.7
	g.Initializer(scale).Data.([]float32)[8] = -1.1
	x = node("BatchNormalization", "bn1", []string{x, scale, randT("bn_b", 0.2, 10), randT("bn_m", 0.1, 10), "bn_v"})
	g.Initializers = append(g.Initializers, ir.NewFloat32("bn_v", []int{10}, []float32{1, 2, .5, 1, 1.5, 1, .8, 1.2, 1, 1}))
	x = node("Relu", "relu1", []string{x})
	y := node("Conv", "conv2", []string{x, randT("w2", 0.3, 10, 10, 1, 1)})
	x = node("Add", "add", []string{x, y})
	x = node("MaxPool", "pool", []string{x}, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	x = node("Flatten", "flat", []string{x})
	x = node("MatMul", "mm", []string{x, randT("w3", 0.2, 60, 13)})
	x = node("Relu", "relu2", []string{x})
	x = node("Gemm", "fc", []string{x, randT("w4", 0.2, 5, 13), randT("b4", 0.1, 5)},
		&ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	g.Outputs = []*ir.ValueInfo{{Name: x, DType: ir.Float32}}
	b := binarizeAndPack(t, n.m)
	layers, err := binaryLayers(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 4 {
		t.Fatalf("synthetic model has %d binary layers, want 4", len(layers))
	}
	return b
}

func synthInput(seed int64, batch int) *ir.Tensor { return synthInputShape(seed, batch, 6, 9, 7) }

// synthInputShape is a seeded normal input of the given shape.
func synthInputShape(seed int64, shape ...int) *ir.Tensor {
	rng := rand.New(rand.NewSource(seed))
	d := make([]float32, ir.NumElements(shape))
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return ir.NewFloat32("input", shape, d)
}

// testNet builds a graph of seeded normal weights for the export tests.
type testNet struct {
	g   *ir.Graph
	m   *ir.Model
	rng *rand.Rand
}

// newTestNet is an empty graph named name at opset with one float input.
func newTestNet(name string, opset, seed int64, input ...ir.Dim) *testNet {
	g := &ir.Graph{Name: name, Inputs: []*ir.ValueInfo{{Name: "input", DType: ir.Float32, Shape: input}}}
	return &testNet{g: g, m: &ir.Model{IRVersion: 7, OpsetImports: []ir.OpsetImport{{Version: opset}}, Graph: g},
		rng: rand.New(rand.NewSource(seed))}
}

// weight adds an initializer of normal values times scale and returns its name.
func (n *testNet) weight(name string, scale float64, shape ...int) string {
	d := make([]float32, ir.NumElements(shape))
	for i := range d {
		d[i] = float32(n.rng.NormFloat64() * scale)
	}
	n.g.Initializers = append(n.g.Initializers, ir.NewFloat32(name, shape, d))
	return name
}

// node appends an op whose output is name+"_y" and returns that output.
func (n *testNet) node(op, name string, in []string, attrs ...*ir.Attr) string {
	n.g.Nodes = append(n.g.Nodes, &ir.Node{Name: name, OpType: op, Inputs: in, Outputs: []string{name + "_y"}, Attrs: attrs})
	return name + "_y"
}

func intsAttr(name string, v ...int64) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v}
}

// binarizeAndPack binarizes every layer of m with convert's defaults and
// packs it.
func binarizeAndPack(t testing.TB, m *ir.Model) *ir.Model {
	t.Helper()
	if _, err := convert.Binarize(m, convert.Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := pack.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
