package finetune

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

var update = flag.Bool("update", false, "rewrite testdata/conformance_skips.txt")

// onnxNodeTests holds ONNX's backend node tests.
var onnxNodeTests = filepath.Join(reftest.ONNXTestData, "node")

const skipsGolden = "testdata/conformance_skips.txt"

// TestNodeConformance runs ONNX's backend node tests through the trainer's
// own forward pass: every case whose ops all have a trainer handler, with
// its first input as the data and the others as constants. Outputs must
// match (floats within ONNX's rtol 1e-3, atol 1e-5; integers exactly), and
// the first output's gradient with respect to the data must match central
// finite differences. Cases the trainer refuses are listed with their
// reason in a golden file, so that a pass turning into a skip fails.
func TestNodeConformance(t *testing.T) {
	reftest.NeedONNXTestData(t)
	dirs, err := filepath.Glob(filepath.Join(onnxNodeTests, "test_*"))
	if err != nil {
		t.Fatal(err)
	}
	var skips []string
	passing := map[string]bool{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		reason, err := trainerCase(dir)
		switch {
		case errors.Is(err, errNotTrainer):
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case reason != "":
			skips = append(skips, name+": "+reason)
		default:
			passing[name] = true
		}
	}
	for _, name := range mustPassNodes {
		if !passing[name] {
			t.Errorf("%s must pass: a ResNet family trains through it", name)
		}
	}
	t.Logf("trainer conformance: %d cases passed, %d skipped", len(passing), len(skips))
	reftest.CheckGolden(t, skipsGolden, strings.Join(skips, "\n")+"\n", *update)
}

// mustPassNodes are node tests of the ops the ResNet families train
// through.
var mustPassNodes = []string{
	"test_sigmoid", "test_tanh", "test_erf", "test_softplus", "test_elu", "test_selu", "test_hardsigmoid",
	"test_hardswish", "test_leakyrelu", "test_prelu_broadcast", "test_neg", "test_exp", "test_log", "test_sqrt",
	"test_reciprocal", "test_pow_bcast_scalar", "test_sub_bcast", "test_div_bcast", "test_max_example", "test_min_example",
	"test_softmax_axis_1", "test_softmax_default_axis", "test_reduce_mean_keepdims_random",
	"test_reduce_sum_keepdims_random", "test_reduce_max_do_not_keepdims_random", "test_slice", "test_slice_neg_steps",
	"test_split_variable_parts_2d", "test_constant_pad",
	"test_concat_3d_axis_1", "test_transpose_all_permutations_3", "test_expand_dim_changed", "test_where_example",
	"test_relu", "test_clip", "test_mul_bcast", "test_add_bcast",
}

// errNotTrainer marks a case with an op the trainer has no handler for.
var errNotTrainer = errors.New("not a trainer op")

// trainerCase returns a skip reason, an error for a wrong result, or
// neither when the case passed.
func trainerCase(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return "", err
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return "", errNotTrainer
	}
	for _, nd := range m.Graph.Nodes {
		if _, ok := handlers[nd.OpType]; !ok || (nd.Domain != "" && nd.Domain != "ai.onnx") {
			return "", errNotTrainer
		}
	}
	for _, nd := range m.Graph.Nodes {
		if a := nd.Attr("training_mode"); a != nil && a.I != 0 || nd.OpType == "Dropout" && nd.Input(2) != "" || len(nd.Outputs) > 1 && nd.OpType != "Split" {
			return "training mode or an optional output the trainer does not make", nil
		}
	}
	set := filepath.Join(dir, "test_data_set_0")
	x, reason := constantsBut(m, set)
	if reason != "" {
		return reason, nil
	}
	keepOutputs(m.Graph)
	n, err := compile(m, nil)
	if err != nil {
		return "compile: " + err.Error(), nil
	}
	r, err := n.exec(nil, x, modeEval)
	if err != nil {
		return "run: " + err.Error(), nil
	}
	for i, o := range m.Graph.Outputs {
		out := o.Name
		want, err := readTensor(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return "", err
		}
		if !slices.Contains([]ir.DType{ir.Float32, ir.Int64, ir.Int32, ir.Bool}, want.DType) {
			return fmt.Sprintf("output type %v", want.DType), nil
		}
		if err := compareValue(r.env[out], want); err != nil {
			return "", fmt.Errorf("output %q: %w", out, err)
		}
	}
	return "", checkNetGrad(n, x)
}

