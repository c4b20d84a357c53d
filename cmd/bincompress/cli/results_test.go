package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// TestVerifyResultsOnStdout: the verify table goes to stdout (so `verify >
// result.txt` captures it), logs and progress to stderr; --json replaces
// the table on stdout with the JSON report.
func TestVerifyResultsOnStdout(t *testing.T) {
	args := []string{"verify", testModel("fmnist_tiny.onnx"), "--data", miniData, "--mean", "0.2860", "--std", "0.3530", "--min-accuracy", "0.01"}
	code, out, errOut := run(t, args...)
	if code != 0 || !strings.Contains(out, "top-1") || !strings.Contains(out, "PASSED") {
		t.Fatalf("exit %d; stdout %q", code, out)
	}
	if strings.Contains(errOut, "top-1") {
		t.Errorf("the table went to stderr too: %q", errOut)
	}
	code, out, errOut = run(t, append(args, "--json")...)
	var rep map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("--json: exit %d, stdout is not one JSON document: %q", code, out)
	}
	model, _ := rep["model"].(map[string]any)
	if model["path"] != testModel("fmnist_tiny.onnx") || !strings.HasPrefix(model["digest"].(string), "sha256:") ||
		!strings.Contains(string(mustJSON(model["preprocess"])), "0.286") {
		t.Errorf("the report does not name model, digest and preprocessing: %v", model)
	}
	if !strings.Contains(errOut, "top-1") {
		t.Errorf("with --json the table belongs on stderr: %q", errOut)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// TestNoGateSet: without --max-drop or --min-accuracy verify does not say
// PASSED (it said so at 0% accuracy); a raw ONNX model verified without
// --mean/--std gets a warning.
func TestNoGateSet(t *testing.T) {
	code, out, errOut := run(t, "verify", testModel("fmnist_tiny.onnx"), "--data", miniData)
	if code != 0 || strings.Contains(out, "PASSED") || !strings.Contains(out, "NO GATE SET") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, "warning") || !strings.Contains(errOut, "--mean") {
		t.Errorf("no warning about the missing normalization: %q", errOut)
	}
	code, out, _ = run(t, "verify", testModel("fmnist_tiny.onnx"), "--data", miniData, "--json")
	var rep struct{ Gated, Passed bool }
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Gated {
		t.Errorf("--json without a gate: exit %d, gated=%v", code, rep.Gated)
	}
}

// TestMainCommandResults: the main command's summary and verify table go to
// stdout and say NO GATE SET without a gate; "larger" when the output is.
func TestMainCommandResults(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run(t, testModel("fmnist_tiny.onnx"), filepath.Join(dir, "m.bnn"), "--val", miniData, "--mean", "0.2860", "--std", "0.3530")
	if code != 0 || !strings.Contains(out, "wrote") || !strings.Contains(out, "NO GATE SET") || strings.Contains(errOut, "wrote") {
		t.Errorf("exit %d; stdout %q; stderr %q", code, out, errOut)
	}
	if got := sizeComparison(100, 250); got != "2.5x larger than" {
		t.Errorf("sizeComparison(100, 250) = %q", got)
	}
	if got := sizeComparison(250, 100); got != "2.5x smaller than" {
		t.Errorf("sizeComparison(250, 100) = %q", got)
	}
}

