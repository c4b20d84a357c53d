package finetune

import (
	"math"
	"math/rand/v2"

	"github.com/bincompress/bincompress/ir"
)

// tinyResNet is a post-activation residual net on [N, 1, 8, 8] inputs:
// conv → BN → ReLU → conv → BN → (+ skip) → ReLU → MaxPool → GAP → Flatten
// → Gemm(transB) → Softmax, with He-initialized weights, planned all binary.
func tinyResNet(seed uint64, classes int) *ir.Model {
	r := rand.New(rand.NewPCG(seed, 3))
	he := func(name string, fanIn int, shape ...int) *ir.Tensor {
		d := make([]float32, ir.NumElements(shape))
		for i := range d {
			d[i] = float32(r.NormFloat64() * math.Sqrt(2/float64(fanIn)))
		}
		return ir.NewFloat32(name, shape, d)
	}
	full := func(name string, v float32, n int) *ir.Tensor {
		d := make([]float32, n)
		for i := range d {
			d[i] = v
		}
		return ir.NewFloat32(name, []int{n}, d)
	}
	pads := &ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}}
	conv := func(name, in, w, out string) *ir.Node {
		return &ir.Node{Name: name, OpType: "Conv", Inputs: []string{in, w}, Outputs: []string{out}, Attrs: []*ir.Attr{pads}}
	}
	bn := func(name, in, p, out string) *ir.Node {
		return &ir.Node{Name: name, OpType: "BatchNormalization", Inputs: []string{in, p + ".g", p + ".b", p + ".m", p + ".v"}, Outputs: []string{out}}
	}
	node := func(op, name string, ins []string, out string, attrs ...*ir.Attr) *ir.Node {
		return &ir.Node{Name: name, OpType: op, Inputs: ins, Outputs: []string{out}, Attrs: attrs}
	}
	var inits []*ir.Tensor
	inits = append(inits, he("c1.w", 9, 4, 1, 3, 3), he("c2.w", 36, 4, 4, 3, 3), he("fc.w", 4, classes, 4), full("fc.b", 0, classes))
	for _, p := range []string{"bn1", "bn2"} {
		inits = append(inits, full(p+".g", 1, 4), full(p+".b", 0, 4), full(p+".m", 0, 4), full(p+".v", 1, 4))
	}
	nodes := []*ir.Node{
		conv("c1", "x", "c1.w", "y1"), bn("bn1", "y1", "bn1", "z1"), node("Relu", "r1", []string{"z1"}, "a1"),
		conv("c2", "a1", "c2.w", "y2"), bn("bn2", "y2", "bn2", "z2"), node("Add", "add", []string{"z2", "a1"}, "s"),
		node("Relu", "r2", []string{"s"}, "a2"),
		node("MaxPool", "mp", []string{"a2"}, "p", &ir.Attr{Name: "kernel_shape", Type: ir.AttrInts, Ints: []int64{2, 2}},
			&ir.Attr{Name: "strides", Type: ir.AttrInts, Ints: []int64{2, 2}}),
		node("GlobalAveragePool", "gap", []string{"p"}, "g"),
		node("Flatten", "flat", []string{"g"}, "f"),
		node("Gemm", "fc", []string{"f", "fc.w", "fc.b"}, "logits", &ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1}),
		node("Softmax", "sm", []string{"logits"}, "prob"),
	}
	dims := func(d ...int64) []ir.Dim {
		out := []ir.Dim{{Param: "N"}}
		for _, v := range d {
			out = append(out, ir.Dim{Size: v})
		}
		return out
	}
	return withPlan(&ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: &ir.Graph{
		Name: "tiny", Nodes: nodes, Initializers: inits,
		Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: dims(1, 8, 8)}},
		Outputs: []*ir.ValueInfo{{Name: "prob", DType: ir.Float32, Shape: dims(int64(classes))}},
	}})
}

// stripes makes a learnable synthetic set: class 0 has horizontal stripes,
// class 1 vertical ones, class 2 a checkerboard (random phase, with noise),
// so the class survives global pooling and shifts.
func stripes(seed uint64, n, classes int) *SliceSource {
	r := rand.New(rand.NewPCG(seed, 5))
	s := &SliceSource{X: make([]float32, n*64), Shape: []int{1, 8, 8}, Labels: make([]int, n)}
	for i := range n {
		k := r.IntN(classes)
		s.Labels[i] = k
		phase := r.IntN(2)
		for p := range 64 {
			y, x := p/8, p%8
			on := [3]int{y, x, x + y}[k%3] + phase
			s.X[i*64+p] = float32(on%2) - 0.5 + float32(r.NormFloat64())*0.3
		}
	}
	return s
}
