package simplify

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
)

func family(name string) string {
	return filepath.Join("..", "testdata", "models", "families", name+".onnx")
}

// randomBatch is a standard normal batch of n for the model's one input.
func randomBatch(m *ir.Model, n int, seed uint64) map[string]*ir.Tensor {
	in := m.Graph.DataInputs()[0]
	shape := []int{n}
	for _, d := range in.Shape[1:] {
		shape = append(shape, int(d.Size))
	}
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, ir.NumElements(shape))
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	return map[string]*ir.Tensor{in.Name: ir.NewFloat32(in.Name, shape, data)}
}

func ops(m *ir.Model) map[string]int {
	h := map[string]int{}
	for _, n := range m.Graph.Nodes {
		h[n.OpType]++
	}
	return h
}

// TestFamiliesAgainstONNXRuntime simplifies the family models whose
// exports compute shapes at run time and holds the result to onnxruntime
// running the original model (batch 3), and the executor on the result to
// the executor on the original at batch 1 and 3 (the batch stays
// symbolic): the shape arithmetic folds, the outputs do not move.
func TestFamiliesAgainstONNXRuntime(t *testing.T) {
	ortref.SkipOrFail(t)
	cases := []struct {
		name string
		gone []string // ops the simplified graph no longer has
	}{
		{"cifar_option_a_op13", []string{"Cast", "Transpose", "Constant"}},
		{"eca_op11", []string{"Constant", "Gather"}},
		{"wrn_mcdonnell_op11", []string{"Constant"}},
		{"act_gelu_op13", []string{"Constant"}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := onnx.ReadFile(family(c.name))
			if err != nil {
				t.Fatal(err)
			}
			s, rep, err := Model(m)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v: %v → %v", rep, ops(m), ops(s))
			for _, op := range c.gone {
				if ops(s)[op] > 0 {
					t.Errorf("%s still has %d %s", c.name, ops(s)[op], op)
				}
			}
			if d := s.Graph.DataInputs()[0].Shape[0]; d.Known() {
				t.Errorf("the batch became fixed: %v", d)
			}
			path := filepath.Join(dir, c.name+".onnx")
			if err := onnx.WriteFile(path, s); err != nil {
				t.Fatal(err)
			}
			in := randomBatch(m, 3, 3)
			want, err := ortref.Run(family(c.name), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ortref.Run(path, in)
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				if err := reftest.Compare(got[name], w, 1e-6); err != nil {
					t.Errorf("onnxruntime on the simplified model, %s: %v", name, err)
				}
			}
			orig, simple := compile(t, m), compile(t, s)
			for _, batch := range []int{1, 3} {
				in := randomBatch(m, batch, uint64(batch))
				want, got := run(t, orig, in), run(t, simple, in)
				for name, w := range want {
					// Not bit for bit: folding can change which layers the
					// executor fuses (BN into a Conv's weights) and so
					// which convolution method (Winograd from 32
					// channels) rounds them.
					if err := reftest.Compare(got[name], w, 1e-5); err != nil {
						t.Errorf("batch %d, the executor on the simplified model, %s: %v", batch, name, err)
					}
				}
			}
		})
	}
}

func compile(t *testing.T, m *ir.Model) *infer.Program {
	t.Helper()
	p, err := infer.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, p *infer.Program, in map[string]*ir.Tensor) map[string]*ir.Tensor {
	t.Helper()
	out, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flattenModel is x.view(x.size(0), -1) after a Relu, with an Identity and
// a Dropout on the way and a dead branch: Shape → Gather → Unsqueeze →
// Concat → Reshape on a symbolic batch.
func flattenModel() *ir.Model {
	g := &ir.Graph{
		Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Size: -1, Param: "N"}, {Size: 2}, {Size: 3}}}},
		Outputs: []*ir.ValueInfo{{Name: "y", DType: ir.Float32}},
		Initializers: []*ir.Tensor{ir.NewInt64("zero", nil, []int64{0}), ir.NewInt64("axes", []int{1}, []int64{0}),
			ir.NewInt64("minus1", []int{1}, []int64{-1}), ir.NewFloat32("unused", []int{1}, []float32{1})},
	}
	node := func(op string, in []string, out ...string) {
		g.Nodes = append(g.Nodes, &ir.Node{Name: out[0], OpType: op, Inputs: in, Outputs: out})
	}
	node("Relu", []string{"x"}, "r")
	node("Identity", []string{"r"}, "i")
	node("Dropout", []string{"i"}, "d", "mask")
	node("Shape", []string{"d"}, "s")
	node("Gather", []string{"s", "zero"}, "n")
	node("Unsqueeze", []string{"n", "axes"}, "n1")
	node("Concat", []string{"n1", "minus1"}, "target")
	g.Nodes[len(g.Nodes)-1].Attrs = []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 0}}
	node("Reshape", []string{"d", "target"}, "y")
	node("Neg", []string{"x"}, "dead")
	return &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: g}
}

