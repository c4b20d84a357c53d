package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// badValues are invalid values per flag name, beyond what every flag of
// its type gets (a non-number for numbers, NaN and Inf for floats, "maybe"
// for booleans, an empty path for path flags). A string flag that is not a
// path must be listed: a new flag without an entry fails
// TestEveryFlagRefusesBadValues.
var badValues = map[string][]string{
	"scale":                  {"bogus"},
	"keep-float":             {"no_such_layer", "auto"}, // auto: without --max-drop (and, on the main command, --data)
	"channel-order":          {"GRB"},
	"mean":                   {"x", "NaN", "0.1,Inf"},
	"std":                    {"0", "-1", "x"},
	"resize":                 {"0", "x", "1,2,3"},
	"center-crop":            {"-3", "x"},
	"device":                 {"tpu"},
	"format":                 {"tflite"},
	"prefix":                 {"9lives", "a-b"},
	"limit":                  {"-1"},
	"max-image-pixels":       {"0", "-1"},
	"calib-batches":          {"0"},
	"epochs":                 {"-1"},
	"holdout":                {"-0.1", "2.5"}, // a count must be whole
	"batch-size":             {"0", "x", "automatic"},
	"max-memory":             {"0", "-1", "x", "2QB"},
	"bincompress/batch-size": {"1"}, // training needs batch statistics
	"finetune/batch-size":    {"1"},
	"bn-bits":                {"3"},
	"distill":                {"-0.1", "1.5"},
	"temperature":            {"0"},
	"lr-max":                 {"0", "-1"},
	"lr-min":                 {"-1", "10"},
	"t0":                     {"0"},
	"tmult":                  {"0.5"},
	"momentum":               {"1", "-0.5"},
	"weight-decay":           {"-1"},
	"pad":                    {"-1"},
	"max-drop":               {"-0.1", "1.5", "1"}, // 1: a gate that cannot fail, likely meant as 1%
	"min-accuracy":           {"2", "-1"},
	"max-elements":           {"0", "-5"},
	"top":                    {"-1"},
	"batch":                  {"0"},
	"runs":                   {"0"},
	"warmup":                 {"-1"},
	"seed":                   {"-1"},
	"resume":                 {"true"}, // needs --data on the main command
}

// valid lets a command reach its flag checks: the arguments it requires.
func validArgs(t *testing.T, dir, bnn string) map[string][]string {
	return map[string][]string{
		"bincompress": {testModel("fmnist_tiny.onnx"), filepath.Join(dir, "o.bnn")},
		"inspect":     {testModel("fmnist_tiny.onnx")},
		"run":         {testModel("fmnist_tiny.onnx"), "--input", testModel("fmnist_tiny.input.npy"), "--top", "1"},
		"verify":      {bnn, "--data", miniData, "--ref", testModel("fmnist_tiny.onnx")},
		"finetune":    {testModel("fmnist_tiny.onnx"), "--data", miniData, "--out", filepath.Join(dir, "o.onnx"), "--epochs", "0"},
		"pack":        {testModel("fmnist_tiny.onnx"), filepath.Join(dir, "o.bnn")},
		"bench":       {testModel("fmnist_tiny.onnx"), "--runs", "1", "--warmup", "0"},
		"export":      {bnn, "--format", "onnx", "--out", filepath.Join(dir, "o.onnx")},
	}
}

// TestEveryFlagRefusesBadValues gives every flag of every command each of
// its invalid values and wants exit 2 naming the flag, with nothing
// written: flag values are checked before any work.
func TestEveryFlagRefusesBadValues(t *testing.T) {
	dir := t.TempDir()
	bnn := tinyBNN(t, dir)
	root := newRootCmd(IO{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard})
	args := validArgs(t, dir, bnn)
	tested := 0
	for _, cmd := range append([]*cobra.Command{root}, root.Commands()...) {
		name := cmd.Name()
		base, ok := args[name]
		if !ok {
			if name == "help" || name == "completion" {
				continue
			}
			t.Errorf("command %s: add its required arguments to validArgs", name)
			continue
		}
		sub := []string{}
		if cmd != root {
			sub = []string{name}
		}
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" || f.Name == "version" {
				return
			}
			values := append(append(genericBad(f), badValues[f.Name]...), badValues[name+"/"+f.Name]...)
			if len(values) == 0 {
				t.Errorf("%s --%s: no invalid value to try; add one to badValues", name, f.Name)
			}
			for _, v := range values {
				before := snapshot(t, dir)
				argv := append(append(append([]string{}, sub...), base...), "--"+f.Name+"="+v)
				code, out, errOut := run(t, argv...)
				tested++
				if code != ExitUsage || !strings.Contains(errOut, f.Name) {
					t.Errorf("%s --%s=%q: exit %d, want 2 naming the flag (stderr %q)", name, f.Name, v, code, errOut)
				}
				if out != "" {
					t.Errorf("%s --%s=%q: printed results %q", name, f.Name, v, out)
				}
				sameSnapshot(t, strings.Join(argv, " "), before, snapshot(t, dir))
			}
		})
	}
	t.Logf("%d invalid flag values refused", tested)
}

