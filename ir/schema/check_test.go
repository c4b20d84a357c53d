package schema

import (
	"errors"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// TestCheckStages: Check names the first node a stage lacks, with op,
// opset, node and stage; the C export needs no code for what is constant
// for one image (the flatten's shape arithmetic).
func TestCheckStages(t *testing.T) {
	m := flattenModel()
	if err := Check(m, Executor, Pack, CExport); err != nil {
		t.Fatalf("flatten model: %v", err)
	}
	m.Graph.Nodes = append(m.Graph.Nodes, &ir.Node{Name: "arg", OpType: "ArgMax", Inputs: []string{"y"}, Outputs: []string{"a"}})
	m.Graph.Outputs = []*ir.ValueInfo{{Name: "a"}}
	err := Check(m, Executor, CExport)
	var u *UnsupportedOpError
	if !errors.As(err, &u) || u.Op != "ArgMax" || u.Node != `"arg"` || u.Stage != CExport || u.Opset != 11 {
		t.Fatalf("got %v, want the C export refusing ArgMax at arg", err)
	}
	if err := Check(m, Executor); err != nil {
		t.Errorf("the executor runs ArgMax: %v", err)
	}
	m.Graph.Nodes[len(m.Graph.Nodes)-1].Attrs = []*ir.Attr{{Name: "axis", Type: ir.AttrFloat, F: 1}}
	var ae *AttrError
	if err := Check(m, Executor); !errors.As(err, &ae) || ae.Attr != "axis" {
		t.Errorf("a FLOAT axis: got %v, want an AttrError", err)
	}
}

// TestCheckLimits: a stage that implements an op but not one use of it
// (a 3-D convolution) is named with the reason.
func TestCheckLimits(t *testing.T) {
	m := flattenModel()
	m.Graph.Inputs[0].Shape = append(m.Graph.Inputs[0].Shape, ir.Dim{Size: 8})
	m.Graph.Initializers[0] = ir.NewFloat32("w", []int{4, 3, 3, 3, 3}, make([]float32, 324))
	m.Graph.Nodes[0].Attrs = nil
	var u *UnsupportedOpError
	if err := Check(m, Pack, Executor); !errors.As(err, &u) || u.Stage != Executor || u.Op != "Conv" || u.Reason == "" {
		t.Fatalf("3-D Conv: got %v", err)
	}
	if err := Check(m, Pack); err != nil {
		t.Errorf("the packer copies any Conv: %v", err)
	}
}

// TestCheckAbsurdPads: a Conv padded by 12,496 on an 8×8 input (batch
// symbolic) is refused naming the node, before anything is allocated.
func TestCheckAbsurdPads(t *testing.T) {
	m := flattenModel()
	m.Graph.Nodes[0].Attrs[0] = ints("pads", 12496, 12496, 12496, 12496)
	err := Check(m, Executor)
	if err == nil || !contains(err.Error(), `"c" (Conv)`, "more than") {
		t.Fatalf("got %v", err)
	}
}

// TestDeviceSubset: the GPU trainer runs a subset of the trainer's ops,
// with at least the trainer's limits, so an op it takes also trains on the
// CPU.
func TestDeviceSubset(t *testing.T) {
	for _, op := range Ops() {
		if op.stages.Has(TrainerDevice) && !op.stages.Has(Trainer) {
			t.Errorf("%s is marked for the GPU trainer but not the trainer", QualifiedName(op.Domain, op.Type))
		}
		if op.limits[Trainer] != nil && op.limits[TrainerDevice] == nil && op.stages.Has(TrainerDevice) {
			t.Errorf("%s: the trainer has a limit the GPU trainer lacks", QualifiedName(op.Domain, op.Type))
		}
	}
}

// TestCheckTrainingBN: before opset 14 BatchNormalization has no
// training_mode attribute; naming a statistics output is what marks
// training mode, and it is refused up front as training_mode=1 is from
// opset 14, naming the node. Empty output names are inference.
func TestCheckTrainingBN(t *testing.T) {
	bn := func(opset int64, outputs []string, attrs ...*ir.Attr) *ir.Model {
		g := &ir.Graph{
			Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Size: -1, Param: "N"}, {Size: 4}, {Size: 8}, {Size: 8}}}},
			Outputs: []*ir.ValueInfo{{Name: "y"}},
			Nodes: []*ir.Node{{Name: "bn", OpType: "BatchNormalization",
				Inputs: []string{"x", "scale", "bias", "mean", "var"}, Outputs: outputs, Attrs: attrs}},
		}
		for _, name := range []string{"scale", "bias", "mean", "var"} {
			g.Initializers = append(g.Initializers, ir.NewFloat32(name, []int{4}, []float32{1, 1, 1, 1}))
		}
		return &ir.Model{OpsetImports: []ir.OpsetImport{{Version: opset}}, Graph: g}
	}
	cases := []struct {
		m      *ir.Model
		reason string // "" when Check must pass
	}{
		{bn(13, []string{"y"}), ""},
		{bn(13, []string{"y", "", "", "", ""}), ""},
		{bn(13, []string{"y", "running_mean", "running_var", "saved_mean", "saved_var"}), `"running_mean"`},
		{bn(9, []string{"y", "", "", "", "saved_var"}), `"saved_var"`},
		{bn(15, []string{"y"}, intAttr("training_mode", 1)), "training_mode=1"},
		{bn(15, []string{"y", "running_mean", "running_var"}), `"running_mean"`},
	}
	for i, c := range cases {
		err := Check(c.m, Executor, Pack)
		var u *UnsupportedOpError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("case %d: %v", i, err)
		case c.reason != "" && (!errors.As(err, &u) || u.Node != `"bn"` || u.Stage != Executor || !contains(u.Reason, c.reason)):
			t.Errorf("case %d: got %v, want the executor refusing training-mode BN at \"bn\" (%s)", i, err, c.reason)
		}
	}
}

