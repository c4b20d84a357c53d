package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// withNode writes a copy of a model with one more node after its output,
// which becomes the new output.
func withNode(t *testing.T, m *ir.Model, path string, n *ir.Node) {
	t.Helper()
	g := *m.Graph
	last := g.Outputs[0].Name
	n.Inputs = []string{last}
	n.Outputs = []string{"extra_out"}
	g.Nodes = append(append([]*ir.Node(nil), g.Nodes...), n)
	g.Outputs = []*ir.ValueInfo{{Name: "extra_out", DType: ir.Float32}}
	c := *m
	c.Graph = &g
	if c.Opset(pack.Domain) != 0 {
		c.Metadata = append([]ir.KeyValue(nil), m.Metadata...)
		c.SetMetadata(pack.KeyDigest, pack.Digest(&c))
	}
	if err := onnx.WriteFile(path, &c); err != nil {
		t.Fatal(err)
	}
}

// TestRefuseBeforeWriting: the main command, pack, finetune and export
// check the graph against every stage they will run before writing: an
// op a stage lacks gives exit 1, one line naming op and node, and no
// output file.
func TestRefuseBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "odd.onnx") // an op no stage knows
	withNode(t, m, odd, &ir.Node{Name: "odd_one", OpType: "Hardmax"})
	argmax := &ir.Node{Name: "arg_one", OpType: "ArgMax", Attrs: []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 1}}}
	untrainable := filepath.Join(dir, "argmax.onnx") // the trainer lacks ArgMax
	withNode(t, m, untrainable, argmax)
	bnn := filepath.Join(dir, "tiny.bnn")
	if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn); code != 0 {
		t.Fatalf("packing the tiny model: %s", errOut)
	}
	b, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	oddBNN := filepath.Join(dir, "odd.bnn") // the C export lacks ArgMax
	withNode(t, b, oddBNN, argmax)
	cases := []struct {
		args     []string
		out      string
		op, node string
	}{
		{[]string{odd, filepath.Join(dir, "a.bnn")}, "a.bnn", "Hardmax", "odd_one"},
		{[]string{untrainable, filepath.Join(dir, "a.bnn"), "--data", dir}, "a.bnn", "trainer does not support op ArgMax", "arg_one"},
		{[]string{"pack", odd, filepath.Join(dir, "b.bnn")}, "b.bnn", "Hardmax", "odd_one"},
		{[]string{"finetune", untrainable, "--data", dir, "--out", filepath.Join(dir, "c.onnx")}, "c.onnx", "trainer does not support op ArgMax", "arg_one"},
		{[]string{"export", oddBNN, "--format", "c", "--out", filepath.Join(dir, "d")}, "d", "C export does not support op ArgMax", "arg_one"},
		// a .bnn where a float model belongs: said so, not an op the trainer lacks
		{[]string{bnn, filepath.Join(dir, "e.bnn"), "--data", dir}, "e.bnn", "is already a .bnn", "float ONNX model"},
		{[]string{bnn, filepath.Join(dir, "e.bnn")}, "e.bnn", "is already a .bnn", "float ONNX model"},
		{[]string{"pack", bnn, filepath.Join(dir, "e.bnn")}, "e.bnn", "is already a .bnn", "float ONNX model"},
		{[]string{"finetune", bnn, "--data", dir, "--out", filepath.Join(dir, "e.onnx")}, "e.onnx", "is already a .bnn", "float ONNX model"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, c.args...)
		if code != ExitFailure {
			t.Errorf("%v: exit %d, want 1 (stderr %q)", c.args, code, errOut)
		}
		msg := strings.TrimSpace(errOut)
		if strings.Contains(msg, "\n") || !strings.Contains(msg, c.op) || !strings.Contains(msg, c.node) {
			t.Errorf("%v: want one line naming %s and %s, got %q", c.args, c.op, c.node, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, c.out)); err == nil {
			t.Errorf("%v: %s was written", c.args, c.out)
		}
	}
	// inspect still reads the .bnn and says what the C export lacks.
	code, out, errOut := run(t, "inspect", oddBNN)
	if code != 0 || !strings.Contains(out, "unsupported") || !strings.Contains(out, "ArgMax") {
		t.Errorf("inspect: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestRefuseHalfPrecision: a float16 model (PyTorch's model.half()) is
// refused before any work, exit 1, with one line that says to export it in
// float32, instead of "no binarizable layer" with no reason; inspect
// says the same where the plan would be.
func TestRefuseHalfPrecision(t *testing.T) {
	dir := t.TempDir()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range m.Graph.Initializers {
		if w.DType == ir.Float32 {
			m.Graph.Initializers[i] = &ir.Tensor{Name: w.Name, DType: ir.Float16, Shape: w.Shape, Data: make([]uint16, w.Len())}
		}
	}
	for _, v := range append(m.Graph.DataInputs(), m.Graph.Outputs...) {
		v.DType = ir.Float16
	}
	half := filepath.Join(dir, "half.onnx")
	if err := onnx.WriteFile(half, m); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, half, filepath.Join(dir, "a.bnn"))
	msg := strings.TrimSpace(errOut)
	if code != ExitFailure || strings.Contains(msg, "\n") || !strings.Contains(msg, "is float16") || !strings.Contains(msg, "model.float()") {
		t.Errorf("main command: exit %d, stderr %q; want exit 1 and one line saying to export in float32", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.bnn")); err == nil {
		t.Error("a.bnn was written")
	}
	code, out, errOut := run(t, "inspect", half)
	if code != 0 || !strings.Contains(out, "no layer plan") || !strings.Contains(out, "model.float()") {
		t.Errorf("inspect: exit %d, stdout %q, stderr %q; want the reason there is no plan", code, out, errOut)
	}
}

// TestMaxElementsReachesTheCheck: the shape check before any work uses the
// command's --max-elements, so fmnist_tiny fixed to a 6000×6000 input (a
// first activation of 288 M elements, over the default 2^28) is refused by
// default with a hint to raise the flag, and binarized with
// --max-elements 1000000000; export, which has no such flag, names none.
func TestMaxElementsReachesTheCheck(t *testing.T) {
	dir := t.TempDir()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m.Graph.Inputs[0].Shape[2], m.Graph.Inputs[0].Shape[3] = ir.Dim{Size: 6000}, ir.Dim{Size: 6000}
	m.Graph.ValueInfo = nil // the export's shapes for 28×28
	big := filepath.Join(dir, "big.onnx")
	if err := onnx.WriteFile(big, m); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, big, filepath.Join(dir, "a.bnn"))
	if code != ExitFailure || !strings.Contains(errOut, "element limit") || !strings.Contains(errOut, "--max-elements") {
		t.Errorf("default limit: exit %d, stderr %q; want exit 1 and a hint naming --max-elements", code, errOut)
	}
	code, _, errOut = run(t, big, filepath.Join(dir, "b.bnn"), "--max-elements", "1000000000")
	if code != ExitOK {
		t.Errorf("--max-elements 1000000000: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "export", big, "--format", "onnx", "--out", filepath.Join(dir, "c.onnx"))
	if code != ExitFailure || !strings.Contains(errOut, "element limit") || strings.Contains(errOut, "--max-elements") {
		t.Errorf("export: exit %d, stderr %q; want exit 1 naming no flag export lacks", code, errOut)
	}
}

// TestRefuseFixedBatch: a model exported with its batch fixed (what
// torch.onnx.export writes without dynamic_axes) is refused before any work
// by the commands that run data through it in batches, with one line that
// names the input and says to export a symbolic batch: the main command used
// to fine-tune for every epoch and then fail in verification (its first
// batch of 64 against [1 1 28 28]). Binarizing without data still works.
func TestRefuseFixedBatch(t *testing.T) {
	dir := t.TempDir()
	fixed := editedModel(t, dir, "fixed", fixBatch)
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	for _, args := range [][]string{
		{fixed, filepath.Join(dir, "a.bnn"), "--data", data, "--limit", "32", "--epochs", "1"},
		{fixed, filepath.Join(dir, "a.bnn"), "--calib", data, "--limit", "32"},
		{"finetune", fixed, "--data", data, "--limit", "32", "--epochs", "1", "--out", filepath.Join(dir, "a.onnx")},
		{"verify", fixed, "--data", data, "--limit", "32"},
	} {
		code, _, errOut := run(t, args...)
		msg := strings.TrimSpace(errOut)
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:] // verify warns of the missing --mean/--std first
		}
		if code != ExitFailure || !strings.Contains(msg, `input "input" has a fixed batch of 1`) || !strings.Contains(msg, "dynamic_axes") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line naming the fixed batch", args, code, errOut)
		}
		if strings.Contains(errOut, "epoch") {
			t.Errorf("%v: trained before refusing: %q", args, errOut)
		}
	}
	for _, name := range []string{"a.bnn", "a.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written", name)
		}
	}
	if code, _, errOut := run(t, fixed, filepath.Join(dir, "b.bnn")); code != 0 {
		t.Errorf("binarizing without data: exit %d, stderr %q", code, errOut)
	}
}

