package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// tunedModel runs finetune --seed 7 on fmnist_tiny into dir/tuned.onnx.
func tunedModel(t *testing.T, dir string) string {
	t.Helper()
	tuned := filepath.Join(dir, "tuned.onnx")
	code, _, errOut := run(t, "finetune", testModel("fmnist_tiny.onnx"), "--data", fmnistMini, "--limit", "200", "--mean", "0.2860", "--std", "0.3530",
		"--epochs", "1", "--batch-size", "50", "--seed", "7", "-q", "--out", tuned)
	if code != 0 {
		t.Fatalf("finetune: exit %d: %s", code, errOut)
	}
	return tuned
}

// TestStagedProvenance: finetune then pack records in the .bnn the seed
// of the fine-tuning run and the original source model's SHA-256 and
// size, as the main command does, not pack's default seed and the
// fine-tuned file's.
func TestStagedProvenance(t *testing.T) {
	dir := t.TempDir()
	bnn := filepath.Join(dir, "m.bnn")
	if code, _, errOut := run(t, "pack", "-q", tunedModel(t, dir), bnn); code != 0 {
		t.Fatalf("pack: exit %d: %s", code, errOut)
	}
	src, err := os.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(bnn)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	for key, want := range map[string]string{pack.KeySeed: "7", pack.KeySourceSHA256: hex.EncodeToString(sum[:]), pack.KeySourceBytes: strconv.Itoa(len(src))} {
		if got, _ := m.MetadataValue(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

// TestPackRefusesPlanFlags: pack of a model whose plan finetune recorded
// refuses --keep-float and --scale (exit 2, naming the recorded plan)
// rather than ignore them, and writes nothing.
func TestPackRefusesPlanFlags(t *testing.T) {
	dir := t.TempDir()
	tuned := tunedModel(t, dir)
	bnn := filepath.Join(dir, "m.bnn")
	for _, flags := range [][]string{{"--keep-float", "none"}, {"--scale", "he"}, {"--keep-float", "no/such/layer", "--scale", "layer"}} {
		code, _, errOut := run(t, append([]string{"pack", tuned, bnn}, flags...)...)
		if code != ExitUsage || !strings.Contains(errOut, "records its binarization plan") {
			t.Errorf("pack %v: exit %d (%s), want %d naming the recorded plan", flags, code, errOut, ExitUsage)
		}
		if _, err := os.Stat(bnn); err == nil {
			t.Fatalf("pack %v wrote %s", flags, bnn)
		}
	}
}

// TestPackPlansAsMain: pack of a float model keeps the same layers float
// as the main command without data, its default plan (first and last),
// so the staged and the one-step commands ship the same model.
func TestPackPlansAsMain(t *testing.T) {
	dir := t.TempDir()
	model := testModel("fmnist_tiny.onnx")
	plans := map[string][]ir.LayerRecord{}
	for _, args := range [][]string{{model, filepath.Join(dir, "main.bnn")}, {"pack", model, filepath.Join(dir, "pack.bnn")}} {
		if code, _, errOut := run(t, append([]string{"-q"}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		m, err := onnx.ReadFile(args[len(args)-1])
		if err != nil {
			t.Fatal(err)
		}
		recs, err := m.LayerRecords()
		if err != nil {
			t.Fatal(err)
		}
		plans[args[0]] = recs
	}
	floats := func(recs []ir.LayerRecord) (names []string) {
		for _, r := range recs {
			if !r.Binarized {
				names = append(names, r.Node)
			}
		}
		return names
	}
	got, want := floats(plans["pack"]), floats(plans[model])
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("pack keeps %v float, the main command %v", got, want)
	}
}

// TestKeepFloatCommaName: a node whose name holds a comma is kept float
// when the comma is escaped (conv\,0), and a repeated --keep-float adds to
// the earlier values; --keep-float split such a name in two, and a second
// --keep-float replaced the first.
func TestKeepFloatCommaName(t *testing.T) {
	dir := t.TempDir()
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	const name, second = "/layers/layers.1/conv1/Conv,0", "/layers/layers.2/conv1/Conv"
	for _, n := range m.Graph.Nodes {
		if n.Name == "/layers/layers.1/conv1/Conv" {
			n.Name = name
		}
	}
	model := filepath.Join(dir, "comma.onnx")
	if err := onnx.WriteFile(model, m); err != nil {
		t.Fatal(err)
	}
	for i, flags := range [][]string{
		{"--keep-float", `/layers/layers.1/conv1/Conv\,0,` + second},
		{"--keep-float", `/layers/layers.1/conv1/Conv\,0`, "--keep-float", second},
		{"--keep-float=" + second, "--keep-float", "none,", "--keep-float", `/layers/layers.1/conv1/Conv\,0`},
	} {
		bnn := filepath.Join(dir, strconv.Itoa(i)+".bnn")
		args := []string{"-q", "pack", model, bnn}
		if i == 2 { // the main command's check, across the repeated flag
			args = []string{"-q", model, bnn}
		}
		code, _, errOut := run(t, append(args, flags...)...)
		if i == 2 {
			if code != ExitUsage || !strings.Contains(errOut, "none") {
				t.Errorf("%q: exit %d (%s), want %d: none beside names across repeated flags", flags, code, errOut, ExitUsage)
			}
			continue
		}
		if code != ExitOK {
			t.Fatalf("%q: exit %d: %s", flags, code, errOut)
		}
		b, err := onnx.ReadFile(bnn)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := b.LayerRecords()
		if err != nil {
			t.Fatal(err)
		}
		var float []string
		for _, r := range recs {
			if !r.Binarized && r.Reason == "named in --keep-float" {
				float = append(float, r.Node)
			}
		}
		if want := []string{name, second}; !slices.Equal(float, want) {
			t.Errorf("%q: kept %q float by name, want %q", flags, float, want)
		}
	}
}