// genericBad are the invalid values every flag of f's type gets.
func genericBad(f *pflag.Flag) []string {
	switch f.Value.Type() {
	case "int", "uint64":
		return []string{"x", "1.5"}
	case "float32", "float64":
		return []string{"x", "NaN", "Inf", "-Inf"}
	case "bool":
		return []string{"maybe"}
	case "string":
		if isPath(f) {
			return []string{""}
		}
	}
	return nil
}

// TestNaNGateRefused: --max-drop NaN used to switch the gate off (PASSED,
// exit 0, at a 0.77 drop); --lr-max Inf trained a whole epoch first.
func TestNaNGateRefused(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range []string{"--max-drop=NaN", "--lr-max=Inf", "--min-accuracy=NaN"} {
		code, _, errOut := run(t, testModel("fmnist_tiny.onnx"), filepath.Join(dir, "o.bnn"), "--data", miniData, flag)
		if code != ExitUsage || !strings.Contains(errOut, "finite") {
			t.Errorf("%s: exit %d, stderr %q", flag, code, errOut)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

// TestVersion: --version prints the module and the VCS revision.
func TestVersion(t *testing.T) {
	code, out, _ := run(t, "--version")
	if code != 0 || !strings.Contains(out, "github.com/bincompress/bincompress") || !strings.Contains(out, "revision") {
		t.Errorf("exit %d, %q", code, out)
	}
	var buf bytes.Buffer
	_ = buf
}

// TestMaxDropLooksLikePercent: --max-drop is a fraction. 1, likely meant as
// one percent, allowed every drop and passed any model (exit 0); it is
// refused. 0.5, likely meant as half a point, allows fifty: it is warned
// about (with --quiet too), on verify and the main command.
func TestMaxDropLooksLikePercent(t *testing.T) {
	needFMNIST(t)
	bnn := tinyBNN(t, t.TempDir())
	args := []string{"verify", bnn, "--data", fmnistDir, "--limit", "20", "--ref", testModel("fmnist_tiny.onnx"), "-q"}
	code, _, errOut := run(t, append(args, "--max-drop", "1")...)
	if code != ExitUsage || !strings.Contains(errOut, "cannot fail") || !strings.Contains(errOut, "0.01") {
		t.Errorf("--max-drop 1: exit %d, stderr %q; want 2 saying 1%% is 0.01", code, errOut)
	}
	_, _, errOut = run(t, append(args, "--max-drop", "0.5")...)
	if !strings.Contains(errOut, "warning: --max-drop 0.5 allows a drop of 50 points") || !strings.Contains(errOut, "give 0.005") {
		t.Errorf("--max-drop 0.5: stderr %q; want a warning", errOut)
	}
	_, _, errOut = run(t, append(args, "--max-drop", "0.9")...)
	if !strings.Contains(errOut, "for 0.9%, give 0.009\n") {
		t.Errorf("--max-drop 0.9: stderr %q; want the fraction printed short", errOut)
	}
	_, _, errOut = run(t, append(args, "--max-drop", "0.05")...)
	if strings.Contains(errOut, "warning") {
		t.Errorf("--max-drop 0.05: unexpected warning %q", errOut)
	}
}

// TestGatePercentRefusedWithFraction: "--max-drop 0.5%" was refused with
// pflag's bare `strconv.ParseFloat: parsing "0.5%": invalid syntax`; the
// message now gives the fraction meant.
func TestGatePercentRefusedWithFraction(t *testing.T) {
	for _, flag := range []string{"--max-drop", "--min-accuracy"} {
		code, _, errOut := run(t, "verify", testModel("fmnist_tiny.onnx"), "--data", miniData, flag, "0.5%")
		if code != ExitUsage || !strings.Contains(errOut, "for 0.5% give 0.005") {
			t.Errorf("%s 0.5%%: exit %d, stderr %q; want 2 giving 0.005", flag, code, errOut)
		}
	}
}