// TestRefuseBakedBatch: a model whose input declares a symbolic batch but
// whose graph fixes it (a Reshape to a constant [1, -1], as a batch-1
// export writes x.view(x.size(0), -1)) passed the shape check for one
// image and failed at the first batch of fine-tuning, after the work before
// it; it is refused before any work, with one line naming the node where
// the shapes part and the batch, and run still takes it one image at a time.
func TestRefuseBakedBatch(t *testing.T) {
	dir := t.TempDir()
	baked := editedModel(t, dir, "baked", bakeBatch)
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	for _, args := range [][]string{
		{baked, filepath.Join(dir, "a.bnn"), "--data", data, "--limit", "32", "--epochs", "1", "--mean", "0.2860", "--std", "0.3530"},
		{"verify", baked, "--data", data, "--limit", "32", "--mean", "0.2860", "--std", "0.3530"},
	} {
		code, _, errOut := run(t, args...)
		msg := strings.TrimSpace(errOut)
		if code != ExitFailure || strings.Contains(msg, "\n") || !strings.Contains(msg, "batch of 2 images") || !strings.Contains(msg, "Gemm") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line naming the batch and the Gemm", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.bnn")); err == nil {
		t.Error("a.bnn was written")
	}
	one := filepath.Join(dir, "one.npy")
	if err := npy.WriteFile(one, &npy.Array{Shape: []int{1, 1, 28, 28}, DType: "float32", Data: make([]float32, 28*28)}); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "run", baked, "--input", one, "--top", "1"); code != 0 {
		t.Errorf("run on one image: exit %d, stderr %q", code, errOut)
	}
}

