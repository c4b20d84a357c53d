package finetune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// resnet18Model is torchvision's ResNet-18 topology as an ONNX graph, for
// benchmarks at full width that testdata does not hold (torchvision's
// export weighs 47 MB): a 7×7/2 stem conv, BN, ReLU and 3×3/2 max pooling,
// four stages of two basic blocks (widths base, 2·base, 4·base, 8·base; a
// 1×1/2 conv and BN shortcut where a stage starts), global average
// pooling, flatten and a dense layer, with He-initialized weights. Its
// structure is held to PyTorch's export of the same model at base 16
// (TestResNet18MatchesPyTorch).
func resnet18Model(base, hw, classes int, seed uint64) *ir.Model {
	return resnetModel([4]int{2, 2, 2, 2}, base, hw, classes, seed)
}

// resnetModel is torchvision's basic-block ResNet with blocks[s] blocks in
// stage s: ResNet-18 with {2, 2, 2, 2}, ResNet-34 with {3, 4, 6, 3}.
func resnetModel(blocks [4]int, base, hw, classes int, seed uint64) *ir.Model {
	b := &graphBuilder{r: rand.New(rand.NewPCG(seed, 18))}
	x := b.convBN("conv1", "input", 3, base, 7, 2, true)
	x = b.node("MaxPool", "maxpool", []string{x}, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
	cin := base
	for s, w := range []int{base, 2 * base, 4 * base, 8 * base} {
		for i := range blocks[s] {
			stride := 1
			if i == 0 && s > 0 {
				stride = 2
			}
			name := fmt.Sprintf("layer%d.%d", s+1, i)
			y := b.convBN(name+".conv1", x, cin, w, 3, stride, true)
			y = b.convBN(name+".conv2", y, w, w, 3, 1, false)
			short := x
			if stride != 1 || cin != w {
				short = b.convBN(name+".downsample", x, cin, w, 1, stride, false)
			}
			x = b.node("Relu", name+".relu", []string{b.node("Add", name+".add", []string{y, short})})
			cin = w
		}
	}
	x = b.node("Flatten", "flatten", []string{b.node("GlobalAveragePool", "avgpool", []string{x})})
	b.he("fc.weight", cin, classes, cin)
	b.inits = append(b.inits, ir.NewFloat32("fc.bias", []int{classes}, make([]float32, classes)))
	logits := b.node("Gemm", "fc", []string{x, "fc.weight", "fc.bias"}, &ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	return &ir.Model{IRVersion: 7, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: &ir.Graph{
		Name: "resnet18", Nodes: b.nodes, Initializers: b.inits,
		Inputs:  []*ir.ValueInfo{{Name: "input", DType: ir.Float32, Shape: []ir.Dim{{Param: "N"}, {Size: 3}, {Size: int64(hw)}, {Size: int64(hw)}}}},
		Outputs: []*ir.ValueInfo{{Name: logits, DType: ir.Float32, Shape: []ir.Dim{{Param: "N"}, {Size: int64(classes)}}}},
	}}
}

// graphBuilder appends nodes and initializers, naming each output after
// its node.
type graphBuilder struct {
	r     *rand.Rand
	nodes []*ir.Node
	inits []*ir.Tensor
}

func ints(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }

func (b *graphBuilder) node(op, name string, ins []string, attrs ...*ir.Attr) string {
	b.nodes = append(b.nodes, &ir.Node{Name: name, OpType: op, Inputs: ins, Outputs: []string{name}, Attrs: attrs})
	return name
}

// he adds a He-initialized weight.
func (b *graphBuilder) he(name string, fanIn int, shape ...int) {
	d := make([]float32, ir.NumElements(shape))
	for i := range d {
		d[i] = float32(b.r.NormFloat64() * math.Sqrt(2/float64(fanIn)))
	}
	b.inits = append(b.inits, ir.NewFloat32(name, shape, d))
}

// convBN is a bias-free k×k conv (padding k/2) and BN, with a ReLU after.
func (b *graphBuilder) convBN(name, x string, cin, cout, k, stride int, relu bool) string {
	p := int64(k / 2)
	b.he(name+".weight", cin*k*k, cout, cin, k, k)
	y := b.node("Conv", name, []string{x, name + ".weight"}, ints("kernel_shape", int64(k), int64(k)),
		ints("strides", int64(stride), int64(stride)), ints("pads", p, p, p, p))
	bn := name + ".bn"
	for _, s := range []struct {
		suffix string
		v      float32
	}{{".weight", 1}, {".bias", 0}, {".running_mean", 0}, {".running_var", 1}} {
		d := make([]float32, cout)
		for i := range d {
			d[i] = s.v
		}
		b.inits = append(b.inits, ir.NewFloat32(bn+s.suffix, []int{cout}, d))
	}
	y = b.node("BatchNormalization", bn, []string{y, bn + ".weight", bn + ".bias", bn + ".running_mean", bn + ".running_var"})
	if relu {
		y = b.node("Relu", name+".relu", []string{y})
	}
	return y
}

// TestResNet18MatchesPyTorch: the builder at base width 16 has the op
// counts and parameter count of PyTorch's export of torchvision's
// ResNet-18 at that width (testdata), and at base 64 torchvision's
// 11,689,512 parameters.
func TestResNet18MatchesPyTorch(t *testing.T) {
	count := func(m *ir.Model) (map[string]int, int) {
		ops, params := map[string]int{}, 0
		for _, n := range m.Graph.Nodes {
			ops[n.OpType]++
		}
		for _, init := range m.Graph.Initializers {
			if n := init.Name; len(n) < 13 || (n[len(n)-13:] != ".running_mean" && n[len(n)-12:] != ".running_var") {
				params += ir.NumElements(init.Shape)
			}
		}
		return ops, params
	}
	want, _ := count(readModel(t, "resnet18_w16_op13"))
	got, params := count(resnet18Model(16, 224, 1000, 1))
	for _, op := range []string{"Conv", "BatchNormalization", "Relu", "Add", "MaxPool", "GlobalAveragePool", "Gemm"} {
		if got[op] != want[op] {
			t.Errorf("%s: %d nodes, PyTorch's export has %d", op, got[op], want[op])
		}
	}
	if params != 831096 {
		t.Errorf("base 16: %d parameters, PyTorch's export has 831,096", params)
	}
	if _, params := count(resnet18Model(64, 224, 1000, 1)); params != 11689512 {
		t.Errorf("base 64: %d parameters, torchvision's resnet18 has 11,689,512", params)
	}
	if err := resnet18Model(8, 64, 10, 1).Validate(); err != nil {
		t.Error(err)
	}
}
