package finetune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/ir"
)

// withPlan records on m the binarization plan package convert makes with
// the given keep-float list and per-channel scales (every test model
// trains a plan, as the CLI's do).
func withPlan(m *ir.Model, keep ...string) *ir.Model {
	if _, err := convert.PlanPipeline().Run(m, convert.Options{KeepFloat: keep, AllowEmpty: true}); err != nil {
		panic(err)
	}
	return m
}

// planOfTest returns the plan withPlan records.
func planOfTest(tb testing.TB, m *ir.Model, keep ...string) []ir.LayerRecord {
	tb.Helper()
	recs, err := withPlan(m.Clone(), keep...).LayerRecords()
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}

// TestTrainsThePlan: the trainer makes binary exactly the layers the plan
// marks, with their scale modes, keeps the plan in the result, and refuses
// a model without one or a plan that names what the model lacks.
func TestTrainsThePlan(t *testing.T) {
	for _, c := range []struct {
		keep []string
		want []string
	}{
		{nil, []string{"c1", "c2", "fc"}},
		{[]string{"first", "last"}, []string{"c2"}},
		{[]string{"c1"}, []string{"c2", "fc"}},
	} {
		m := tinyResNet(1, 3)
		plan := planOfTest(t, m, c.keep...)
		n, err := compile(m, plan)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range n.layers {
			got = append(got, l.node.Name)
			if l.mode != ir.ScaleChannel {
				t.Errorf("keep %v: %s has scale %q", c.keep, l.node.Name, l.mode)
			}
		}
		if len(got) != len(c.want) {
			t.Fatalf("keep %v: binary %v, want %v", c.keep, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("keep %v: binary %v, want %v", c.keep, got, c.want)
			}
		}
	}
	m := tinyResNet(1, 3)
	m.Metadata = nil
	if _, err := Train(context.Background(), m, stripes(1, 32, 3), nil, testConfig(), nil); !errors.Is(err, ErrNoPlan) {
		t.Fatalf("no plan: %v, want ErrNoPlan", err)
	}
	bad := planOfTest(t, tinyResNet(1, 3))
	bad[0].Node = "nope"
	if _, err := compile(tinyResNet(1, 3), bad); err == nil {
		t.Fatal("want an error for a plan naming a missing node")
	}
	res, err := Train(context.Background(), withPlan(tinyResNet(1, 3), "first"), stripes(1, 32, 3), nil, testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _ := res.Model.LayerRecords(); len(recs) != 3 || recs[0].Binarized || !recs[1].Binarized {
		t.Fatalf("result plan %+v", recs)
	}
}

// TestTiedStatisticsWithTeacher: PyTorch's exporter ties equal initializers
// through Identity nodes, BN running statistics included (a fresh BN's mean
// equals its zero offset); the teacher unties them as the student does, so
// distillation trains such a model.
func TestTiedStatisticsWithTeacher(t *testing.T) {
	m := tinyResNet(3, 3)
	g := m.Graph
	for _, n := range g.Nodes {
		if n.Name == "bn1" {
			n.Inputs[3] = "bn1.m.tied"
		}
	}
	g.Nodes = append([]*ir.Node{{Name: "tie", OpType: "Identity", Inputs: []string{"bn1.b"}, Outputs: []string{"bn1.m.tied"}}}, g.Nodes...)
	cfg := testConfig()
	cfg.Distill = 0.5
	res, err := Train(context.Background(), m, stripes(1, 64, 3), stripes(2, 32, 3), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(res.ValFloat) || math.IsNaN(res.ValFinal) {
		t.Fatalf("float %v, final %v", res.ValFloat, res.ValFinal)
	}
}

// TestSharedBatchNormInitializers: tools that merge equal initializers
// without an Identity (onnxoptimizer's eliminate_duplicate_initializer) make
// BN nodes read one tensor, here bn1's offset serving as its mean and as
// bn2's, and bn2 reading bn1's scale and variance. Each BN still trains
// its own parameters and statistics: the run gives the same model as the
// one with separate initializers of the same values. Shared, BN
// re-estimation wrote every sharer's statistics into one tensor.
func TestSharedBatchNormInitializers(t *testing.T) {
	sep := tinyResNet(3, 3)
	shared := tinyResNet(3, 3)
	g := shared.Graph
	for _, n := range g.Nodes {
		switch n.Name {
		case "bn1":
			n.Inputs[3] = "bn1.b"
		case "bn2":
			n.Inputs[1], n.Inputs[2], n.Inputs[3], n.Inputs[4] = "bn1.g", "bn1.b", "bn1.b", "bn1.v"
		}
	}
	g.Initializers = slices.DeleteFunc(g.Initializers, func(t *ir.Tensor) bool {
		return t.Name == "bn1.m" || strings.HasPrefix(t.Name, "bn2.")
	})
	cfg := testConfig()
	cfg.Epochs = 1
	want, err := Train(context.Background(), sep, stripes(1, 64, 3), stripes(2, 32, 3), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Train(context.Background(), shared, stripes(1, 64, 3), stripes(2, 32, 3), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ValFinal != want.ValFinal || got.ValReestimated != want.ValReestimated {
		t.Errorf("held-out accuracy shared %v/%v, separate %v/%v (re-estimated/final)", got.ValReestimated, got.ValFinal, want.ValReestimated, want.ValFinal)
	}
	seen := map[string]string{}
	for _, name := range []string{"bn1", "bn2"} {
		gn, wn := nodeNamed(got.Model.Graph, name), nodeNamed(want.Model.Graph, name)
		for i := 1; i <= 4; i++ {
			if other, dup := seen[gn.Inputs[i]]; dup {
				t.Errorf("%s input %d reads %q, as %s does", name, i, gn.Inputs[i], other)
			}
			seen[gn.Inputs[i]] = fmt.Sprintf("%s input %d", name, i)
			gt, wt := got.Model.Graph.Initializer(gn.Inputs[i]), want.Model.Graph.Initializer(wn.Inputs[i])
			if gt == nil || wt == nil || !slices.Equal(gt.Data.([]float32), wt.Data.([]float32)) {
				t.Errorf("%s input %d: %v, want %v (separate initializers)", name, i, gt, wt)
			}
		}
	}
}

func nodeNamed(g *ir.Graph, name string) *ir.Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}
