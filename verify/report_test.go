package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"os"
	"regexp"
	"strings"
	"testing"
)

// pixelClassifier predicts, for each image, logits that peak at a class
// read from the image's first pixel, with the rest of the pixels as noise.
func pixelClassifier(classes int) Model {
	return func(x []float32, shape []int) ([]float32, error) {
		per := len(x) / shape[0]
		out := make([]float32, shape[0]*classes)
		for i := 0; i < shape[0]; i++ {
			img := x[i*per : (i+1)*per]
			for c := 0; c < classes; c++ {
				out[i*classes+c] = img[1+c%(per-1)]
			}
			out[i*classes+int(img[0])] += 10
		}
		return out, nil
	}
}

// fixedBatches makes n images of `per` pixels; image i has label labels[i]
// and predicted class preds[i] in its first pixel.
func fixedBatches(labels, preds []int, per, batch int, rng *rand.Rand) Batches {
	return func(ctx context.Context, fn func(Batch) error) error {
		for s := 0; s < len(labels); s += batch {
			e := min(s+batch, len(labels))
			b := Batch{Shape: []int{e - s, per}, Labels: labels[s:e]}
			for i := s; i < e; i++ {
				img := make([]float32, per)
				img[0] = float32(preds[i])
				for j := 1; j < per; j++ {
					img[j] = rng.Float32()
				}
				b.X = append(b.X, img...)
			}
			if err := fn(b); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestEvaluateCountsAgainstDirectTally(t *testing.T) {
	const classes, n = 10, 257
	rng := rand.New(rand.NewSource(1))
	labels, preds, refPreds := make([]int, n), make([]int, n), make([]int, n)
	for i := range labels {
		labels[i] = rng.Intn(classes)
		preds[i], refPreds[i] = labels[i], labels[i]
		if rng.Float64() < 0.3 {
			preds[i] = rng.Intn(classes)
		}
		if rng.Float64() < 0.1 {
			refPreds[i] = rng.Intn(classes)
		}
	}
	var wantRight, wantRefRight, wantAgree int
	for i := range labels {
		wantRight += b2i(preds[i] == labels[i])
		wantRefRight += b2i(refPreds[i] == labels[i])
		wantAgree += b2i(preds[i] == refPreds[i])
	}
	// The reference sees the same images but predicts refPreds: wrap it so
	// it reads the class from a side table in batch order.
	next := 0
	ref := func(x []float32, shape []int) ([]float32, error) {
		out := make([]float32, shape[0]*classes)
		for i := 0; i < shape[0]; i++ {
			out[i*classes+refPreds[next]] = 1
			next++
		}
		return out, nil
	}
	r, err := Evaluate(context.Background(), pixelClassifier(classes), fixedBatches(labels, preds, 12, 32, rng),
		Options{Classes: classes, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("accuracy", r.Accuracy, float64(wantRight)/n)
	check("reference accuracy", *r.ReferenceAccuracy, float64(wantRefRight)/n)
	if d := *r.Drop - float64(wantRefRight-wantRight)/n; d > 1e-12 || d < -1e-12 {
		t.Errorf("drop = %v, want %v", *r.Drop, float64(wantRefRight-wantRight)/n)
	}
	check("agreement", *r.Agreement, float64(wantAgree)/n)
	if r.Top5 < r.Accuracy || r.Top5 > 1 {
		t.Errorf("top5 %v not in [accuracy, 1]", r.Top5)
	}
	total := 0
	for i, row := range r.Confusion {
		for j, c := range row {
			total += c
			if c != countPairs(labels, preds, i, j) {
				t.Errorf("confusion[%d][%d] = %d", i, j, c)
			}
		}
	}
	check("confusion total", float64(total), n)
}

func countPairs(labels, preds []int, l, p int) int {
	c := 0
	for i := range labels {
		c += b2i(labels[i] == l && preds[i] == p)
	}
	return c
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestTopK(t *testing.T) {
	row := []float32{0.1, 0.9, 0.3, 0.3, 0.2, 0.8, 0.7}
	cases := map[int]bool{1: true, 5: true, 6: true, 2: true, 3: true, 4: false, 0: false}
	for label, want := range cases {
		if got := inTopK(row, label, 5); got != want {
			t.Errorf("inTopK(label %d) = %v, want %v", label, got, want)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	empty := fixedBatches(nil, nil, 4, 8, rng)
	if _, err := Evaluate(context.Background(), pixelClassifier(3), empty, Options{Classes: 3}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty data set: got %v", err)
	}
	outOfRange := fixedBatches([]int{0, 7}, []int{0, 1}, 4, 8, rng)
	if _, err := Evaluate(context.Background(), pixelClassifier(3), outOfRange, Options{Classes: 3}); err == nil ||
		!strings.Contains(err.Error(), "outside the model's 3 classes") {
		t.Errorf("label out of range: got %v", err)
	}
	// a reference with an infinite logit made a report whose JSON could not be written
	calls := 0
	infinite := func(x []float32, shape []int) ([]float32, error) { // in its second batch
		out := make([]float32, shape[0]*3)
		if calls++; calls == 2 {
			out[5] = float32(math.Inf(1))
		}
		return out, nil
	}
	two := fixedBatches([]int{0, 1, 2, 0}, []int{0, 1, 2, 0}, 2, 2, rng)
	if _, err := Evaluate(context.Background(), pixelClassifier(3), two, Options{Classes: 3, Reference: infinite}); err == nil ||
		!strings.Contains(err.Error(), "reference gave a non-finite logit (+Inf) for class 2 of image 3") {
		t.Errorf("infinite reference logit: got %v", err)
	}
	wrongWidth := func(x []float32, shape []int) ([]float32, error) { return make([]float32, shape[0]*4), nil }
	ok := fixedBatches([]int{0, 1}, []int{0, 1}, 4, 8, rng)
	if _, err := Evaluate(context.Background(), wrongWidth, ok, Options{Classes: 3}); err == nil ||
		!strings.Contains(err.Error(), "do not match the model's outputs") {
		t.Errorf("class count mismatch: got %v", err)
	}
}

func TestGate(t *testing.T) {
	r := &Report{Accuracy: 0.90, ReferenceAccuracy: ptr(0.92), Drop: ptr(0.02)}
	if err := r.ApplyGate(Gate{MaxDrop: ptr(0.03)}); err != nil || !r.Passed {
		t.Errorf("drop 0.02 <= 0.03 should pass: %v %v", err, r.Failures)
	}
	if err := r.ApplyGate(Gate{MaxDrop: ptr(0.01)}); err != nil || r.Passed || len(r.Failures) != 1 {
		t.Errorf("drop 0.02 > 0.01 should fail: %v", r.Failures)
	}
	if err := r.ApplyGate(Gate{MinAccuracy: ptr(0.95)}); err != nil || r.Passed {
		t.Error("accuracy 0.90 < 0.95 should fail")
	}
	// A drop or accuracy equal to the threshold passes, though the float64
	// arithmetic lands a hair past it: 85 and 69 right of 100 drop by
	// 0.16000000000000003, and 69 right of 100 meet a minimum of 0.69.
	ref, acc := 85.0/100, 69.0/100
	eq := &Report{Accuracy: acc, ReferenceAccuracy: ptr(ref), Drop: ptr(ref - acc)}
	if err := eq.ApplyGate(Gate{MaxDrop: ptr(0.16), MinAccuracy: ptr(0.69)}); err != nil || !eq.Passed {
		t.Errorf("drop and accuracy equal to the thresholds should pass: %v %v", err, eq.Failures)
	}
	if err := eq.ApplyGate(Gate{MaxDrop: ptr(0.15)}); err != nil || eq.Passed {
		t.Errorf("a drop of 16 images of 100 should fail a budget of 15: %v", eq.Failures)
	}
	if DropWithin(0.928-0.918, 0.01) != true || DropWithin(0.9282-0.918, 0.01) {
		t.Error("DropWithin: 1.00 pt must meet a 1 pt budget, 1.02 pt must not")
	}
	noRef := &Report{Accuracy: 0.5}
	if err := noRef.ApplyGate(Gate{MaxDrop: ptr(0.01)}); err == nil {
		t.Error("max drop without reference should be an error")
	}
}

// TestSchemaDocMatchesJSON keeps docs/report-schema.md and the JSON keys equal.
func TestSchemaDocMatchesJSON(t *testing.T) {
	f, err := os.Open("../docs/report-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]bool{}
	row := regexp.MustCompile("^\\| `([a-z0-9_]+)` \\|")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			documented[m[1]] = true
		}
	}
	r := &Report{Schema: SchemaVersion, Model: &ModelInfo{}}
	raw, _ := json.Marshal(r)
	var keys map[string]any
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if !documented[k] {
			t.Errorf("JSON key %q is not documented in docs/report-schema.md", k)
		}
	}
	for k := range documented {
		if _, ok := keys[k]; !ok {
			t.Errorf("documented key %q is not in the JSON report", k)
		}
	}
}

// TestStoredReport: the copy a .bnn keeps drops the confusion matrix past
// MaxConfusionClasses classes, and nothing else; up to it the report is
// kept whole.
func TestStoredReport(t *testing.T) {
	for _, n := range []int{MaxConfusionClasses, MaxConfusionClasses + 1} {
		r := &Report{Classes: n, Accuracy: 0.5, Confusion: make([][]int, n), PerClass: make([]ClassStats, n)}
		for i := range r.Confusion {
			r.Confusion[i] = make([]int, n)
		}
		s := r.Stored()
		if kept := s.Confusion != nil; kept != (n <= MaxConfusionClasses) {
			t.Fatalf("%d classes: confusion kept %v", n, kept)
		}
		if s.Classes != n || s.Accuracy != 0.5 || len(s.PerClass) != n || len(r.Confusion) != n {
			t.Fatalf("%d classes: the stored copy changed more than the confusion matrix, or changed the report", n)
		}
	}
}