// constantsBut turns every data input of m but the first float32 one into
// an initializer from the data set, and returns that one.
func constantsBut(m *ir.Model, set string) (*autograd.Tensor, string) {
	var x *autograd.Tensor
	for i, v := range m.Graph.DataInputs() {
		tn, err := readTensor(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return nil, "input: " + err.Error()
		}
		if x == nil && v.DType == ir.Float32 {
			x = autograd.New(tn.Shape, tn.Data.([]float32))
			continue
		}
		tn.Name = v.Name
		m.Graph.Initializers = append(m.Graph.Initializers, tn)
	}
	if x == nil {
		return nil, "no float32 input"
	}
	return x, ""
}

// keepOutputs renames each graph output o to o' behind an Identity node, so
// that the trainer (which drops a final Softmax) runs every node.
func keepOutputs(g *ir.Graph) {
	for _, o := range g.Outputs {
		inner := o.Name + "'"
		for _, nd := range g.Nodes {
			for k, out := range nd.Outputs {
				if out == o.Name {
					nd.Outputs[k] = inner
				}
			}
		}
		g.Nodes = append(g.Nodes, &ir.Node{OpType: "Identity", Inputs: []string{inner}, Outputs: []string{o.Name}})
	}
}

func readTensor(path string) (*ir.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return onnx.DecodeTensor(data)
}

// compareValue checks a value against ONNX's expected tensor: shape
// exactly, floats within rtol 1e-3 and atol 1e-5, integers exactly.
func compareValue(got value, want *ir.Tensor) error {
	shape := got.shape
	if got.t != nil {
		shape = got.t.Shape
	}
	if !slices.Equal(shape, want.Shape) && !(len(shape) == 0 && len(want.Shape) == 0) {
		return fmt.Errorf("shape %v, want %v", shape, want.Shape)
	}
	if got.t == nil {
		w, err := intsOf(want)
		if err != nil || !slices.Equal(got.ints, w) {
			return fmt.Errorf("integers %v, want %v (%v)", got.ints, w, err)
		}
		return nil
	}
	w, ok := want.Data.([]float32)
	if !ok {
		return fmt.Errorf("a float output where ONNX has %v", want.DType)
	}
	for i, v := range got.t.Data {
		if d := math.Abs(float64(v - w[i])); d > 1e-5+1e-3*math.Abs(float64(w[i])) || math.IsNaN(float64(v)) != math.IsNaN(float64(w[i])) {
			return fmt.Errorf("element %d: %v, want %v", i, v, w[i])
		}
	}
	return nil
}

// checkNetGrad compares the gradient of Σ seed·y (y the first output) with
// respect to the data input against central differences, for up to 16
// elements; an element where the function is not smooth at the step's
// scale (the one-sided differences disagree: a kink) is not compared.
func checkNetGrad(n *net, x0 *autograd.Tensor) error {
	out := func(tp *autograd.Tape, x *autograd.Tensor) (*autograd.Tensor, error) {
		r, err := n.exec(tp, x, modeEval)
		if err != nil {
			return nil, err
		}
		return r.env[n.output].t, nil
	}
	x := autograd.Param(x0.Shape, slices.Clone(x0.Data))
	tp := &autograd.Tape{}
	y, err := out(tp, x)
	if err != nil || y == nil || !y.RequiresGrad() || len(y.Data) == 0 {
		return err // integer outputs, or none that depends on the data
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seed := make([]float32, len(y.Data))
	for i := range seed {
		seed[i] = 2*rng.Float32() - 1
	}
	if err := tp.BackwardFrom(y, seed); err != nil {
		return err
	}
	grad := x.Grad()
	if grad == nil {
		grad = make([]float32, len(x.Data))
	}
	eval := func(j int, v float32) float64 {
		xs := slices.Clone(x0.Data)
		xs[j] = v
		y, _ := out(nil, autograd.New(x0.Shape, xs))
		var s float64
		for i, v := range y.Data {
			s += float64(v) * float64(seed[i])
		}
		return s
	}
	for _, j := range rng.Perm(len(x0.Data))[:min(16, len(x0.Data))] {
		v := x0.Data[j]
		vp, vm := v+1e-2, v-1e-2 // the steps as float32 rounds them
		f0, fp, fm := eval(j, v), eval(j, vp), eval(j, vm)
		fwd, bwd, num := (fp-f0)/float64(vp-v), (f0-fm)/float64(v-vm), (fp-fm)/float64(vp-vm)
		if math.Abs(fwd-bwd) > 2e-2*(1+math.Abs(num)) {
			continue
		}
		if math.Abs(float64(grad[j])-num) > 1e-2*(1+math.Abs(num)) {
			return fmt.Errorf("gradient of element %d: %v, finite differences %v", j, grad[j], num)
		}
	}
	return nil
}
