package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/verify"
)

var fmnistMini = filepath.Join("..", "..", "..", "testdata", "data", "fmnist-mini")

// summaryOf parses the last line of a --json log.
func summaryOf(t *testing.T, out string) CompressSummary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum CompressSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Event != "summary" {
		t.Fatalf("--json summary line: %v\n%s", err, out)
	}
	return sum
}

// TestKeepFloatAuto runs --keep-float auto on a tiny budget: every
// binarizable layer gets a measured sensitivity and its bytes; a budget
// nothing meets tries plans keeping more layers float, fewest bytes first,
// within the size bound, then exits 3 with the plan of the smallest
// held-out drop written and its table in the JSON, in inspect and in the
// HTML report; the measurement shows as progress; a loose budget is met by the first plan, all binary.
func TestKeepFloatAuto(t *testing.T) {
	dir := t.TempDir()
	bnn, page := filepath.Join(dir, "auto.bnn"), filepath.Join(dir, "auto.html")
	args := []string{testModel("fmnist_tiny.onnx"), bnn, "--data", fmnistMini, "--limit", "500", "--mean", "0.2860", "--std", "0.3530",
		"--epochs", "1", "--batch-size", "50", "--seed", "3", "--keep-float", "auto", "--json", "--report", page}
	code, out, errOut := run(t, append(args, "--max-drop", "0")...)
	if code != ExitGate || !strings.Contains(errOut, "out of reach") || !strings.Contains(errOut, "no plan met --max-drop on the held-out images") {
		t.Fatalf("an unreachable budget: exit %d, want %d and the held-out images named as the cause: %s", code, ExitGate, errOut)
	}
	// The sensitivity measurement reports through the CLI's progress, one
	// unit per layer, ended before the next phase's log line.
	sens, ref := strings.Index(errOut, "layer sensitivity: done, 10/10 layers"), strings.Index(errOut, "the drops are taken from it")
	if sens < 0 || ref < sens {
		t.Errorf("no sensitivity progress before the source model's held-out accuracy:\n%s", errOut)
	}
	sum := summaryOf(t, out)
	auto := sum.KeepFloatAuto
	if auto == nil || auto.Reached || len(auto.Rounds) < 2 || len(auto.Rounds[0].Float) != 0 || auto.FloatHoldoutAccuracy <= 0.1 {
		t.Fatalf("auto report %+v", auto)
	}
	var floatBytes int64
	for i, r := range auto.Rounds {
		if len(r.Float) != i || r.SizeRatio > 1.25 || (i > 0 && r.SizeRatio <= auto.Rounds[i-1].SizeRatio) {
			t.Errorf("round %d %+v: each round keeps one more layer float, within 1.25x", i, r)
		}
		// Each drop comes with its standard error on the 50 held-out
		// images: above zero (the models disagree on some), at most 1/√50.
		if se := r.HoldoutDropStdErr; se == nil || *se <= 0 || *se > 1/math.Sqrt(50) {
			t.Errorf("round %d: held-out drop %v, standard error %v", i, r.HoldoutDrop, se)
		}
	}
	if !strings.Contains(errOut, "held-out drop") || !strings.Contains(errOut, " ± ") {
		t.Errorf("the log gives no round's drop with its standard error:\n%s", errOut)
	}
	best := 0
	for i, r := range auto.Rounds {
		if r.HoldoutDrop < auto.Rounds[best].HoldoutDrop {
			best = i
		}
	}
	if auto.WrittenRound != best+1 {
		t.Errorf("round %d written, round %d has the smallest held-out drop: %+v", auto.WrittenRound, best+1, auto.Rounds)
	}
	written := auto.Rounds[best].Float
	for _, l := range sum.Layers {
		if l.Sensitivity == nil || l.FloatBytes <= l.BinaryBytes || l.BinaryBytes == 0 {
			t.Errorf("layer %s: sensitivity %v, bytes %d float / %d binary", l.Node, l.Sensitivity, l.FloatBytes, l.BinaryBytes)
		}
		kept := strings.Contains(l.Reason, "--keep-float auto")
		if kept != !l.Binarized || kept != slices.Contains(written, l.Node) {
			t.Errorf("layer %s: binarized %v, reason %q; the written plan keeps %v float", l.Node, l.Binarized, l.Reason, written)
		}
		if kept {
			floatBytes += l.FloatBytes
		}
	}
	if sum.KeptFloat != len(written) || (len(written) > 0) != (floatBytes > 0) {
		t.Errorf("%d layers kept float, the written plan keeps %v", sum.KeptFloat, written)
	}
	_, inspectOut, _ := run(t, "inspect", bnn)
	if !strings.Contains(inspectOut, "sensitivity") || !strings.Contains(inspectOut, " pt") || !strings.Contains(inspectOut, "kept float by --keep-float auto") {
		t.Errorf("inspect lacks the sensitivity table:\n%s", inspectOut)
	}
	html, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(html), "<h2>Layers</h2>") || !strings.Contains(string(html), sum.Layers[0].Node) {
		t.Errorf("the HTML report lacks the layer table: %v", err)
	}

	code, out, errOut = run(t, append(args, "--max-drop", "0.9")...)
	if code != 0 {
		t.Fatalf("a loose budget: exit %d: %s", code, errOut)
	}
	sum = summaryOf(t, out)
	if a := sum.KeepFloatAuto; a == nil || !a.Reached || len(a.Rounds) != 1 || len(a.Rounds[0].Float) != 0 || a.WrittenRound != 1 {
		t.Fatalf("a loose budget: auto report %+v", a)
	}
	// The JSON says which images decided: 10 % of the 500 training images.
	h, kept := sum.Holdout, 0
	for _, s := range sum.Snapshots {
		if s.Kept {
			kept++
		}
	}
	if h == nil || h.Images != 50 || h.TrainImages != 450 || h.Seed != 3 || !strings.Contains(h.Rule, "held out") || kept != 1 {
		t.Errorf("holdout %+v, snapshots %+v", h, sum.Snapshots)
	}
	if code, _, errOut := run(t, args...); code != ExitUsage || !strings.Contains(errOut, "--max-drop") {
		t.Errorf("auto without --max-drop: exit %d: %s", code, errOut)
	}
	// finetune fails the same unreachable budget as the main command, its
	// checkpoint written.
	ckpt := filepath.Join(dir, "auto.onnx")
	code, _, errOut = run(t, "finetune", testModel("fmnist_tiny.onnx"), "--out", ckpt, "--data", fmnistMini, "--limit", "500",
		"--mean", "0.2860", "--std", "0.3530", "--epochs", "1", "--batch-size", "50", "--seed", "3", "--keep-float", "auto", "--max-drop", "0")
	if _, err := os.Stat(ckpt); code != ExitGate || err != nil || !strings.Contains(errOut, "out of reach") {
		t.Errorf("finetune with an unreachable budget: exit %d (%v), want %d: %s", code, err, ExitGate, errOut)
	}
}

