package convert

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
)

// TestBinarizeScales checks each binarized weight against s·sign(W) with s
// computed here from the source weight, for every scale mode.
func TestBinarizeScales(t *testing.T) {
	for _, mode := range []ir.ScaleMode{ir.ScaleHe, ir.ScaleChannel, ir.ScaleLayer} {
		src := resnetBlockModel()
		m := resnetBlockModel()
		rep, err := Pipeline{Select(), BinarizeWeights()}.Run(m, Options{Scale: mode})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Binarized() != 5 {
			t.Fatalf("%s: %d layers binarized, want 5", mode, rep.Binarized())
		}
		for _, l := range rep.Layers {
			w := src.Graph.Initializer(l.Weight).Data.([]float32)
			got := m.Graph.Initializer(l.Weight).Data.([]float32)
			k := l.Shape[0] // every layer of this model has rows first
			checkScaled(t, string(mode)+"/"+l.Node, w, got, k, mode)
		}
	}
}

func checkScaled(t *testing.T, name string, w, got []float32, k int, mode ir.ScaleMode) {
	t.Helper()
	cols := len(w) / k
	var all float64
	for _, x := range w {
		all += math.Abs(float64(x))
	}
	for r := range k {
		var s float64
		switch mode {
		case ir.ScaleHe:
			s = math.Sqrt(2 / float64(cols))
		case ir.ScaleLayer:
			s = all / float64(len(w))
		default:
			for _, x := range w[r*cols : (r+1)*cols] {
				s += math.Abs(float64(x))
			}
			s /= float64(cols)
		}
		for j := range cols {
			want := s
			if w[r*cols+j] < 0 {
				want = -s
			}
			if d := math.Abs(float64(got[r*cols+j]) - want); d > 1e-6*s {
				t.Fatalf("%s: w[%d,%d] = %v, want %v", name, r, j, got[r*cols+j], want)
			}
		}
	}
}

func TestSignOfZeroIsPlus(t *testing.T) {
	m := foldedModel()
	w := m.Graph.Initializer("conv0.weight").Data.([]float32)
	w[0], w[1] = 0, float32(math.Copysign(0, -1))
	if _, err := (Pipeline{Select(), BinarizeWeights()}).Run(m, Options{Scale: ir.ScaleHe}); err != nil {
		t.Fatal(err)
	}
	got := m.Graph.Initializer("conv0.weight").Data.([]float32)
	if got[0] <= 0 || got[1] <= 0 {
		t.Fatalf("sign(0) and sign(-0) gave %v, %v; want +s", got[0], got[1])
	}
}

func TestNothingToBinarize(t *testing.T) {
	_, err := Binarize(foldedModel(), Options{KeepFloat: []string{"first", "last", "conv1"}})
	if !errors.Is(err, ErrNothingToBinarize) {
		t.Fatalf("err = %v, want ErrNothingToBinarize", err)
	}
	rep, err := Binarize(foldedModel(), Options{KeepFloat: []string{"first", "last", "conv1"}, AllowEmpty: true})
	if err != nil || rep.Binarized() != 0 || len(rep.Layers) != 3 {
		t.Fatalf("AllowEmpty: report %+v, err %v", rep, err)
	}
}

// TestNothingToBinarizeSaysWhy: the error is all a failed command prints,
// so it names the first layers with their reasons (a float16 model's
// weights) and counts the rest.
func TestNothingToBinarizeSaysWhy(t *testing.T) {
	m := foldedModel()
	for _, w := range m.Graph.Initializers {
		if strings.HasSuffix(w.Name, ".weight") {
			*w = ir.Tensor{Name: w.Name, DType: ir.Float16, Shape: w.Shape, Data: make([]uint16, w.Len())}
		}
	}
	_, err := Binarize(m, Options{})
	if !errors.Is(err, ErrNothingToBinarize) || !strings.Contains(err.Error(), `"conv0": weight is float16, not float32`) ||
		!strings.Contains(err.Error(), `"fc": weight is float16`) || strings.Contains(err.Error(), "more") {
		t.Errorf("float16 weights: %v", err)
	}
	_, err = Binarize(unsupportedModel(), Options{KeepFloat: []string{"fc"}})
	if !errors.Is(err, ErrNothingToBinarize) || !strings.Contains(err.Error(), `"dynamic": weight is not a constant initializer`) ||
		!strings.Contains(err.Error(), "and 3 more") || strings.Contains(err.Error(), `"fc"`) {
		t.Errorf("six float layers: %v", err)
	}
}

func TestKeepFloatUnknownName(t *testing.T) {
	_, err := Binarize(foldedModel(), Options{KeepFloat: []string{"relu0"}})
	if err == nil || !strings.Contains(err.Error(), `"relu0"`) {
		t.Fatalf("err = %v, want one naming relu0", err)
	}
}