// editedModel writes fmnist_tiny.onnx, changed by edit, to dir/name.onnx.
func editedModel(t *testing.T, dir, name string, edit func(m *ir.Model)) string {
	t.Helper()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	path := filepath.Join(dir, name+".onnx")
	if err := onnx.WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixBatch declares a batch of 1, as torch.onnx.export writes without
// dynamic_axes.
func fixBatch(m *ir.Model) {
	for _, v := range append(m.Graph.DataInputs(), m.Graph.Outputs...) {
		v.Shape[0] = ir.Dim{Size: 1}
	}
}

// bakeBatch fixes the batch inside the graph, leaving the input's symbolic:
// the Flatten becomes a Reshape to a constant [1, -1], as a batch-1 export
// writes x.view(x.size(0), -1).
func bakeBatch(m *ir.Model) {
	for _, n := range m.Graph.Nodes {
		if n.OpType == "Flatten" {
			n.OpType, n.Attrs = "Reshape", nil
			n.Inputs = append(n.Inputs, "baked_target")
			m.Graph.Initializers = append(m.Graph.Initializers, &ir.Tensor{Name: "baked_target", DType: ir.Int64, Shape: []int{2}, Data: []int64{1, -1}})
		}
	}
}

// TestInspectShowsTheRefusal: inspect of an ONNX model the main command
// refuses gives that refusal, word for word, as plan_error and in its text;
// it listed the plan alone for the model check's refusals (two data inputs,
// a batch fixed inside the graph), for a fixed batch and for a node one of
// the main command's stages cannot run (a BatchNormalization exported in
// training mode, as torch.onnx.export(..., training=TRAINING) or PRESERVE
// of a model in train() writes it; an op the trainer lacks).
func TestInspectShowsTheRefusal(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	for name, edit := range map[string]func(*ir.Model){
		"fixed": fixBatch,
		"baked": bakeBatch,
		"two_inputs": func(m *ir.Model) {
			m.Graph.Inputs = append(m.Graph.Inputs, &ir.ValueInfo{Name: "extra", DType: ir.Float32, Shape: []ir.Dim{{Size: 1}}})
		},
		"training_bn": func(m *ir.Model) {
			n := firstNode(t, m, "BatchNormalization")
			n.Outputs = append(n.Outputs, "bn_running_mean")
		},
		"untrainable_op": func(m *ir.Model) { firstNode(t, m, "Relu").OpType = "Abs" },
		"uint8_input":    func(m *ir.Model) { m.Graph.DataInputs()[0].DType = ir.Uint8 },
	} {
		model := editedModel(t, dir, name, edit)
		code, _, errOut := run(t, model, filepath.Join(dir, "a.bnn"), "--data", data, "--limit", "8", "--epochs", "1", "--mean", "0.2860", "--std", "0.3530")
		refusal, ok := strings.CutPrefix(strings.TrimSpace(errOut), "bincompress: ")
		if code != ExitFailure || !ok || strings.Contains(refusal, "\n") {
			t.Fatalf("%s: main command: exit %d, stderr %q; want exit 1 and one line", name, code, errOut)
		}
		code, out, errOut := run(t, "inspect", model, "--json")
		var s ModelSummary
		if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.PlanError != refusal {
			t.Errorf("%s: inspect --json: exit %d (%q), plan_error %q; want the main command's %q", name, code, errOut, s.PlanError, refusal)
		}
		if _, out, _ := run(t, "inspect", model); !strings.Contains(out, refusal) {
			t.Errorf("%s: inspect: %q; want the main command's %q", name, out, refusal)
		}
	}
}

// TestRunnersRefuseUpFront: run, verify (the model and --ref) and bench
// refuse a node the executor cannot run before any work, in the op layer's
// words (node, op, why); a BatchNormalization exported in training mode
// (its running statistics named as outputs) failed at the first batch as
// "BatchNormalization training_mode=1", an attribute the opset-13 model
// does not have.
func TestRunnersRefuseUpFront(t *testing.T) {
	dir := t.TempDir()
	model := editedModel(t, dir, "training_bn", func(m *ir.Model) {
		n := firstNode(t, m, "BatchNormalization")
		n.Outputs = append(n.Outputs, "bn_running_mean")
	})
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	for _, args := range [][]string{
		{"run", model, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"},
		{"verify", model, "--data", data, "--limit", "8"},
		{"verify", testModel("fmnist_tiny.onnx"), "--data", data, "--limit", "8", "--ref", model},
		{"bench", model, "--batch", "2", "--runs", "1"},
	} {
		code, _, errOut := run(t, args...)
		if code != ExitFailure || !strings.Contains(errOut, "running or saved statistics") || !strings.Contains(errOut, "training_bn.onnx: schema:") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and the op layer's refusal", strings.Join(args[:1], " "), code, errOut)
		}
	}
}

// firstNode is m's first node of type op.
func firstNode(t *testing.T, m *ir.Model, op string) *ir.Node {
	t.Helper()
	for _, n := range m.Graph.Nodes {
		if n.OpType == op {
			return n
		}
	}
	t.Fatalf("no %s node", op)
	return nil
}

// TestNoDeclaredShape: an input that declares no shape is said to have
// none, by the main command and by inspect (text, and null in JSON); both
// wrote "shape []", which reads as a scalar's.
func TestNoDeclaredShape(t *testing.T) {
	dir := t.TempDir()
	model := editedModel(t, dir, "noshape", func(m *ir.Model) { m.Graph.DataInputs()[0].Shape = nil })
	code, _, errOut := run(t, model, filepath.Join(dir, "a.bnn"))
	if code != ExitFailure || !strings.Contains(errOut, `input "input" has no declared shape`) || strings.Contains(errOut, "[]") {
		t.Errorf("main command: exit %d, stderr %q; want exit 1 saying the input has no declared shape", code, errOut)
	}
	_, out, _ := run(t, "inspect", model)
	if !regexp.MustCompile(`(?m)^input +input float32 \(no declared shape\)$`).MatchString(out) || !strings.Contains(out, "has no declared shape;") {
		t.Errorf("inspect: %q; want the input listed with no declared shape and the refusal", out)
	}
	_, out, _ = run(t, "inspect", model, "--json")
	var s struct {
		Inputs []struct{ Shape *[]string }
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil || len(s.Inputs) != 1 || s.Inputs[0].Shape != nil {
		t.Errorf("inspect --json: %s (%v); want the input's shape null", out, err)
	}
}

// TestRefuseTwoOutputs: a model with a second graph output (PyTorch's
// `return features, logits`, the features first) was taken as if its first
// output were the logits: trained and verified on the features. Every
// command that runs it refuses it before any work with one line naming the
// outputs and their shapes and saying to export the logits alone; inspect
// gives the same words as plan_error.
func TestRefuseTwoOutputs(t *testing.T) {
	dir := t.TempDir()
	model := editedModel(t, dir, "two_outputs", func(m *ir.Model) {
		for _, n := range m.Graph.Nodes {
			if n.OpType == "Flatten" {
				features := &ir.ValueInfo{Name: n.Outputs[0], DType: ir.Float32, Shape: []ir.Dim{{Param: "batch"}, {Size: -1}}}
				m.Graph.Outputs = append([]*ir.ValueInfo{features}, m.Graph.Outputs...)
			}
		}
	})
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	prep := []string{"--limit", "8", "--mean", "0.2860", "--std", "0.3530"}
	var refusal string
	for _, args := range [][]string{
		append([]string{model, filepath.Join(dir, "a.bnn"), "--data", data, "--epochs", "1"}, prep...),
		append([]string{"finetune", model, "--data", data, "--epochs", "1", "--out", filepath.Join(dir, "a.onnx")}, prep...),
		append([]string{"verify", model, "--data", data}, prep...),
		{"pack", model, filepath.Join(dir, "a.bnn")},
		{"bench", model},
		{"run", model, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"},
	} {
		code, _, errOut := run(t, args...)
		msg := strings.TrimSpace(errOut)
		if code != ExitFailure || strings.Contains(msg, "\n") || strings.Contains(msg, "epoch") ||
			!strings.Contains(msg, `the model has 2 outputs ("/Flatten_output_0" [1 32], "logits" [1 10] for one image)`) ||
			!strings.Contains(msg, "single output is the logits") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line naming both outputs and their shapes", args, code, errOut)
		}
		if refusal == "" {
			refusal, _ = strings.CutPrefix(msg, "bincompress: ")
		}
	}
	for _, name := range []string{"a.bnn", "a.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written", name)
		}
	}
	_, out, _ := run(t, "inspect", model, "--json")
	var s ModelSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.PlanError != refusal {
		t.Errorf("inspect --json: plan_error %q (%v); want the main command's %q", s.PlanError, err, refusal)
	}
}
