package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

const fmnistDir = "/usr/share/datasets/fashion-mnist"

func testModel(name string) string {
	return filepath.Join("..", "..", "..", "testdata", "models", name)
}

// run executes the command line in-process and returns the exit code and
// the two streams.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func needFMNIST(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fmnistDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Fashion-MNIST missing: .ci/run installs the Debian package dataset-fashion-mnist")
		}
		t.Skip("Fashion-MNIST not installed (Debian package dataset-fashion-mnist)")
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := [][]string{
		{},
		{"only-one-arg.onnx"},
		{"a.onnx", "b.bnn", "--no-such-flag"},
		{"a.onnx", "b.bnn", "--scale", "bogus"},
		{"a.onnx", "b.bnn", "--max-drop", "2"},
		{"a.onnx", "b.bnn", "--calib", "x", "--data", "y"},
		{"run", "m.onnx"},
		{"verify", "m.bnn"},
		{"inspect"},
		// a C prefix that would shadow a standard header, or make PREFIX_run longer than C99's 31 characters
		{"export", "m.bnn", "--format", "c", "--out", "fw", "--prefix", "math"},
		{"export", "m.bnn", "--format", "c", "--out", "fw", "--prefix", strings.Repeat("p", 28)},
		// --prefix names C files and symbols: with another format it is refused, not ignored
		{"export", "m.bnn", "--format", "onnx", "--out", "m.onnx", "--prefix", "net"},
		// flags the model refutes: the count of --mean/--std values against its input channels
		{testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "b.bnn"), "--data", "testdata/none", "--mean", "0.1,0.2", "--std", "0.3"},
		{"verify", testModel("fmnist_tiny.onnx"), "--data", "testdata/none", "--mean", "0.1", "--std", "0.3,0.3,0.3"},
		// BGR reverses three channels: a one-channel model refutes it before any image is read
		{testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "b.bnn"), "--data", "testdata/none", "--channel-order", "BGR"},
		{"verify", testModel("fmnist_tiny.onnx"), "--data", "testdata/none", "--channel-order", "bgr"},
		{testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "b.bnn"), "--keep-float", "none,first"},
		{testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "b.bnn"), "--keep-float", "no_such_node"},
		// finetune does not verify: the flags that would gate or report are refused, not ignored
		{"finetune", testModel("fmnist_tiny.onnx"), "--data", "testdata/none", "--out", "x.onnx", "--min-accuracy", "0.9"},
		{"finetune", testModel("fmnist_tiny.onnx"), "--data", "testdata/none", "--out", "x.onnx", "--max-drop", "0.01"},
		{"finetune", testModel("fmnist_tiny.onnx"), "--data", "testdata/none", "--out", "x.onnx", "--report", "r.html"},
		{"finetune", testModel("fmnist_tiny.onnx"), "--data", "testdata/none", "--out", "x.onnx", "--val", "testdata/none"},
	}
	for _, args := range cases {
		code, _, errOut := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut)
		}
		// a usage error points at the help of the command it was in
		hint := "Run 'bincompress --help' for usage."
		if len(args) > 0 && slices.Contains([]string{"run", "verify", "inspect", "export", "finetune"}, args[0]) {
			hint = "Run 'bincompress " + args[0] + " --help' for usage."
		}
		if !strings.HasSuffix(errOut, hint+"\n") {
			t.Errorf("%q: stderr %q does not end with %q", args, errOut, hint)
		}
	}
}

// TestAnySizeAdvice: a model of any height and width is refused by every
// command that needs its size with advice that works there: pack and bench
// told to pass --center-crop, which they do not take, so the advice names
// the commands that do, and which those are is held to their flags.
func TestAnySizeAdvice(t *testing.T) {
	m := testModel("layout_dynhw.onnx")
	for _, args := range [][]string{{"pack", m, filepath.Join(t.TempDir(), "o.bnn")}, {"bench", m}, {m, filepath.Join(t.TempDir(), "o.bnn")}} {
		code, _, errOut := run(t, args...)
		if code != ExitFailure || !strings.Contains(errOut, "the main command, finetune and verify fix a model of any height and width") {
			t.Errorf("%q: exit %d, stderr %q; want exit 1 naming the commands that take --center-crop", args, code, errOut)
		}
	}
	root := newRootCmd(IO{Out: io.Discard, ErrOut: io.Discard})
	for _, c := range append(root.Commands(), root) {
		takes := c == root || c.Name() == "finetune" || c.Name() == "verify"
		if has := c.Flags().Lookup("center-crop") != nil; has != takes {
			t.Errorf("%s: --center-crop %v, but the advice says %v", c.Name(), has, takes)
		}
	}
	if code, _, errOut := run(t, m, filepath.Join(t.TempDir(), "o.bnn"), "--center-crop", "24"); code != 0 {
		t.Errorf("following the advice: exit %d (%q)", code, errOut)
	}
}

