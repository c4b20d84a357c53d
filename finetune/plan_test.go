package finetune

import (
	"context"
	"errors"
	"math"
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