// TestFlatten: the flatten becomes Relu → Reshape(0, -1): the symbolic
// batch is copied, Identity, Dropout, the dead Neg and the unused
// initializer go, and both batch sizes still run.
func TestFlatten(t *testing.T) {
	m := flattenModel()
	before := fmt.Sprint(ops(m))
	s, rep, err := Model(m)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ops(m)) != before {
		t.Error("Model changed its argument")
	}
	if got := fmt.Sprint(ops(s)); got != "map[Relu:1 Reshape:1]" {
		t.Fatalf("ops %s, report %+v", got, rep)
	}
	if rep.Reshapes != 1 || rep.Passthrough != 2 || rep.Dead != 5 { // the shape chain and the Neg
		t.Errorf("report %+v", rep)
	}
	rs := s.Graph.Nodes[1]
	target := s.Graph.Initializer(rs.Inputs[1])
	if rs.Inputs[0] != "r" || target == nil || !slices.Equal(target.Data.([]int64), []int64{0, -1}) {
		t.Errorf("reshape %v, target %+v", rs.Inputs, target)
	}
	var names []string
	for _, i := range s.Graph.Initializers {
		names = append(names, i.Name)
	}
	if len(names) != 1 {
		t.Errorf("initializers %v, want only the reshape target", names)
	}
	p := compile(t, s)
	for _, n := range []int{1, 4} {
		out, err := p.Run(randomBatch(m, n, 7))
		if err != nil || !slices.Equal(out["y"].Shape, []int{n, 6}) {
			t.Errorf("batch %d: %v %v", n, out["y"], err)
		}
	}
}

// TestIRv3Initializers: before IR version 4 every initializer is also a
// graph input and still a constant (as onnxruntime holds); what folds is
// declared as an input too. From IR 4 an initializer listed as an input
// can be overridden, so nothing that reads it folds.
func TestIRv3Initializers(t *testing.T) {
	for _, ir3 := range []bool{true, false} {
		m := flattenModel()
		for _, init := range m.Graph.Initializers {
			m.Graph.Inputs = append(m.Graph.Inputs, &ir.ValueInfo{Name: init.Name, DType: init.DType})
		}
		if ir3 {
			m.IRVersion = 3
		}
		s, rep, err := Model(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Reshapes == 1; got != ir3 {
			t.Errorf("IR 3 = %v: report %+v", ir3, rep)
		}
		inputs := map[string]bool{}
		for _, v := range s.Graph.Inputs {
			inputs[v.Name] = true
		}
		for _, init := range s.Graph.Initializers {
			if ir3 && !inputs[init.Name] {
				t.Errorf("initializer %q is not declared as an input", init.Name)
			}
		}
	}
}

// TestDropoutModes: the simplifier removes a Dropout exactly when the op
// layer calls it a pass-through (schema.DropoutModeOf), so a random
// training-mode Dropout stays for schema.Check to refuse, and one that
// passes its input through (training with ratio 0 too) is gone.
func TestDropoutModes(t *testing.T) {
	cases := []struct {
		ratio, training string
		kept            bool
	}{
		{"half", "false", false},
		{"zero", "true", false},
		{"half", "true", true},
		{"", "true", true},
	}
	for _, c := range cases {
		s, _, err := Model(dropoutModel(c.ratio, c.training))
		if err != nil {
			t.Fatal(err)
		}
		kept := ops(s)["Dropout"] == 1
		err = schema.Check(s, schema.Executor, schema.Pack)
		if kept != c.kept || (err != nil) != c.kept {
			t.Errorf("ratio %q training %q: Dropout kept %v (want %v), Check says %v", c.ratio, c.training, kept, c.kept, err)
		}
	}
}

// dropoutModel is x → Relu → Dropout(ratio, training) → y at opset 15.
func dropoutModel(ratio, training string) *ir.Model {
	g := &ir.Graph{
		Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Size: -1, Param: "N"}, {Size: 4}}}},
		Outputs: []*ir.ValueInfo{{Name: "y", DType: ir.Float32}},
		Nodes: []*ir.Node{{Name: "r", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
			{Name: "d", OpType: "Dropout", Inputs: []string{"r", ratio, training}, Outputs: []string{"d"}},
			{Name: "y", OpType: "Relu", Inputs: []string{"d"}, Outputs: []string{"y"}}},
		Initializers: []*ir.Tensor{ir.NewFloat32("half", nil, []float32{0.5}), ir.NewFloat32("zero", nil, []float32{0}),
			{Name: "true", DType: ir.Bool, Data: []bool{true}}, {Name: "false", DType: ir.Bool, Data: []bool{false}}},
	}
	return &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 15}}, Graph: g}
}

// TestLargeConstantNode: a weight held by a Constant node, as exporters that
// skip constant folding write them, becomes an initializer whatever its size
// (it is in the file already), so convert binarizes the layer; a weight of
// 16·32·3·3 = 4608 elements stayed a Constant node, and convert kept the
// layer float ("weight is not a constant initializer").
func TestLargeConstantNode(t *testing.T) {
	w := ir.NewFloat32("", []int{16, 32, 3, 3}, make([]float32, 16*32*3*3))
	g := &ir.Graph{Name: "const_weight", Inputs: []*ir.ValueInfo{{Name: "x", DType: ir.Float32,
		Shape: []ir.Dim{{Param: "N"}, {Size: 32}, {Size: 5}, {Size: 5}}}}}
	g.Nodes = []*ir.Node{
		{Name: "w", OpType: "Constant", Outputs: []string{"w"}, Attrs: []*ir.Attr{{Name: "value", Type: ir.AttrTensor, T: w}}},
		{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"y"}},
	}
	g.Outputs = []*ir.ValueInfo{{Name: "y", DType: ir.Float32}}
	m := &ir.Model{IRVersion: 7, OpsetImports: []ir.OpsetImport{{Version: 13}}, Graph: g}
	s, rep, err := Model(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ops(s)); got != "map[Conv:1]" || rep.Folded != 1 {
		t.Errorf("ops %s, report %+v: want the Constant folded", got, rep)
	}
	if init := s.Graph.Initializer("w"); init == nil || !slices.Equal(init.Shape, w.Shape) {
		t.Errorf("initializer w: %v", init)
	}
}