// TestMistypedCommand: "bincompress inpsect m.bnn" read inpsect as the
// model to compress and failed with "cannot read model" (exit 1); a first
// argument that is no file but close to a command's name is a usage error
// that names the command. A missing model is still exit 1.
func TestMistypedCommand(t *testing.T) {
	code, _, errOut := run(t, "inpsect", "m.bnn")
	if code != ExitUsage || !strings.Contains(errOut, `did you mean "bincompress inspect"`) {
		t.Errorf("inpsect: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "missing.onnx", filepath.Join(t.TempDir(), "m.bnn"))
	if code != ExitFailure || strings.Contains(errOut, "did you mean") {
		t.Errorf("missing model: exit %d, stderr %q", code, errOut)
	}
}

// TestUnknownHelpTopicExit2: cobra's help and completion commands printed
// help and exited 0 for a topic or shell they do not know, so a CI script's
// typo passed as success. They are usage errors like any other.
func TestUnknownHelpTopicExit2(t *testing.T) {
	for _, args := range [][]string{{"help", "nosuchcommand"}, {"help", "run", "extra"}, {"completion", "badshell"}} {
		code, out, errOut := run(t, args...)
		hint := "Run 'bincompress " + args[0] + " --help' for usage.\n"
		if code != ExitUsage || out != "" || !strings.Contains(errOut, args[len(args)-1]) || !strings.HasSuffix(errOut, hint) {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want exit 2, nothing on stdout, the word named and %q", args, code, len(out), errOut, hint)
		}
	}
	for _, args := range [][]string{{"help", "run"}, {"help"}, {"completion", "bash"}, {"completion"}} {
		if code, out, errOut := run(t, args...); code != ExitOK || out == "" {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q", args, code, len(out), errOut)
		}
	}
}

func TestHelpShowsExamples(t *testing.T) {
	for _, cmd := range [][]string{{"--help"}, {"inspect", "--help"}, {"run", "--help"}, {"verify", "--help"}} {
		code, out, _ := run(t, cmd...)
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("%q: exit %d, examples shown: %v", cmd, code, strings.Contains(out, "Examples:"))
		}
	}
}

func TestBadInputExit1NoOutput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.onnx")
	os.WriteFile(junk, []byte("this is not a protobuf at all \xff\xff\xff"), 0o644)
	truncated := filepath.Join(dir, "trunc.onnx")
	raw, err := os.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(truncated, raw[:len(raw)/2], 0o644)
	for _, in := range []string{junk, truncated, filepath.Join(dir, "missing.onnx")} {
		out := filepath.Join(dir, "out.bnn")
		code, _, errOut := run(t, in, out)
		if code != ExitFailure {
			t.Errorf("%s: exit %d, want 1 (stderr %q)", in, code, errOut)
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || !strings.Contains(errOut, filepath.Base(in)) && !strings.Contains(errOut, "onnx") {
			t.Errorf("%s: want a one-line error naming the problem, got %q", in, errOut)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("%s: a failed run left files behind: %v", in, entries)
		}
	}
}

func TestBinarizeInspectRun(t *testing.T) {
	dir := t.TempDir()
	bnn := filepath.Join(dir, "tiny.bnn")
	code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "UNVERIFIED") {
		t.Errorf("binarizing without data must say accuracy is unverified; stderr %q", errOut)
	}
	code, out, errOut := run(t, "inspect", bnn, "--json")
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, errOut)
	}
	var s ModelSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	if s.Artifact == nil || len(s.Artifact.Layers) == 0 {
		t.Fatalf("inspect of a .bnn lists no layers: %s", out)
	}
	var weights int64
	for _, l := range s.Artifact.Layers {
		if !l.Binarized && l.Reason == "" {
			t.Errorf("layer %s kept float without a reason", l.Node)
		}
		weights += int64(ir.NumElements(l.Shape))
	}
	// Binary weights count one each, not one per uint64 word of 64.
	if s.Parameters < weights {
		t.Errorf("inspect --json: %d parameters, fewer than the layers' %d weights", s.Parameters, weights)
	}
	if _, out, _ := run(t, "inspect", bnn); !regexp.MustCompile(fmt.Sprintf(`(?m)^parameters +%d$`, s.Parameters)).MatchString(out) {
		t.Errorf("inspect does not print the %d parameters of --json:\n%s", s.Parameters, out)
	}
	y := filepath.Join(dir, "y.npy")
	code, out, errOut = run(t, "run", bnn, "--input", testModel("fmnist_tiny.input.npy"), "--output", y, "--top", "3")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	a, err := npy.ReadFile(y)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 2 || a.Shape[1] != 10 || strings.Count(out, "\n") != a.Shape[0] {
		t.Errorf("run wrote shape %v and printed %q", a.Shape, out)
	}
}

