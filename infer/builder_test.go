package infer_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/bincompress/bincompress/ir"
)

// builder assembles small ir models for tests, with seeded random weights.
type builder struct {
	m   *ir.Model
	rng *rand.Rand
	n   int
}

func newBuilder(opset int64, seed uint64) *builder {
	return &builder{
		m: &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Domain: "", Version: opset}},
			Graph: &ir.Graph{Name: "test"}},
		rng: rand.New(rand.NewPCG(seed, 1)),
	}
}

func (b *builder) opset() int64 { return b.m.OpsetImports[0].Version }

// input declares a float32 graph input with a symbolic batch dimension.
func (b *builder) input(name string, dims ...int64) string {
	shape := []ir.Dim{{Param: "N"}}
	for _, d := range dims {
		shape = append(shape, ir.Dim{Size: d})
	}
	b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: name, DType: ir.Float32, Shape: shape})
	return name
}

func (b *builder) output(name string) {
	b.m.Graph.Outputs = append(b.m.Graph.Outputs, &ir.ValueInfo{Name: name, DType: ir.Float32})
}

// random adds a float32 initializer with values uniform in [lo, hi).
func (b *builder) random(shape []int, lo, hi float32) string {
	data := make([]float32, ir.NumElements(shape))
	for i := range data {
		data[i] = lo + (hi-lo)*b.rng.Float32()
	}
	return b.init(ir.NewFloat32("", shape, data))
}

func (b *builder) init(t *ir.Tensor) string {
	b.n++
	t.Name = fmt.Sprintf("w%d", b.n)
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, t)
	return t.Name
}

// node adds one node with a fresh output name and returns that name.
func (b *builder) node(op string, inputs []string, attrs ...*ir.Attr) string {
	b.n++
	out := fmt.Sprintf("v%d", b.n)
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, &ir.Node{Name: fmt.Sprintf("%s_%d", op, b.n), OpType: op,
		Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

func ints(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
func intAttr(name string, v int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

// convBN is Conv (no bias) + BatchNormalization with non-trivial statistics.
func (b *builder) convBN(x string, cin, cout, k, stride int) string {
	w := b.random([]int{cout, cin, k, k}, -0.5, 0.5)
	p := int64(k / 2)
	y := b.node("Conv", []string{x, w}, ints("kernel_shape", int64(k), int64(k)),
		ints("strides", int64(stride), int64(stride)), ints("pads", p, p, p, p))
	c := []int{cout}
	return b.node("BatchNormalization", []string{y, b.random(c, 0.5, 1.5), b.random(c, -0.2, 0.2),
		b.random(c, -0.1, 0.1), b.random(c, 0.5, 2)})
}

// basicBlock is a ResNet basic block with a projection shortcut when the
// shape changes.
func (b *builder) basicBlock(x string, cin, cout, stride int) string {
	y := b.node("Relu", []string{b.convBN(x, cin, cout, 3, stride)})
	y = b.convBN(y, cout, cout, 3, 1)
	short := x
	if stride != 1 || cin != cout {
		short = b.convBN(x, cin, cout, 1, stride)
	}
	return b.node("Relu", []string{b.node("Add", []string{y, short})})
}

// flattenLikePyTorch reshapes [N, C, 1, 1] to [N, C] with the
// Shape->Gather->Unsqueeze->Concat->Reshape chain PyTorch exports.
func (b *builder) flattenLikePyTorch(x string) string {
	shape := b.node("Shape", []string{x})
	zero := b.init(ir.NewInt64("", nil, []int64{0}))
	batch := b.node("Gather", []string{shape, zero}, intAttr("axis", 0))
	var un string
	if b.opset() >= 13 {
		un = b.node("Unsqueeze", []string{batch, b.init(ir.NewInt64("", []int{1}, []int64{0}))})
	} else {
		un = b.node("Unsqueeze", []string{batch}, ints("axes", 0))
	}
	minus1 := b.node("Constant", nil, &ir.Attr{Name: "value", Type: ir.AttrTensor, T: ir.NewInt64("", []int{1}, []int64{-1})})
	cat := b.node("Concat", []string{un, minus1}, intAttr("axis", 0))
	return b.node("Reshape", []string{x, cat})
}

// resnet builds a CIFAR-style ResNet: a 3x3 stem, stages of basic blocks
// (widths doubling, stride 2 between stages), global pooling and a Gemm.
func resnet(opset int64, width, blocks, classes int) *ir.Model {
	b := newBuilder(opset, 42)
	x := b.input("input", 3, 32, 32)
	y := b.node("Relu", []string{b.convBN(x, 3, width, 3, 1)})
	cin := width
	for stage := range 3 {
		cout := width << stage
		for i := range blocks {
			stride := 1
			if stage > 0 && i == 0 {
				stride = 2
			}
			y = b.basicBlock(y, cin, cout, stride)
			cin = cout
		}
	}
	y = b.flattenLikePyTorch(b.node("GlobalAveragePool", []string{y}))
	w, bias := b.random([]int{classes, cin}, -0.3, 0.3), b.random([]int{classes}, -0.1, 0.1)
	y = b.node("Gemm", []string{y, w, bias}, intAttr("transB", 1))
	b.output(y)
	return b.m
}

// randomInput returns a float32 tensor of the shape with values in [-1, 1).
func randomInput(seed uint64, shape ...int) *ir.Tensor {
	rng := rand.New(rand.NewPCG(seed, 2))
	data := make([]float32, ir.NumElements(shape))
	for i := range data {
		data[i] = 2*rng.Float32() - 1
	}
	return ir.NewFloat32("input", shape, data)
}
