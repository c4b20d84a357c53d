package infer_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestOpsets18to21 runs each single-node model of testdata/onnx/opsets (the
// op forms that opsets 18 to 21 added or changed: axes inputs of the Reduce
// ops and Pad, Split's num_outputs, Resize's axes and aspect-ratio policies,
// AveragePool's dilations, ...; written by testdata/scripts/export_opsets.py
// with onnx.helper) on a seeded input, in our executor and in onnxruntime,
// and requires the same outputs: same element types and shapes, values
// within 1e-5 relative, NaN where onnxruntime gives NaN (ReduceLogSum of a
// negative sum). ONNX's node tests of these forms are newer than the
// Debian test data TestConformance runs.
func TestOpsets18to21(t *testing.T) {
	ortref.SkipOrFail(t)
	models, err := filepath.Glob("../testdata/onnx/opsets/*.onnx")
	if err != nil || len(models) < 30 {
		t.Fatalf("found %d models in testdata/onnx/opsets, want at least 30 (%v)", len(models), err)
	}
	for i, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		t.Run(name, func(t *testing.T) {
			m, err := onnx.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if op := m.Opset(""); op < 18 || op > 21 {
				t.Fatalf("opset %d, want 18 to 21", op)
			}
			in := m.Graph.Inputs[0]
			shape := make([]int, len(in.Shape))
			for d, dim := range in.Shape {
				shape[d] = int(dim.Size)
			}
			x := randomInput(uint64(100+i), shape...)
			x.Name = in.Name
			feeds := map[string]*ir.Tensor{in.Name: x}
			p, err := infer.Compile(m)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := p.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := ortref.Run(path, feeds)
			if err != nil {
				t.Fatalf("onnxruntime: %v", err)
			}
			for _, out := range m.Graph.Outputs {
				got, want := ours[out.Name], theirs[out.Name]
				if got == nil || want == nil {
					t.Fatalf("output %s: ours %v, onnxruntime %v", out.Name, got != nil, want != nil)
				}
				if got.DType != want.DType {
					t.Errorf("output %s is %v, onnxruntime's %v", out.Name, got.DType, want.DType)
				}
				g, w := sameNaNs(t, got, want)
				if err := reftest.Compare(g, w, 1e-5); err != nil {
					t.Errorf("output %s vs onnxruntime: %v", out.Name, err)
				}
			}
		})
	}
}

// sameNaNs returns float32 copies of got and want in which each element
// that is NaN in both is 0, so that Compare accepts agreeing NaNs (and
// still fails on any other NaN).
func sameNaNs(t *testing.T, got, want *ir.Tensor) (*ir.Tensor, *ir.Tensor) {
	t.Helper()
	g, err := got.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	g, w = slices.Clone(g), slices.Clone(w)
	for i := range min(len(g), len(w)) {
		if math.IsNaN(float64(g[i])) && math.IsNaN(float64(w[i])) {
			g[i], w[i] = 0, 0
		}
	}
	return ir.NewFloat32("", got.Shape, g), ir.NewFloat32("", want.Shape, w)
}

// TestResize18Forms: what onnxruntime cannot be the reference for. An
// antialiased Resize is refused, naming antialiasing;
// negative axes (allowed from opset 18) give what the same axes counted
// from the front give with a keep_aspect_ratio_policy (onnxruntime 1.30
// ignores the policy with negative axes; with axes [2, 3] it agrees with
// us, resize_not_larger_18 in TestOpsets18to21).
func TestResize18Forms(t *testing.T) {
	x := randomInput(5, 2, 3, 5, 6)
	sizes := i64(7, 20)
	policy := strAttr("keep_aspect_ratio_policy", "not_larger")
	front := runSingle(t, 18, "Resize", x, []*ir.Tensor{nil, nil, sizes}, ints("axes", 2, 3), policy)
	back := runSingle(t, 18, "Resize", x, []*ir.Tensor{nil, nil, sizes}, ints("axes", -2, -1), policy)
	sameTensor(t, back, front)
	if fmt.Sprint(front.Shape) != "[2 3 7 8]" {
		t.Errorf("not_larger to 7×20 of 5×6: shape %v, want [2 3 7 8]", front.Shape)
	}
	b := newBuilder(18, 1)
	b.m.Graph.Inputs = []*ir.ValueInfo{{Name: "input", DType: ir.Float32, Shape: []ir.Dim{{Size: 2}, {Size: 3}, {Size: 5}, {Size: 6}}}}
	b.output(b.node("Resize", []string{"input", "", b.init(ir.NewFloat32("", []int{4}, []float32{1, 1, 0.5, 0.5}))},
		intAttr("antialias", 1), strAttr("mode", "linear")))
	p, err := infer.Compile(b.m)
	if err == nil {
		_, err = p.Run(map[string]*ir.Tensor{"input": x})
	}
	if err == nil || !strings.Contains(err.Error(), "antialias") {
		t.Errorf("an antialiased Resize: got %v, want a refusal naming antialiasing", err)
	}
}