// TestRunMatchesPyTorch runs a float model through `run` and compares with
// the logits PyTorch computed at export time.
func TestRunMatchesPyTorch(t *testing.T) {
	y := filepath.Join(t.TempDir(), "y.npy")
	code, _, errOut := run(t, "run", testModel("resnet20_cifar_op17.onnx"), "--input", testModel("resnet20_cifar_op17.input.npy"), "--output", y)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := npy.ReadFile(y)
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.ReadFile(testModel("resnet20_cifar_op17.torch_output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	g, w := got.Data.([]float32), want.Data.([]float32)
	if len(g) != len(w) {
		t.Fatalf("got %d values, want %d", len(g), len(w))
	}
	for i := range g {
		if d := g[i] - w[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("value %d: %v vs PyTorch %v", i, g[i], w[i])
		}
	}
}

// TestDeterministicAcrossThreads: same inputs and seed, byte-identical .bnn
// at GOMAXPROCS 1, 2 and 4, with a short fine-tune.
func TestDeterministicAcrossThreads(t *testing.T) {
	needFMNIST(t)
	sameBNNAcrossThreads(t, testModel("fmnist_tiny.onnx"), "--data", fmnistDir, "--limit", "300",
		"--epochs", "1", "--batch-size", "50", "--mean", "0.2860", "--std", "0.3530", "--seed", "7")
}

// TestEndToEndGate fine-tunes the testdata fp32 model on a Fashion-MNIST
// subset, verifies on test images, and checks the gate both ways.
func TestEndToEndGate(t *testing.T) {
	needFMNIST(t)
	dir := t.TempDir()
	bnn := filepath.Join(dir, "tiny.bnn")
	common := []string{"--data", fmnistDir, "--limit", "1000", "--mean", "0.2860", "--std", "0.3530", "--seed", "1"}
	code, out, errOut := run(t, append([]string{testModel("fmnist_tiny.onnx"), bnn, "--epochs", "1", "--batch-size", "64",
		"--max-drop", "0.6", "--json"}, common...)...)
	if code != 0 {
		t.Fatalf("compress: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var events []string
	for _, l := range lines[:len(lines)-1] {
		var ev struct{ Event string }
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("--json log line %q: %v", l, err)
		}
		events = append(events, ev.Event)
	}
	if strings.Join(events, ",") != "float,binarized,reestimated,epoch,done" {
		t.Errorf("--json training events %v", events)
	}
	var sum CompressSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Event != "summary" {
		t.Fatalf("--json summary line: %v\n%s", err, out)
	}
	if sum.Verify == nil || !sum.Verify.Passed || sum.Unverified || sum.Verify.Images != 1000 {
		t.Fatalf("the main command did not verify: %s", out)
	}
	acc := sum.Verify.Accuracy
	for _, png := range []string{"tiny.loss.png", "tiny.accuracy.png"} {
		if fi, err := os.Stat(filepath.Join(dir, png)); err != nil || fi.Size() < 1000 {
			t.Errorf("training curve %s missing or empty: %v", png, err)
		}
	}
	if acc < 0.3 {
		t.Errorf("accuracy after a short fine-tune is %.3f; want well above chance (0.1)", acc)
	}
	// The report travels in the .bnn; inspect shows it.
	_, inspectOut, _ := run(t, "inspect", bnn)
	if !strings.Contains(inspectOut, "verify report") {
		t.Error("inspect does not show the verify report stored in the .bnn")
	}
	verifyArgs := []string{"verify", bnn, "--data", fmnistDir, "--limit", "1000", "--ref", testModel("fmnist_tiny.onnx"), "--json"}
	code, out, errOut = run(t, append(verifyArgs, "--max-drop", "0.6")...)
	if code != 0 {
		t.Fatalf("verify with a loose gate: exit %d: %s", code, errOut)
	}
	var rep struct {
		Accuracy float64 `json:"accuracy"`
		Passed   bool    `json:"passed"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Accuracy != acc {
		t.Errorf("verify (preprocessing from metadata) found accuracy %v, the main command %v (%v)", rep.Accuracy, acc, err)
	}
	code, out, _ = run(t, append(verifyArgs, "--min-accuracy", "0.99", "--report", filepath.Join(dir, "r.html"))...)
	if code != ExitGate || !strings.Contains(out, `"passed": false`) {
		t.Errorf("verify with a strict gate: exit %d, want %d; %s", code, ExitGate, out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil || !strings.Contains(string(page), "data:image/png;base64,") {
		t.Errorf("no HTML report with the training curves embedded: %v", err)
	}
}

func TestVerifyRejectsMismatchedData(t *testing.T) {
	needFMNIST(t)
	// A CIFAR-shaped model cannot evaluate 28x28 Fashion-MNIST images.
	code, _, errOut := run(t, "verify", testModel("resnet20_cifar_op17.onnx"), "--data", fmnistDir, "--limit", "10")
	if code != ExitFailure || !strings.Contains(errOut, "wants") {
		t.Errorf("exit %d, stderr %q; want 1 and a message about the shape", code, errOut)
	}
	code, _, errOut = run(t, "verify", testModel("fmnist_tiny.onnx"), "--data", fmnistDir, "--limit", "10",
		"--ref", testModel("resnet20_cifar_op17.onnx"))
	if code != ExitFailure || !strings.Contains(errOut, "reference") {
		t.Errorf("reference with another input shape: exit %d, stderr %q", code, errOut)
	}
	empty := t.TempDir()
	code, _, errOut = run(t, "verify", testModel("fmnist_tiny.onnx"), "--data", empty)
	if code != ExitFailure {
		t.Errorf("empty data: exit %d (%q)", code, errOut)
	}
}

func TestExportFormats(t *testing.T) {
	dir := t.TempDir()
	bnn := filepath.Join(dir, "tiny.bnn")
	if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, _, _ := run(t, "export", bnn, "--format", "tflite", "--out", dir); code != ExitUsage {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
	for _, f := range []string{"onnx", "onnx-packed", "qonnx"} {
		out := filepath.Join(dir, f+".onnx")
		if code, _, errOut := run(t, "export", bnn, "--format", f, "--out", out); code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut)
		}
		// Every export is an ONNX model our executor runs.
		if code, _, errOut := run(t, "run", out, "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"); code != 0 {
			t.Errorf("run %s export: exit %d: %s", f, code, errOut)
		}
	}
	cdir := filepath.Join(dir, "c")
	if code, _, errOut := run(t, "export", bnn, "--format", "c", "--out", cdir, "--prefix", "tiny"); code != 0 {
		t.Fatalf("c: exit %d: %s", code, errOut)
	}
	for _, f := range []string{"tiny.h", "tiny.c"} {
		if _, err := os.Stat(filepath.Join(cdir, f)); err != nil {
			t.Error(err)
		}
	}
	// The folder is created, not its parent, as --help says.
	if code, _, errOut := run(t, "export", bnn, "--format", "c", "--out", filepath.Join(dir, "missing", "c")); code != ExitFailure {
		t.Errorf("--out in a missing folder: exit %d, want 1 (%s)", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Error("a failed export created the parent folder")
	}
	if _, out, _ := run(t, "export", "--help"); !strings.Contains(out, "folder is created when missing,\n             but its parent must exist") {
		t.Errorf("export --help does not say the parent must exist:\n%s", out)
	}
}

// TestExportErrorsNameTheModel: export's own refusals name the model file
// (exit 1, one line); the float ONNX model given instead of its .bnn also
// gets the command that makes the .bnn, and nothing is written.
func TestExportErrorsNameTheModel(t *testing.T) {
	dir := t.TempDir()
	src := testModel("fmnist_tiny.onnx")
	bnn := filepath.Join(dir, "tiny.bnn")
	if code, _, errOut := run(t, src, bnn); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	// A second output, an intermediate tensor: beyond the C target.
	b.Graph.Outputs = append(b.Graph.Outputs, &ir.ValueInfo{Name: b.Graph.Nodes[0].Outputs[0], DType: ir.Float32})
	b.SetMetadata(pack.KeyDigest, pack.Digest(b))
	two := filepath.Join(dir, "two.bnn")
	if err := onnx.WriteFile(two, b); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"export", src, "--format", "onnx", "--out", filepath.Join(dir, "x.onnx")},
			[]string{src + ": ", "not a .bnn", "bincompress " + src + " OUT.bnn"}},
		{[]string{"export", src, "--format", "c", "--out", filepath.Join(dir, "fw")},
			[]string{src + ": ", "not a .bnn", "bincompress " + src + " OUT.bnn"}},
		{[]string{"export", two, "--format", "c", "--out", filepath.Join(dir, "fw")}, []string{two + ": ", "one output"}},
		// a missing folder is named: for --format c the parent of the new folder
		{[]string{"export", bnn, "--format", "c", "--out", filepath.Join(dir, "nop", "a", "fw")},
			[]string{"folder " + filepath.Join(dir, "nop", "a") + " does not exist"}},
		{[]string{"export", bnn, "--format", "onnx", "--out", filepath.Join(dir, "nop") + "/"},
			[]string{"folder " + filepath.Join(dir, "nop") + " does not exist"}},
	}
	for _, c := range cases {
		code, _, errOut := run(t, c.args...)
		msg := strings.TrimSpace(errOut)
		if code != ExitFailure || strings.Contains(msg, "\n") {
			t.Errorf("%q: exit %d, stderr %q; want 1 and one line", c.args, code, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: stderr %q lacks %q", c.args, msg, w)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("a failed export left files behind: %v", entries)
	}
}

// TestBenchLimitAtItsBatch: bench checks the element limit at its --batch,
// the shapes it allocates, so a refusal names a shape at that batch, not
// at batch 1.
func TestBenchLimitAtItsBatch(t *testing.T) {
	code, _, errOut := run(t, "bench", testModel("fmnist_tiny.onnx"), "--batch", "2", "--max-elements", "1000", "--runs", "1", "--warmup", "0")
	if code != ExitFailure || !strings.Contains(errOut, "at --batch 2") || !strings.Contains(errOut, "of shape [2 ") {
		t.Errorf("exit %d, stderr %q; want 1 and an over-limit shape at batch 2", code, errOut)
	}
}

// TestDeviceFlag: without a GPU, --device cuda fails naming what is missing
// and --device auto falls back to the CPU with one log line.
func TestDeviceFlag(t *testing.T) {
	if _, err := os.Stat("/dev/nvidia0"); err == nil {
		t.Skip("a GPU is present: this test covers GPU-less machines")
	}
	data := filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")
	out := filepath.Join(t.TempDir(), "m.bnn")
	args := []string{testModel("fmnist_tiny.onnx"), out, "--data", data, "--limit", "100", "--epochs", "0"}
	code, _, errOut := run(t, append(args, "--device", "cuda")...)
	if code != ExitFailure || !strings.Contains(errOut, "libcuda") {
		t.Errorf("--device cuda without a GPU: exit %d, stderr %q; want 1 naming libcuda", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("--device cuda failed but left an output file")
	}
	if code, _, _ := run(t, append(args, "--device", "tpu")...); code != ExitUsage {
		t.Errorf("--device tpu: exit %d, want 2", code)
	}
	code, _, errOut = run(t, append(args, "--device", "auto")...)
	if code != 0 || strings.Count(errOut, "device auto: using the CPU") != 1 {
		t.Errorf("--device auto: exit %d, stderr %q", code, errOut)
	}
}

// TestNoTestSplitSaysSo: training data without a test split leaves the
// accuracy unverified, and the warning says that the data lacks the split
// and how to give one, not that --data is missing.
func TestNoTestSplitSaysSo(t *testing.T) {
	dir := t.TempDir()
	writeSyntheticData(t, dir, []int{1, 28, 28})
	for _, f := range []string{"x_test.npy", "y_test.npy"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "m.bnn"), "--data", dir, "--epochs", "0")
	if code != 0 || !strings.Contains(errOut, "UNVERIFIED: "+dir+" has no test split") || !strings.Contains(errOut, "--val") ||
		strings.Contains(errOut, "pass --data") || strings.Contains(errOut, "the test split only verifies") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestRunRefusesRawPixels: run takes a preprocessed float batch; a uint8
// batch (raw pixels, most likely) is refused naming the file and its type,
// and nothing is written.
func TestRunRefusesRawPixels(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(x, &npy.Array{Shape: []int{1, 1, 28, 28}, DType: "uint8", Data: make([]uint8, 28*28)}); err != nil {
		t.Fatal(err)
	}
	y := filepath.Join(dir, "y.npy")
	code, _, errOut := run(t, "run", testModel("fmnist_tiny.onnx"), "--input", x, "--output", y)
	if code != ExitFailure || !strings.Contains(errOut, "x.npy holds uint8") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(y); err == nil {
		t.Error("run wrote an output")
	}
}

// TestRunRefusesScalar: a 0-d array (np.save of a number) is said to be a
// scalar, not an empty batch.
func TestRunRefusesScalar(t *testing.T) {
	x := filepath.Join(t.TempDir(), "x.npy")
	if err := npy.WriteFile(x, &npy.Array{Shape: []int{}, DType: "float32", Data: []float32{0.5}}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "run", testModel("fmnist_tiny.onnx"), "--input", x, "--top", "1")
	if code != ExitFailure || !strings.Contains(errOut, "x.npy holds a scalar") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestRunNamesTheBatchOfTheWrongShape: a batch the model refuses (a 1-D
// array, an NHWC batch for an NCHW model) is named with its shape.
func TestRunNamesTheBatchOfTheWrongShape(t *testing.T) {
	x := filepath.Join(t.TempDir(), "flat.npy")
	if err := npy.WriteFile(x, &npy.Array{Shape: []int{784}, DType: "float32", Data: make([]float32, 784)}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "run", testModel("fmnist_tiny.onnx"), "--input", x, "--top", "1")
	if code != ExitFailure || !strings.Contains(errOut, "on "+x+": ") || !strings.Contains(errOut, "[784]") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestInspectShowsThePlan: inspect of an ONNX model lists the layers under
// the names --keep-float takes, binary or float exactly as the main
// command with its defaults then packs them.
func TestInspectShowsThePlan(t *testing.T) {
	for _, model := range []string{"fmnist_tiny.onnx", "resnet20_cifar_op17.onnx"} {
		code, out, errOut := run(t, "inspect", testModel(model), "--json")
		var onnxSum ModelSummary
		if code != 0 || json.Unmarshal([]byte(out), &onnxSum) != nil || len(onnxSum.Plan) == 0 {
			t.Fatalf("%s: inspect: exit %d, %s", model, code, errOut)
		}
		bnn := filepath.Join(t.TempDir(), "m.bnn")
		if code, _, errOut := run(t, testModel(model), bnn); code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, errOut)
		}
		_, out, _ = run(t, "inspect", bnn, "--json")
		var bnnSum ModelSummary
		if err := json.Unmarshal([]byte(out), &bnnSum); err != nil || len(bnnSum.Layers) != len(onnxSum.Plan) {
			t.Fatalf("%s: the .bnn has %d layers, the plan %d (%v)", model, len(bnnSum.Layers), len(onnxSum.Plan), err)
		}
		for i, l := range onnxSum.Plan {
			if got := bnnSum.Layers[i]; got.Node != l.Node || got.Binarized != l.Binarized {
				t.Errorf("%s: plan %s binarized=%v, the .bnn %s binarized=%v", model, l.Node, l.Binarized, got.Node, got.Binarized)
			}
		}
	}
}

// TestLabelsReachTheTerminalClean: class names a .bnn carries reach the
// terminal (run --top) with their control characters replaced.
func TestLabelsReachTheTerminalClean(t *testing.T) {
	m := &ir.Model{Graph: &ir.Graph{}}
	m.SetMetadata(pack.KeyLabels, `["cat","\u001b[2Jdog\u0007"]`)
	if got := modelLabels(m); len(got) != 2 || got[0] != "cat" || got[1] != "?[2Jdog?" {
		t.Errorf("labels %q", got)
	}
}

// TestEpochsZeroIsNotFineTuned: --epochs 0 only re-estimates BN, and the
// summary says so (it said fine_tuned: true).
func TestEpochsZeroIsNotFineTuned(t *testing.T) {
	code, out, errOut := run(t, testModel("fmnist_tiny.onnx"), filepath.Join(t.TempDir(), "m.bnn"),
		"--data", miniData, "--limit", "100", "--epochs", "0", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum CompressSummary
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if sum.FineTuned || len(sum.Epochs) != 0 {
		t.Errorf("--epochs 0: fine_tuned %v with %d epochs", sum.FineTuned, len(sum.Epochs))
	}
}

// TestFinetuneJSONSummary: finetune --json ends, as --help says, with a
// summary line: the plan, the epochs and the output, nothing verified; its
// size_ratio is the output's size over the source's (it said 0).
func TestFinetuneJSONSummary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tuned.onnx")
	code, stdout, errOut := run(t, "finetune", testModel("fmnist_tiny.onnx"), "--data", miniData, "--limit", "200",
		"--epochs", "1", "--out", out, "--json")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum CompressSummary
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil {
		t.Fatalf("exit %d, last line %q: %s", code, lines[len(lines)-1], errOut)
	}
	if sum.Event != "summary" || sum.Output != out || !sum.FineTuned || len(sum.Epochs) != 1 || len(sum.Layers) == 0 ||
		sum.Binarized == 0 || !sum.Unverified || sum.OutputBytes == 0 {
		t.Errorf("summary %+v", sum)
	}
	if want := float64(sum.OutputBytes) / float64(sum.SourceBytes); sum.SourceBytes == 0 || sum.SizeRatio != want {
		t.Errorf("size_ratio %v, want output_bytes/source_bytes = %d/%d", sum.SizeRatio, sum.OutputBytes, sum.SourceBytes)
	}
}

// TestVerifyRefMustBeTheSource: a .bnn records its source's SHA-256; a --ref
// that is another model (here a weaker one, which would let --max-drop pass)
// is refused with exit 1 naming both files, and the true source is accepted.
func TestVerifyRefMustBeTheSource(t *testing.T) {
	needFMNIST(t)
	bnn := tinyBNN(t, t.TempDir())
	args := []string{"verify", bnn, "--data", fmnistDir, "--limit", "20", "--max-drop", "0.99"}
	code, _, errOut := run(t, append(args, "--ref", testModel("fmnist_resnet20.onnx"))...)
	if code != ExitFailure || !strings.Contains(errOut, "not the source model of") || !strings.Contains(errOut, "fmnist_resnet20.onnx") {
		t.Errorf("another model as --ref: exit %d, stderr %q; want 1 and a message naming it", code, errOut)
	}
	if code, _, errOut := run(t, append(args, "--ref", testModel("fmnist_tiny.onnx"))...); code != 0 {
		t.Errorf("the source as --ref: exit %d: %s", code, errOut)
	}
}

// TestVerifyKeepsRecordedPreprocessing: flags may repeat a .bnn's recorded
// preprocessing but not change it (exit 2, naming the flag and the record):
// feeding both the .bnn and its reference other inputs made --max-drop
// measure two wrongly fed models, and pass where the recorded one fails.
// A resize the record lacks is added with a warning.
func TestVerifyKeepsRecordedPreprocessing(t *testing.T) {
	needFMNIST(t)
	dir := t.TempDir()
	bnn := filepath.Join(dir, "n.bnn")
	if code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), bnn, "--data", fmnistDir, "--limit", "50", "--epochs", "1", "--mean", "0.2860", "--std", "0.3530"); code != 0 {
		t.Fatalf("compress: exit %d: %s", code, errOut)
	}
	args := []string{"verify", bnn, "--data", fmnistDir, "--limit", "20", "--ref", testModel("fmnist_tiny.onnx"), "--max-drop", "0.99"}
	// (--channel-order BGR, the third flag that could change this record,
	// is refused for a one-channel model before: TestUsageErrorsExit2)
	for _, flags := range [][]string{{"--mean", "0", "--std", "1"}, {"--std", "0.5"}, {"--mean", "0.5"}} {
		code, _, errOut := run(t, append(args, flags...)...)
		if code != ExitUsage || !strings.Contains(errOut, flags[0]+" changes the preprocessing") || !strings.Contains(errOut, "bnn.preprocess") {
			t.Errorf("%q: exit %d, stderr %q; want 2 naming the flag and the record", flags, code, errOut)
		}
	}
	if code, _, errOut := run(t, append(args, "--mean", "0.2860", "--std", "0.3530", "--channel-order", "RGB")...); code != 0 {
		t.Errorf("flags repeating the record: exit %d: %s", code, errOut)
	}
	code, _, errOut := run(t, append(args, "--resize", "32", "--center-crop", "28")...)
	if code != 0 || !strings.Contains(errOut, "records no resize step") {
		t.Errorf("an added resize: exit %d, stderr %q; want 0 and a warning", code, errOut)
	}
}

// TestVerifyRefOtherLayout: a reference taking the model's image size in
// the other layout is refused naming both layouts, not the same shape
// twice.
func TestVerifyRefOtherLayout(t *testing.T) {
	code, _, errOut := run(t, "verify", testModel("layout_nchw.onnx"), "--data", "testdata/none", "--ref", testModel("layout_nhwc.onnx"))
	if code != ExitFailure || !strings.Contains(errOut, "3x20x20 NHWC") || !strings.Contains(errOut, "3x20x20 NCHW") {
		t.Errorf("exit %d, stderr %q; want 1 naming both layouts", code, errOut)
	}
}

// TestVerifyRefMustNotBeDerived: with MODEL and --ref swapped (the source
// as MODEL, the .bnn as --ref), the drop came out negative and --max-drop
// 0.01 passed (exit 0) a .bnn 62 points worse than its source (0.29 vs
// 0.91 on 300 Fashion-MNIST images); a --ref that is a .bnn, or
// records a source, is refused with exit 2, also when MODEL is a .bnn too
// (that was exit 1, "not the source model", since the recorded source was
// compared first).
func TestVerifyRefMustNotBeDerived(t *testing.T) {
	needFMNIST(t)
	bnn := tinyBNN(t, t.TempDir())
	for _, model := range []string{testModel("fmnist_tiny.onnx"), bnn} {
		code, _, errOut := run(t, "verify", model, "--ref", bnn, "--data", fmnistDir, "--limit", "20", "--max-drop", "0.01")
		if code != ExitUsage || !strings.Contains(errOut, "is a compressed or fine-tuned model") || !strings.Contains(errOut, bnn) {
			t.Errorf("%s against a .bnn as --ref: exit %d, stderr %q; want 2 naming it", model, code, errOut)
		}
	}
}

// A pipeline that reads stdout as JSON gets a document on failure too: the
// last stdout line is {"event": "error"} with the exit code and the message
// stderr carries, and without --json stdout stays empty.
func TestJSONOnFailure(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	cases := []struct {
		args []string
		code int
		want string // in the error
	}{
		{[]string{"verify", testModel("fmnist_tiny.onnx"), "--data", missing, "--json"}, ExitFailure, missing},
		{[]string{testModel("fmnist_tiny.onnx"), filepath.Join(dir, "o.bnn"), "--data", missing, "--json"}, ExitFailure, missing},
		{[]string{"inspect", missing, "--json"}, ExitFailure, missing},
		{[]string{"verify", testModel("fmnist_tiny.onnx"), "--data", dir, "--max-drop", "2", "--json"}, ExitUsage, "--max-drop"},
		// parsing stops at the unknown flag, before --json
		{[]string{"verify", testModel("fmnist_tiny.onnx"), "--no-such-flag", "--json"}, ExitUsage, "no-such-flag"},
	}
	for _, c := range cases {
		code, stdout, stderr := run(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d; stderr %q", c.args, code, c.code, stderr)
			continue
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		var doc struct {
			Event    string `json:"event"`
			ExitCode int    `json:"exit_code"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &doc); err != nil {
			t.Errorf("%v: stdout's last line is not JSON: %v; stdout %q", c.args, err, stdout)
			continue
		}
		if doc.Event != "error" || doc.ExitCode != c.code || !strings.Contains(doc.Error, c.want) || !strings.Contains(stderr, doc.Error) {
			t.Errorf("%v: error document %+v, want exit %d naming %q, as stderr %q", c.args, doc, c.code, c.want, stderr)
		}
		plain := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return a == "--json" })
		if _, stdout, _ := run(t, plain...); stdout != "" {
			t.Errorf("%v: stdout %q without --json, want nothing", plain, stdout)
		}
	}
}