// TestInspectJSONLayers: `inspect --json | jq .layers` lists a .bnn's
// layers (they were only under .artifact.layers).
func TestInspectJSONLayers(t *testing.T) {
	bnn := tinyBNN(t, t.TempDir())
	code, out, _ := run(t, "inspect", bnn, "--json")
	var s struct {
		Layers   []map[string]any `json:"layers"`
		Artifact struct {
			Layers []map[string]any `json:"layers"`
		} `json:"artifact"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || len(s.Layers) == 0 || len(s.Layers) != len(s.Artifact.Layers) {
		t.Errorf("exit %d; top-level layers %d, artifact layers %d", code, len(s.Layers), len(s.Artifact.Layers))
	}
}

// TestTamperedPreprocessRefused: editing the stored mean of a .bnn used to
// pass every check (verify then reported 19% instead of 86%, exit 0); the
// digest now covers it.
func TestTamperedPreprocessRefused(t *testing.T) {
	dir := t.TempDir()
	bnn := filepath.Join(dir, "m.bnn")
	if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn, "--val", miniData, "--mean", "0.2860", "--std", "0.3530"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	prep := dataset.Preprocess{Mean: []float32{0.9}, Std: []float32{0.3530}, Channels: 1}
	m.SetMetadata(pack.KeyPreprocess, prep.Marshal())
	if err := onnx.WriteFile(bnn, m); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "verify", bnn, "--data", miniData)
	if code != ExitFailure || !strings.Contains(errOut, "digest") {
		t.Errorf("exit %d, stderr %q; want 1 and a digest error", code, errOut)
	}
}

// TestErrorsNameTheCause: models broken in the source are reported as
// such, not as "the packed model fails its own check" or "element 0 is NaN
// but element 0 is ±NaN"; a model whose shapes explode fails fast naming
// the node and --max-elements.
func TestErrorsNameTheCause(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		edit func(m *ir.Model)
		want []string
	}{
		"cyclic": {func(m *ir.Model) {
			n := m.Graph.Nodes
			n[0].Inputs[0], n[len(n)-1].Outputs[0] = "loop", "loop" // the first node reads the last one's output
			m.Graph.Outputs[0].Name = "loop"
		}, []string{"cycle"}},
		"group0": {func(m *ir.Model) {
			firstOp(m, "Conv").SetAttr(&ir.Attr{Name: "group", Type: ir.AttrInt, I: 0})
		}, []string{"group 0"}},
		"negvar": {func(m *ir.Model) {
			bn := firstOp(m, "BatchNormalization")
			m.Graph.Initializer(bn.Inputs[4]).Data.([]float32)[0] = -1
		}, []string{"variance", "-1"}},
		"cobra-like": {func(m *ir.Model) { // main matched cobra's messages in any error: exit 2 for a model problem
			n := firstOp(m, "Relu")
			n.OpType, n.Name = "FancyOp", "accepts 1 arg(s), invalid argument"
		}, []string{"FancyOp"}},
		"hugepad": {func(m *ir.Model) {
			firstOp(m, "Conv").SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{12496, 12496, 12496, 12496}})
		}, []string{"--max-elements"}},
	}
	for name, c := range cases {
		m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		c.edit(m)
		path := filepath.Join(dir, name+".onnx")
		if err := onnx.WriteFile(path, m); err != nil {
			t.Fatal(err)
		}
		runs := [][]string{{path, filepath.Join(dir, name+".bnn")}}
		if name != "negvar" { // the executor runs a negative variance (into NaN); only binarizing must refuse it
			runs = append(runs, []string{"bench", path})
		}
		for _, args := range runs {
			code, _, errOut := run(t, args...)
			if code != ExitFailure || strings.Contains(errOut, "own check") || strings.Contains(errOut, "±NaN") || !strings.Contains(errOut, name+".onnx") {
				t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("%q: stderr %q lacks %q", args, errOut, w)
				}
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(cases) {
		t.Errorf("failed runs left files: %v", entries)
	}
}

func firstOp(m *ir.Model, op string) *ir.Node {
	for _, n := range m.Graph.Nodes {
		if n.OpType == op {
			return n
		}
	}
	panic("no " + op)
}

// TestPackedHugePadRefused: a .bnn whose BinaryConv pads make its output
// explode (a 751-byte file made `run` allocate 14.7 GB) fails with a named
// error, having allocated next to nothing.
func TestPackedHugePadRefused(t *testing.T) {
	dir := t.TempDir()
	bnn := tinyBNN(t, dir)
	m, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	firstOp(m, pack.OpBinaryConv).SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{12496, 12496, 12496, 12496}})
	m.SetMetadata(pack.KeyDigest, pack.Digest(m)) // as a writer would
	if err := onnx.WriteFile(bnn, m); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"run", bnn, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"}, {"bench", bnn}} {
		code, _, errOut := run(t, args...)
		if code != ExitFailure || !strings.Contains(errOut, "--max-elements") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestVerifyFlagsOverRecord: a flag for one preprocessing step is checked
// against that step of the .bnn's record, not the record: `--channel-order
// RGB` (the default) gives the accuracy the record gives, while a different
// --mean is refused.
func TestVerifyFlagsOverRecord(t *testing.T) {
	bnn := filepath.Join(t.TempDir(), "t.bnn")
	if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn, "--mean", "0.2860", "--std", "0.3530"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	top1 := func(flags ...string) float64 {
		t.Helper()
		code, out, errOut := run(t, append([]string{"verify", bnn, "--data", miniData, "--limit", "300", "--json"}, flags...)...)
		var rep struct{ Accuracy float64 }
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("%q: exit %d: %s", flags, code, errOut)
		}
		return rep.Accuracy
	}
	recorded := top1()
	if got := top1("--channel-order", "RGB"); got != recorded {
		t.Errorf("--channel-order RGB: top-1 %v, the record alone gives %v", got, recorded)
	}
	// A different --mean is refused (TestVerifyKeepsRecordedPreprocessing).
	if code, _, errOut := run(t, "verify", bnn, "--data", miniData, "--limit", "300", "--mean", "0.9"); code != ExitUsage {
		t.Errorf("--mean 0.9 over a record of 0.286: exit %d, want 2: %s", code, errOut)
	}
}

// TestVerifyReportSurvivesEditedCurve: the digest does not cover the
// training curve a .bnn carries (bnn.training), and verify --report
// panicked (exit 2, "index out of range") on one whose series do not pair
// up, never finished on one whose loss spans -1e308 to 1e308 (the plot's
// tick search loops on a span that overflows) and panicked on a flat one
// at 1e308 (widening it by ±1 leaves it flat); such a curve is left out,
// as one that is not JSON is, with a warning that says why.
func TestVerifyReportSurvivesEditedCurve(t *testing.T) {
	dir := t.TempDir()
	bnn := tinyBNN(t, dir)
	m, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	for _, curve := range []string{`{"loss":[1]}`, `{"steps":[0.5],"loss":[1,2]}`, `{"epochs":[1],"train_accuracy":[0.5,0.6]}`,
		`{"steps":[0,1],"loss":[-1.7e308,1.7e308]}`, `{"steps":[-1.7e308,1.7e308],"loss":[1,2]}`,
		`{"steps":[1.7e308,1.7e308],"loss":[1,1]}`, `{"steps":[0,1],"loss":[1e300,1e300]}`,
		`{"epochs":[9223372036854775807],"train_accuracy":[1]}`} {
		m.SetMetadata(pack.KeyTraining, curve)
		if err := onnx.WriteFile(bnn, m); err != nil {
			t.Fatal(err)
		}
		report := filepath.Join(dir, "r.html")
		code, _, errOut := run(t, "verify", bnn, "--data", miniData, "--limit", "20", "--report", report)
		if _, err := os.Stat(report); code != 0 || err != nil || !strings.Contains(errOut, "leaves out the training curve") {
			t.Errorf("curve %s: exit %d, report %v, want a warning: %s", curve, code, err, errOut)
		}
	}
}

// TestFileNamesReachTheTerminalClean: names an untrusted model carries (its
// producer, node names, op types) reach the terminal through inspect,
// bench and error messages with their control characters replaced; they
// went out raw, so inspecting a file could clear the screen or retitle the
// window. --json keeps them exact.
func TestFileNamesReachTheTerminalClean(t *testing.T) {
	dir := t.TempDir()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m.ProducerName = "evil\x1b]0;title\x07"
	for _, n := range m.Graph.Nodes {
		n.Name += "\x1b[2J\u009b31m"
	}
	evil := filepath.Join(dir, "evil.onnx")
	if err := onnx.WriteFile(evil, m); err != nil {
		t.Fatal(err)
	}
	firstOp(m, "Relu").OpType = "Nope\x1b[2J"
	unsupported := filepath.Join(dir, "unsupported.onnx")
	if err := onnx.WriteFile(unsupported, m); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"inspect", evil}, {"bench", evil, "--runs", "1", "--warmup", "0"},
		{"run", unsupported, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"}} {
		_, out, errOut := run(t, args...)
		if strings.ContainsAny(out+errOut, "\x1b\x07\u009b") || !strings.Contains(out+errOut, "?[2J") {
			t.Errorf("%q: control characters reached the terminal, or the names did not:\n%q\n%q", args, out, errOut)
		}
	}
	if _, out, _ := run(t, "inspect", evil, "--json"); !strings.Contains(out, `evil\u001b]0;title\u0007`) {
		t.Errorf("inspect --json changed the producer's name:\n%s", out)
	}
}

// TestVerifyNonFiniteLogits: a reference whose logits overflow to Inf gave
// a report verify wrote as HTML and then failed to print as JSON ("json:
// unsupported value: +Inf", exit 1 with the report in place); it is now an
// error naming the reference, before anything is written.
func TestVerifyNonFiniteLogits(t *testing.T) {
	dir := t.TempDir()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.Graph.Initializers {
		if w.Name == "fc.weight" {
			f := w.Data.([]float32)
			for i := range f {
				f[i] *= 1e38
			}
		}
	}
	ref := filepath.Join(dir, "overflow.onnx")
	if err := onnx.WriteFile(ref, m); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "r.html")
	code, out, errOut := run(t, "verify", testModel("fmnist_tiny.onnx"), "--ref", ref, "--data", miniData, "--limit", "20",
		"--mean", "0.2860", "--std", "0.3530", "--json", "--report", report)
	if code != ExitFailure || !strings.HasPrefix(out, `{"event":"error"`) || !strings.Contains(errOut, "reference gave a non-finite logit") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(report); err == nil {
		t.Error("the report was written")
	}
}