// TestHoldoutData: --holdout-data decides with a data set of the user's
// own, and every training image trains; the JSON and the log name it, the
// log no longer says the source trained on it, and --keep-float auto's
// method says what its drop is. It excludes --holdout, needs --data, may
// not be the data that verifies, and is an input no output may replace.
func TestHoldoutData(t *testing.T) {
	dir := t.TempDir()
	held := filepath.Join(dir, "held")
	if err := os.Mkdir(held, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join(fmnistMini, name))
		if err == nil {
			err = os.WriteFile(filepath.Join(held, name), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	bnn := filepath.Join(dir, "m.bnn")
	args := []string{testModel("fmnist_tiny.onnx"), bnn, "--data", fmnistMini, "--limit", "300", "--mean", "0.2860", "--std", "0.3530",
		"--epochs", "1", "--batch-size", "50", "--seed", "3", "--json", "--holdout-data", held}
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	h := summaryOf(t, out).Holdout
	if h == nil || h.Data != held || h.Images != 300 || h.TrainImages != 300 || !strings.Contains(h.Rule, held) {
		t.Errorf("holdout %+v: want the 300 images of %s deciding and all 300 training images training", h, held)
	}
	if !strings.Contains(errOut, "deciding with the 300 images of "+held) || strings.Contains(errOut, "these images trained it") {
		t.Errorf("the log does not name the held-out data, or says the source trained on it:\n%s", errOut)
	}

	code, out, errOut = run(t, append(args, "--keep-float", "auto", "--max-drop", "0.9")...)
	if a := summaryOf(t, out).KeepFloatAuto; code != 0 || a == nil || !strings.Contains(a.Method, "(--holdout-data): if the source model never saw them") {
		t.Errorf("--keep-float auto: exit %d, report %+v: %s", code, a, errOut)
	}

	for _, c := range []struct {
		why  string
		args []string
		want string
	}{
		{"with --holdout", append(slices.Clone(args), "--holdout", "0.2"), "exclude each other"},
		{"the test split of --data", append(slices.Clone(args), "--holdout-data", fmnistMini), "is the data that verifies"},
		{"the --val data", append(slices.Clone(args), "--val", held), "is the data that verifies"},
		{"an output", append(slices.Clone(args), "--report", filepath.Join(held, "t10k-labels-idx1-ubyte.gz")), "refusing to overwrite"},
		{"without --data", []string{testModel("fmnist_tiny.onnx"), bnn, "--calib", fmnistMini, "--holdout-data", held}, "needs --data"},
	} {
		if code, _, errOut := run(t, c.args...); code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("--holdout-data %s: exit %d, want %d and %q: %s", c.why, code, ExitUsage, c.want, errOut)
		}
	}
}

// TestAutoRoundsWritesSmallestDrop: when no round meets the budget, the
// round with the smallest held-out drop is written, not the last one
// tried; on a tie the earlier (smaller) plan, and a NaN drop never wins.
func TestAutoRoundsWritesSmallestDrop(t *testing.T) {
	src, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	o := &CompressOptions{KeepFloat: "auto"}
	planned, err := o.plan(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planned.LayerRecords()
	if err != nil {
		t.Fatal(err)
	}
	for i := range plan {
		if plan[i].Binarized {
			s := 0.01 * float64(len(plan)-i)
			plan[i].Sensitivity = &s
		}
	}
	// Held-out accuracies of successive rounds, the source's being 0.95:
	// drops NaN, 0.02, 0.02, 0.03, ... (the tiny model has three rounds
	// within the size bound).
	accs := []float64{math.NaN(), 0.93, 0.93, 0.92}
	var tuned []*ir.Model
	tune := func(_ int, m *ir.Model) (*finetune.Result, error) {
		acc := accs[min(len(tuned), len(accs)-1)]
		tuned = append(tuned, m)
		return &finetune.Result{Model: m, ValFinal: acc}, nil
	}
	rep := &AutoReport{MaxDrop: 0.01, FloatHoldoutAccuracy: 0.95}
	log := newLogger(IO{Out: io.Discard, ErrOut: io.Discard}, true, false)
	tr, err := autoRounds(context.Background(), planned, plan, rep, tune, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rounds) < 3 || rep.Reached || rep.WrittenRound != 2 || tr.model != tuned[1] {
		t.Fatalf("rounds %+v: wrote round %d (reached %v), want round 2, the first of the smallest drop", rep.Rounds, rep.WrittenRound, rep.Reached)
	}

	// A budget met ends the search at that round.
	accs = []float64{0.90, 0.945}
	tuned, rep = nil, &AutoReport{MaxDrop: 0.01, FloatHoldoutAccuracy: 0.95}
	if tr, err = autoRounds(context.Background(), planned, plan, rep, tune, log); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rounds) != 2 || !rep.Reached || rep.WrittenRound != 2 || tr.model != tuned[1] {
		t.Fatalf("rounds %+v: wrote round %d (reached %v), want round 2, the first within budget", rep.Rounds, rep.WrittenRound, rep.Reached)
	}
}

// TestAutoMissedWarning: when the search misses the budget on the held-out
// images but the test split's gate passes (a source trained on the
// held-out images), the warning says both, so that "PASSED" above it and
// exit 3 do not read as a contradiction.
func TestAutoMissedWarning(t *testing.T) {
	testDrop := 0.0048
	sum := &CompressSummary{KeepFloatAuto: &AutoReport{MaxDrop: 0.005, WrittenRound: 2,
		Rounds: []AutoRound{{HoldoutDrop: 0.013}, {HoldoutDrop: 0.0084}, {HoldoutDrop: 0.0112}}}}
	msg := autoMissedWarning(sum, "m.bnn")
	for _, want := range []string{"exit 3", "0.50 pt on the held-out images", "round 2's", "(0.84 pt)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "test split") {
		t.Errorf("unverified, yet the warning speaks of the test split: %s", msg)
	}
	sum.Verify = &verify.Report{Passed: true, Drop: &testDrop}
	if msg = autoMissedWarning(sum, "m.bnn"); !strings.Contains(msg, "On the test split it loses 0.48 pt, within the budget") {
		t.Errorf("the test split passed, the warning does not say so: %s", msg)
	}
	// Held-out images of the user's own (--holdout-data) need not have
	// trained the source: the warning does not blame them for the gap.
	sum.Holdout = &finetune.HoldoutInfo{Data: "val"}
	if msg = autoMissedWarning(sum, "m.bnn"); strings.Contains(msg, "overstates") {
		t.Errorf("with --holdout-data the warning still says the source trained on the held-out images: %s", msg)
	}
}

// TestKeepFloatAutoResume: with --checkpoint each round of --keep-float
// auto checkpoints into a folder of its own, round-N; a search interrupted
// in its last round before that round's first checkpoint resumes with
// --resume (the finished rounds end from their checkpoints, the last
// starts afresh) and writes the same .bnn bytes as the uninterrupted one.
func TestKeepFloatAutoResume(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	out := filepath.Join(dir, "m.bnn") // both runs write it: the .bnn records its path
	args := []string{testModel("fmnist_tiny.onnx"), out, "--data", fmnistMini, "--limit", "200", "--mean", "0.2860", "--std", "0.3530",
		"--epochs", "1", "--batch-size", "50", "--seed", "3", "--keep-float", "auto", "--max-drop", "0", "--checkpoint", ck, "-q"}
	runTo := func(extra ...string) []byte {
		t.Helper()
		if code, _, errOut := run(t, append(slices.Clone(args), extra...)...); code != ExitGate {
			t.Fatalf("%v: exit %d, want %d (an unreachable budget): %s", extra, code, ExitGate, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	full := runTo()
	os.Remove(out)
	rounds, _ := filepath.Glob(filepath.Join(ck, "round-*", finetune.CheckpointFile))
	if len(rounds) < 2 {
		t.Fatalf("checkpoints %v, want one per round, two at least", rounds)
	}
	if err := os.RemoveAll(filepath.Join(ck, fmt.Sprintf("round-%d", len(rounds)))); err != nil {
		t.Fatal(err)
	}
	if resumed := runTo("--resume"); !bytes.Equal(resumed, full) {
		t.Fatal("the resumed search wrote another .bnn than the uninterrupted one")
	}
}