// TestPanicIsAFailure: a panic in a command (a bug) was exit 2, the code
// of a usage error, with a bare stack trace. Main's commands run through
// guard: the panic becomes an error that says it is a bug, exit 1, after
// the command's deferred clean-up has run.
func TestPanicIsAFailure(t *testing.T) {
	cleaned := false
	err := guard(func(*cobra.Command, []string) error {
		defer func() { cleaned = true }()
		var m map[string]int
		m["x"]++ // a nil map: a real runtime panic
		return nil
	})(&cobra.Command{}, nil)
	if err == nil || !strings.Contains(err.Error(), "internal error, a bug in bincompress") || !strings.Contains(err.Error(), "nil map") {
		t.Fatalf("error %v, want one that names the panic as a bug", err)
	}
	if code := exitCode(err); code != ExitFailure || !cleaned {
		t.Errorf("exit %d, deferred clean-up ran %v; want exit %d after it", code, cleaned, ExitFailure)
	}
	if err := guard(func(*cobra.Command, []string) error { return usagef("bad") })(&cobra.Command{}, nil); exitCode(err) != ExitUsage {
		t.Errorf("an error passes through guard as %v, exit %d", err, exitCode(err))
	}
}

// TestInspectUnknownBNNVersion: a .bnn of a format version this reader
// does not know is described as the ONNX model it also is (inputs, ops),
// with a note (artifact_error under --json) that its version is unknown,
// exit 0 as for an ONNX model the main command refuses; it was refused
// outright, describing nothing.
func TestInspectUnknownBNNVersion(t *testing.T) {
	dir := t.TempDir()
	bnn := filepath.Join(dir, "tiny.bnn")
	if code, _, errOut := run(t, "pack", testModel("fmnist_tiny.onnx"), bnn); code != 0 {
		t.Fatalf("pack: exit %d: %s", code, errOut)
	}
	m, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	m.SetMetadata(pack.KeyFormatVersion, "3")
	v3 := filepath.Join(dir, "v3.bnn")
	if err := onnx.WriteFile(v3, m); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "inspect", v3)
	if code != 0 || !strings.Contains(out, "unknown version") || !strings.Contains(out, `format version "3"`) || !regexp.MustCompile(`(?m)^input +\S+ float32`).MatchString(out) {
		t.Errorf("inspect: exit %d, stdout %q, stderr %q; want the ONNX part and a note of the unknown version", code, out, errOut)
	}
	code, out, errOut = run(t, "inspect", v3, "--json")
	var s ModelSummary
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || !strings.Contains(s.ArtifactError, "unsupported .bnn version") || len(s.Inputs) != 1 || s.Nodes == 0 || s.Artifact != nil {
		t.Errorf("inspect --json: exit %d (%v), summary %+v, stderr %q", code, err, s, errOut)
	}
	// Other damage is still refused: a digest that does not match.
	m.SetMetadata(pack.KeyFormatVersion, pack.FormatVersion)
	m.SetMetadata(pack.KeyPreprocess, `{"mean":[0.9]}`)
	bad := filepath.Join(dir, "bad.bnn")
	if err := onnx.WriteFile(bad, m); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := run(t, "inspect", bad); code != ExitFailure {
		t.Errorf("an edited .bnn: exit %d, want 1", code)
	}
}
