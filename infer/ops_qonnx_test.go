package infer_test

import (
	"math"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
)

// bipolarModel is Y = BipolarQuant(X, scale) with X a [N, 3, 2] input and
// scale a constant of the given shape, in QONNX's domain at version 1.
func bipolarModel(scaleShape []int, scale []float32) *ir.Model {
	g := &ir.Graph{Name: "bipolar",
		Inputs:       []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Param: "N"}, {Size: 3}, {Size: 2}}}},
		Outputs:      []*ir.ValueInfo{{Name: "y", DType: ir.Float32}},
		Initializers: []*ir.Tensor{ir.NewFloat32("scale", scaleShape, scale)},
		Nodes: []*ir.Node{{Name: "q", OpType: "BipolarQuant", Domain: "qonnx.custom_op.general",
			Inputs: []string{"x", "scale"}, Outputs: []string{"y"}}}}
	return &ir.Model{IRVersion: 8, Graph: g, OpsetImports: []ir.OpsetImport{{Version: 13}, {Domain: "qonnx.custom_op.general", Version: 1}}}
}

// TestBipolarQuant checks the op against QONNX's reference implementation,
// np.where(x >= 0, 1, -1) * scale with numpy broadcasting, for a scalar, a
// per-channel and a per-column scale; 0 and -0 give +scale, NaN −scale.
func TestBipolarQuant(t *testing.T) {
	x := []float32{0.5, -0.25, 0, float32(math.Copysign(0, -1)), -3, float32(math.NaN()),
		2, -1e-30, 7, -7, 1e-30, -0.5}
	sign := func(v float32) float32 {
		if v >= 0 {
			return 1
		}
		return -1
	}
	cases := []struct {
		name  string
		shape []int
		scale []float32
		at    func(i int) int // index into scale of element i of [2, 3, 2]
	}{
		{"scalar", nil, []float32{0.75}, func(int) int { return 0 }},
		{"per-channel", []int{3, 1}, []float32{1, 0.5, 2}, func(i int) int { return i / 2 % 3 }},
		{"per-column", []int{2}, []float32{3, -1}, func(i int) int { return i % 2 }},
	}
	for _, c := range cases {
		p, err := infer.Compile(bipolarModel(c.shape, c.scale))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32("x", []int{2, 3, 2}, x)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		y := out["y"].Data.([]float32)
		for i, v := range x {
			if want := sign(v) * c.scale[c.at(i)]; y[i] != want {
				t.Errorf("%s: BipolarQuant(%v) = %v, want %v", c.name, v, y[i], want)
			}
		}
	}
}

// TestBipolarQuantBadScale: a scale that does not broadcast is an error
// naming the node, not a panic.
func TestBipolarQuantBadScale(t *testing.T) {
	p, err := infer.Compile(bipolarModel([]int{4}, []float32{1, 2, 3, 4}))
	if err == nil {
		_, err = p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32("x", []int{1, 3, 2}, make([]float32, 6))})
	}
	if err == nil {
		t.Fatal("no error for a scale of shape [4] against [1, 3, 2]")
	}
	t.Log(err)
}