func TestBadScaleMode(t *testing.T) {
	if _, err := Binarize(foldedModel(), Options{Scale: "bogus"}); err == nil {
		t.Error("bogus scale accepted by Binarize")
	}
}

func TestRecordRoundTrip(t *testing.T) {
	m := resnetBlockModel()
	rep, err := Binarize(m, Options{KeepFloat: SplitList(" first, ,last ")})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := m.LayerRecords()
	if err != nil || len(recs) != len(rep.Layers) {
		t.Fatalf("records %v, err %v", recs, err)
	}
	for i := range recs {
		if recs[i].Node != rep.Layers[i].Node || recs[i].Binarized != rep.Layers[i].Binarized || recs[i].Reason != rep.Layers[i].Reason {
			t.Errorf("record %d = %+v, report has %+v", i, recs[i], rep.Layers[i])
		}
	}
}

func TestDeterministic(t *testing.T) {
	dump := func() string {
		m := unsupportedModel()
		if _, err := Binarize(m, Options{}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := ir.Dump(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if a, b := dump(), dump(); a != b {
		t.Fatal("two conversions of the same model differ")
	}
}

// TestPlanThenFinish checks that planning, then finishing from the stored
// records, gives the same model as one DefaultPipeline run.
func TestPlanThenFinish(t *testing.T) {
	opts := Options{Scale: ir.ScaleLayer, KeepFloat: []string{"first"}}
	one := resnetBlockModel()
	if _, err := Binarize(one, opts); err != nil {
		t.Fatal(err)
	}
	two := resnetBlockModel()
	if _, err := PlanPipeline().Run(two, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := FinishPipeline().Run(two, Options{}); err != nil {
		t.Fatal(err)
	}
	var a, b strings.Builder
	if err := ir.Dump(&a, one); err != nil {
		t.Fatal(err)
	}
	if err := ir.Dump(&b, two); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("plan+finish differs from one run:\n%s\nvs\n%s", b.String(), a.String())
	}
	if _, err := FinishPipeline().Run(resnetBlockModel(), Options{}); err == nil {
		t.Error("finishing a model without records succeeded")
	}
}

// TestNonFiniteWeightIsNamed: a NaN or Inf weight stops binarization with an
// error naming the node and the weight.
func TestNonFiniteWeightIsNamed(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		m := resnetBlockModel()
		first := m.Graph.Nodes[0]
		w := m.Graph.Initializer(first.Inputs[1])
		w.Data.([]float32)[3] = bad
		_, err := Binarize(m, Options{})
		if err == nil || !strings.Contains(err.Error(), first.Name) || !strings.Contains(err.Error(), w.Name) {
			t.Errorf("weight %v: got %v, want an error naming node %q and weight %q", bad, err, first.Name, w.Name)
		}
	}
}

// TestEstimateBytes: the estimate equals the tensor bytes pack writes, for
// an all-binary plan and one that keeps the first and last layers float.
func TestEstimateBytes(t *testing.T) {
	for _, keep := range [][]string{nil, {"first", "last"}} {
		m := resnetBlockModel()
		rep, err := PlanPipeline().Run(m, Options{KeepFloat: keep})
		if err != nil {
			t.Fatal(err)
		}
		est, err := EstimateBytes(m, rep.Layers)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := FinishPipeline().Run(m, Options{}); err != nil {
			t.Fatal(err)
		}
		bnn, err := pack.Pack(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := pack.Measure(bnn).Tensors(); got != est {
			t.Errorf("keep %v: estimate %d bytes, pack wrote %d", keep, est, got)
		}
	}
}

// TestKeepFloatSizeBound: first and last stay float within the bound; a
// bound that both break but the first alone meets keeps the first only,
// with a note; a bound nothing meets keeps neither.
func TestKeepFloatSizeBound(t *testing.T) {
	ratio := func(keep ...string) float64 {
		m := resnetBlockModel()
		all, _ := PlanPipeline().Run(m.Clone(), Options{})
		kept, _ := PlanPipeline().Run(m, Options{KeepFloat: keep})
		a, _ := EstimateBytes(m, all.Layers)
		k, _ := EstimateBytes(m, kept.Layers)
		return float64(k) / float64(a)
	}
	both, first := ratio("first", "last"), ratio("first")
	if !(first < both && first > 1) {
		t.Fatalf("ratios first %v, both %v", first, both)
	}
	for _, c := range []struct {
		bound float64
		float []bool // first, last
		notes int
	}{
		{0, []bool{true, true}, 0},
		{both + 0.01, []bool{true, true}, 1},
		{(first + both) / 2, []bool{true, false}, 2},
		{1.0001, []bool{false, false}, 3},
	} {
		rep, err := PlanPipeline().Run(resnetBlockModel(), Options{KeepFloat: []string{"first", "last"}, SizeBound: c.bound})
		if err != nil {
			t.Fatal(err)
		}
		ls := rep.Layers
		if got := []bool{!ls[0].Binarized, !ls[len(ls)-1].Binarized}; got[0] != c.float[0] || got[1] != c.float[1] || len(rep.Notes) != c.notes {
			t.Errorf("bound %.3f: float first/last %v, notes %q; want %v and %d notes", c.bound, got, rep.Notes, c.float, c.notes)
		}
	}
}

// TestRankFloat: layers are ranked by sensitivity per byte kept float;
// float, unmeasured and harmless layers are left out; KeepRanked keeps the
// chosen ones float with a reason and leaves the plan it was given alone.
func TestRankFloat(t *testing.T) {
	s := func(x float64) *float64 { return &x }
	plan := []ir.LayerRecord{
		{Node: "a", Binarized: true, Sensitivity: s(0.10), FloatBytes: 1100, BinaryBytes: 100}, // 1e-4 per byte
		{Node: "b", Binarized: true, Sensitivity: s(0.02), FloatBytes: 110, BinaryBytes: 10},   // 2e-4
		{Node: "c", Binarized: true, Sensitivity: s(0), FloatBytes: 110, BinaryBytes: 10},
		{Node: "d", Binarized: false, Reason: "named", Sensitivity: s(0.5)},
		{Node: "e", Binarized: true, FloatBytes: 110, BinaryBytes: 10},
		{Node: "f", Binarized: true, Sensitivity: s(0.30), FloatBytes: 10100, BinaryBytes: 100}, // 3e-5
	}
	rank := RankFloat(plan)
	if fmt.Sprint(rank) != "[1 0 5]" {
		t.Fatalf("rank %v, want [1 0 5]", rank)
	}
	kept := KeepRanked(plan, rank[:2])
	if kept[1].Binarized || kept[0].Binarized || !kept[5].Binarized || !strings.Contains(kept[1].Reason, "rank 1") || !plan[1].Binarized {
		t.Fatalf("KeepRanked: %+v", kept)
	}
}

// TestAllBinary: the all-binary plan made from a plan that keeps layers
// float estimates the same bytes as planning with nothing kept float, and
// leaves the plan it was given alone.
func TestAllBinary(t *testing.T) {
	m := resnetBlockModel()
	none, err := PlanPipeline().Run(m.Clone(), Options{KeepFloat: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := PlanPipeline().Run(m.Clone(), Options{KeepFloat: []string{"first", "last"}, SizeBound: 10})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := EstimateBytes(m, none.Layers)
	had, _ := EstimateBytes(m, kept.Layers)
	got, err := EstimateBytes(m, AllBinary(kept.Layers))
	if err != nil || got != want || had <= want {
		t.Fatalf("all-binary estimate %d (%v), want %d; the plan with first and last float %d", got, err, want, had)
	}
	if kept.Layers[0].Binarized {
		t.Error("AllBinary changed the plan it was given")
	}
}

// TestDuplicateNodeNames: ONNX's checker and onnxruntime accept repeated
// node names (graphs merged with onnx.helper), but the plan, the packer
// and --keep-float find layers by name. Select gives each repeat a fresh
// name (the first keeps its own), a layer named like a Relu included, so
// the model binarizes with a layer kept float by its new name, packs, and
// the .bnn computes what the binarized float graph does.
func TestDuplicateNodeNames(t *testing.T) {
	src := resnetBlockModel()
	for _, n := range src.Graph.Nodes {
		switch n.Name {
		case "conv1":
			n.Name = "conv2" // a layer named like a later layer
		case "relu2":
			n.Name = "fc" // an earlier Relu named like the classifier
		}
	}
	m := src.Clone()
	rep, err := Binarize(m, Options{KeepFloat: []string{"conv2_2"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range rep.Layers {
		got = append(got, fmt.Sprintf("%s:%v", l.Node, l.Binarized))
	}
	if want := "[conv0:true conv2:true conv2_2:false proj:true fc_2:true]"; fmt.Sprint(got) != want {
		t.Errorf("layers %v, want %s", got, want)
	}
	seen := map[string]bool{}
	for _, n := range m.Graph.Nodes {
		if seen[n.Name] {
			t.Errorf("node name %q repeats", n.Name)
		}
		seen[n.Name] = true
	}
	bnn, err := pack.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	x := ir.NewFloat32("x", []int{2, 3, 8, 8}, make([]float32, 2*3*8*8))
	for i := range x.Data.([]float32) {
		x.Data.([]float32)[i] = float32(math.Sin(float64(i)))
	}
	if d := relDiff(runModel(t, bnn, x), runModel(t, m, x)); d > 1e-5 {
		t.Errorf("the .bnn differs from the binarized float graph by %.3g relative", d)
	}
}
