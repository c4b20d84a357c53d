package convert

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/convert")

// goldenCase is one input model and the options it is converted with.
type goldenCase struct {
	name  string
	build func() *ir.Model
	opts  Options
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{"resnet_block", resnetBlockModel, Options{KeepFloat: []string{"first"}}},
		{"resnet_block_he_last", resnetBlockModel, Options{Scale: ScaleHe, KeepFloat: []string{"last", "proj"}}},
		{"grouped_layer", groupedModel, Options{Scale: ScaleLayer}},
		{"folded_bn", foldedModel, Options{}},
		{"unsupported", unsupportedModel, Options{}},
		{"all_kept", foldedModel, Options{KeepFloat: []string{"first", "conv1", "last"}}},
		{"all_kept_allowed", foldedModel, Options{KeepFloat: []string{"first", "conv1", "last"}, AllowEmpty: true}},
		{"shared_bn_params", sharedParamsModel, Options{}},
		{"identity_bias", identityBiasModel, Options{}},
	}
}

// TestGoldenPasses runs, for every pass of DefaultPipeline and every case,
// the passes before it, checks the state against <pass>/<case>.in.txt,
// runs the pass and checks the result against <pass>/<case>.golden.txt.
func TestGoldenPasses(t *testing.T) {
	passes := DefaultPipeline()
	for i, pass := range passes {
		for _, c := range goldenCases() {
			t.Run(pass.Name()+"/"+c.name, func(t *testing.T) {
				dir := filepath.Join("..", "testdata", "convert", pass.Name())
				s := &State{Model: c.build(), Opts: c.opts}
				s.Opts.Scale, _ = c.opts.scale()
				in := runPasses(s, passes[:i])
				checkGolden(t, filepath.Join(dir, c.name+".in.txt"), in)
				out := in
				if !strings.HasPrefix(in, "error:") {
					out = runPasses(s, passes[i:i+1])
				}
				checkGolden(t, filepath.Join(dir, c.name+".golden.txt"), out)
			})
		}
	}
}

// runPasses applies passes and returns the dump of the state, or the
// error text.
func runPasses(s *State, passes []Pass) string {
	for _, p := range passes {
		if err := p.Run(s); err != nil {
			return fmt.Sprintf("error: pass %s: %v\n", p.Name(), err)
		}
	}
	return dumpState(s)
}

// dumpState is ir.Dump plus the layer records and, for every layer weight,
// the per-output-channel magnitude when each row is ±m (or "mixed").
func dumpState(s *State) string {
	var b strings.Builder
	if err := ir.Dump(&b, s.Model); err != nil {
		return "error: dump: " + err.Error()
	}
	for _, l := range s.Layers {
		fmt.Fprintf(&b, "layer %s op=%s weight=%s shape=%v binarized=%v scale=%q reason=%q folded_bn=%q\n",
			l.Node, l.Op, l.Weight, l.Shape, l.Binarized, l.Scale, l.Reason, l.FoldedBN)
		fmt.Fprintf(&b, "  magnitudes %s\n", magnitudes(s.Model, l))
	}
	return b.String()
}

func magnitudes(m *ir.Model, l ir.LayerRecord) string {
	n, w, err := layerNodeWeight(m.Graph, l)
	if err != nil || w.Validate() != nil {
		return "n/a"
	}
	v, err := weightView(m, n, w)
	if err != nil {
		return "n/a"
	}
	parts := make([]string, v.rows)
	for r := range v.rows {
		m := math.Abs(float64(v.data[v.at(r, 0)]))
		for j := range v.cols {
			if math.Abs(float64(v.data[v.at(r, j)])) != m {
				return "mixed"
			}
		}
		parts[r] = fmt.Sprintf("%.5g", m)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./convert -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./convert -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