// dropoutModel is x → Dropout "d" → y at opset 15; ratio and training are
// its inputs 1 and 2 ("" omits one, a name not among the constants is a
// graph input, known only when run).
func dropoutModel(ratio, training string) *ir.Model {
	g := &ir.Graph{
		Inputs:  []*ir.ValueInfo{{Name: "x", DType: ir.Float32, Shape: []ir.Dim{{Size: -1, Param: "N"}, {Size: 4}}}},
		Outputs: []*ir.ValueInfo{{Name: "y"}},
		Nodes:   []*ir.Node{{Name: "d", OpType: "Dropout", Inputs: []string{"x", ratio, training}, Outputs: []string{"y"}}},
		Initializers: []*ir.Tensor{ir.NewFloat32("half", nil, []float32{0.5}), ir.NewFloat32("zero", nil, []float32{0}),
			{Name: "true", DType: ir.Bool, Data: []bool{true}}, {Name: "false", DType: ir.Bool, Data: []bool{false}}},
	}
	if training == "runtime" {
		g.Inputs = append(g.Inputs, &ir.ValueInfo{Name: "runtime", DType: ir.Bool, Shape: []ir.Dim{}})
	}
	return &ir.Model{IRVersion: 8, OpsetImports: []ir.OpsetImport{{Version: 15}}, Graph: g}
}

// TestCheckTrainingDropout: a Dropout whose training_mode is a constant
// true and whose ratio is not 0 (or the default 0.5) is random; Check
// refuses it up front for the stages that run the model as written,
// naming the node, instead of the executor refusing it when a written
// .bnn runs. Inference, ratio 0 and a training_mode known only when run
// pass.
func TestCheckTrainingDropout(t *testing.T) {
	cases := []struct {
		ratio, training string
		refused         bool
	}{
		{"", "", false},
		{"half", "", false},
		{"half", "false", false},
		{"zero", "true", false},
		{"half", "runtime", false},
		{"half", "true", true},
		{"", "true", true},
	}
	for _, c := range cases {
		m := dropoutModel(c.ratio, c.training)
		err := Check(m, Pack, Executor)
		var u *UnsupportedOpError
		switch {
		case !c.refused && err != nil:
			t.Errorf("ratio %q training %q: %v", c.ratio, c.training, err)
		case c.refused && (!errors.As(err, &u) || u.Node != `"d"` || u.Stage != Executor || !contains(u.Reason, "training mode")):
			t.Errorf("ratio %q training %q: got %v, want the executor refusing random Dropout at \"d\"", c.ratio, c.training, err)
		}
		if err := Check(m, Pack, ONNXExport); err != nil {
			t.Errorf("ratio %q training %q: the packer and the ONNX export copy any Dropout: %v", c.ratio, c.training, err)
		}
	}
}

// TestCheckLimitRaised: CheckLimit bounds values by the limit it is given
// (a command's --max-elements), not by CheckElements, so a model the
// executor may run under a raised limit passes; the error names no flag
// (the op layer serves commands that have none).
func TestCheckLimitRaised(t *testing.T) {
	m := flattenModel()
	m.Graph.Nodes[0].Attrs[0] = ints("pads", 12000, 12000, 12000, 12000) // [N 4 12003 12003]: 576 M per image
	if err := Check(m, Executor); !errors.Is(err, ErrTooLarge) || !contains(err.Error(), `"c" (Conv)`) || contains(err.Error(), "--max-elements") {
		t.Errorf("CheckElements: got %v, want ErrTooLarge naming the node and no flag", err)
	}
	if err := CheckLimit(m, 1<<28, Executor); err == nil {
		t.Error("limit 2^28: passed")
	}
	if err := CheckLimit(m, 1<<30, Executor); err != nil {
		t.Errorf("limit 2^30: %v", err)
	}
}
