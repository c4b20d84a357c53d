package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// SchemaVersion names the JSON layout of Report; bump it on any change that
// removes or renames a key.
const SchemaVersion = "bincompress.verify/v1"

// Model maps a batch of inputs (NCHW float32, shape[0] images) to logits,
// shape[0]×classes in row-major order.
type Model func(x []float32, shape []int) ([]float32, error)

// Batch is one labelled batch of preprocessed images.
type Batch struct {
	X      []float32
	Shape  []int
	Labels []int
}

// Batches calls fn once per batch, in a fixed order, and stops at its first
// error.
type Batches func(ctx context.Context, fn func(Batch) error) error

// Report is the outcome of Evaluate. Pointer fields are absent (null) when
// no reference model was given.
type Report struct {
	Schema string `json:"schema"`
	// Model names what was evaluated; set by the caller, absent when unset.
	Model             *ModelInfo   `json:"model,omitempty"`
	Images            int          `json:"images"`
	Classes           int          `json:"classes"`
	Accuracy          float64      `json:"accuracy"`
	Top5              float64      `json:"top5"`
	ReferenceAccuracy *float64     `json:"reference_accuracy"`
	ReferenceTop5     *float64     `json:"reference_top5"`
	Drop              *float64     `json:"drop"`
	Agreement         *float64     `json:"agreement"`
	MeanAbsLogitDiff  *float64     `json:"mean_abs_logit_diff"`
	MaxAbsLogitDiff   *float64     `json:"max_abs_logit_diff"`
	PerClass          []ClassStats `json:"per_class"`
	Confusion         [][]int      `json:"confusion"`
	Gate              Gate         `json:"gate"`
	Gated             bool         `json:"gated"`
	Passed            bool         `json:"passed"`
	Failures          []string     `json:"failures"`
}

// ModelInfo identifies the evaluated model: where it was read from, its
// digest, and the preprocessing its inputs went through (the JSON of
// bnn.preprocess).
type ModelInfo struct {
	Path       string          `json:"path"`
	Digest     string          `json:"digest"`
	Preprocess json.RawMessage `json:"preprocess,omitempty"`
}

// ClassStats is the accuracy on the images of one true class.
type ClassStats struct {
	Class             int      `json:"class"`
	Name              string   `json:"name,omitempty"`
	Images            int      `json:"images"`
	Accuracy          float64  `json:"accuracy"`
	ReferenceAccuracy *float64 `json:"reference_accuracy"`
}

// Gate holds the thresholds a report was judged by; nil means not set.
type Gate struct {
	MaxDrop     *float64 `json:"max_drop"`
	MinAccuracy *float64 `json:"min_accuracy"`
}

// Options configure Evaluate.
type Options struct {
	Classes    int      // number of model outputs; labels must be below it
	ClassNames []string // optional, len Classes
	Reference  Model    // optional source model
}

// ErrEmpty is returned when the batches hold no image.
var ErrEmpty = errors.New("verify: the data set is empty")

// Evaluate runs model (and opts.Reference when set) over every batch.
func Evaluate(ctx context.Context, model Model, batches Batches, opts Options) (*Report, error) {
	if opts.Classes < 1 {
		return nil, fmt.Errorf("verify: the model has %d classes", opts.Classes)
	}
	t := newTally(opts.Classes, opts.Reference != nil)
	err := batches(ctx, func(b Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return t.addBatch(model, opts.Reference, b)
	})
	if err != nil {
		return nil, err
	}
	if t.images == 0 {
		return nil, ErrEmpty
	}
	return t.report(opts.ClassNames), nil
}

// tally accumulates counts over batches.
type tally struct {
	classes, images         int
	correct, top5           int
	refCorrect, refTop5     int
	agree                   int
	sumAbsDiff, maxAbsDiff  float64
	diffCount               int
	hasRef                  bool
	perClass, perClassRight []int
	perClassRef             []int
	confusion               [][]int
}

func newTally(classes int, hasRef bool) *tally {
	t := &tally{classes: classes, hasRef: hasRef,
		perClass: make([]int, classes), perClassRight: make([]int, classes),
		perClassRef: make([]int, classes), confusion: make([][]int, classes)}
	for i := range t.confusion {
		t.confusion[i] = make([]int, classes)
	}
	return t
}

func (t *tally) addBatch(model, ref Model, b Batch) error {
	n := len(b.Labels)
	if len(b.Shape) == 0 || b.Shape[0] != n {
		return fmt.Errorf("verify: batch shape %v does not match %d labels", b.Shape, n)
	}
	logits, err := runModel(model, b, t.classes, t.images, "model")
	if err != nil {
		return err
	}
	var refLogits []float32
	if ref != nil {
		if refLogits, err = runModel(ref, b, t.classes, t.images, "reference"); err != nil {
			return err
		}
	}
	for i, label := range b.Labels {
		if label < 0 || label >= t.classes {
			return fmt.Errorf("verify: label %d is outside the model's %d classes", label, t.classes)
		}
		t.addImage(label, logits[i*t.classes:(i+1)*t.classes], refRow(refLogits, i, t.classes))
	}
	return nil
}

// runModel runs m on b, whose first image is image first of the data set.
// A logit that is NaN or infinite is an error: the prediction it takes
// part in means nothing, and the report's logit differences, which JSON
// cannot hold, would be too (verify --json failed after writing --report).
func runModel(m Model, b Batch, classes, first int, which string) ([]float32, error) {
	logits, err := m(b.X, b.Shape)
	if err != nil {
		return nil, fmt.Errorf("verify: %s: %w", which, err)
	}
	if len(logits) != len(b.Labels)*classes {
		return nil, fmt.Errorf("verify: %s returned %d values for %d images of %d classes; the data set's classes do not match the model's outputs",
			which, len(logits), len(b.Labels), classes)
	}
	for i, v := range logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("verify: %s gave a non-finite logit (%v) for class %d of image %d", which, v, i%classes, first+i/classes)
		}
	}
	return logits, nil
}

func refRow(ref []float32, i, classes int) []float32 {
	if ref == nil {
		return nil
	}
	return ref[i*classes : (i+1)*classes]
}

func (t *tally) addImage(label int, row, ref []float32) {
	t.images++
	t.perClass[label]++
	pred := argmax(row)
	t.confusion[label][pred]++
	if pred == label {
		t.correct++
		t.perClassRight[label]++
	}
	if inTopK(row, label, 5) {
		t.top5++
	}
	if ref == nil {
		return
	}
	refPred := argmax(ref)
	if refPred == label {
		t.refCorrect++
		t.perClassRef[label]++
	}
	if inTopK(ref, label, 5) {
		t.refTop5++
	}
	if refPred == pred {
		t.agree++
	}
	for j := range row {
		d := math.Abs(float64(row[j]) - float64(ref[j]))
		t.sumAbsDiff += d
		t.maxAbsDiff = math.Max(t.maxAbsDiff, d)
		t.diffCount++
	}
}

func (t *tally) report(names []string) *Report {
	n := float64(t.images)
	r := &Report{Schema: SchemaVersion, Images: t.images, Classes: t.classes,
		Accuracy: float64(t.correct) / n, Top5: float64(t.top5) / n,
		Confusion: t.confusion, Passed: true, Failures: []string{}}
	if t.hasRef {
		r.ReferenceAccuracy = ptr(float64(t.refCorrect) / n)
		r.ReferenceTop5 = ptr(float64(t.refTop5) / n)
		r.Drop = ptr(*r.ReferenceAccuracy - r.Accuracy)
		r.Agreement = ptr(float64(t.agree) / n)
		r.MeanAbsLogitDiff = ptr(t.sumAbsDiff / float64(t.diffCount))
		r.MaxAbsLogitDiff = ptr(t.maxAbsDiff)
	}
	for c := 0; c < t.classes; c++ {
		cs := ClassStats{Class: c, Images: t.perClass[c]}
		if c < len(names) {
			cs.Name = names[c]
		}
		if t.perClass[c] > 0 {
			cs.Accuracy = float64(t.perClassRight[c]) / float64(t.perClass[c])
			if t.hasRef {
				cs.ReferenceAccuracy = ptr(float64(t.perClassRef[c]) / float64(t.perClass[c]))
			}
		}
		r.PerClass = append(r.PerClass, cs)
	}
	return r
}

func ptr(x float64) *float64 { return &x }

// argmax returns the first index of the largest value.
func argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// inTopK reports whether label is among the k largest values of row; ties
// are broken toward the lower index, as argmax does.
func inTopK(row []float32, label, k int) bool {
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
	for i := 0; i < k && i < len(idx); i++ {
		if idx[i] == label {
			return true
		}
	}
	return false
}

// slack absorbs the rounding of float64 when an accuracy, a ratio of image
// counts, meets a threshold given in decimal: 0.85 − 0.69 is
// 0.16000000000000003. Two accuracies on fewer than 10⁸ images that differ
// at all differ by far more.
const slack = 1e-9

// DropWithin reports whether an accuracy drop meets the budget maxDrop: a
// drop equal to the budget does (the gate of verify, and of the search of
// --keep-float auto on the held-out images).
func DropWithin(drop, maxDrop float64) bool { return drop <= maxDrop+slack }

// ApplyGate judges the report against the thresholds, setting Gate, Passed
// and Failures: a drop equal to the maximum, or an accuracy equal to the
// minimum, passes. A max drop without a reference is an error.
func (r *Report) ApplyGate(g Gate) error {
	r.Gate = g
	r.Gated = g.MaxDrop != nil || g.MinAccuracy != nil
	r.Passed, r.Failures = true, []string{}
	if g.MaxDrop != nil {
		if r.Drop == nil {
			return errors.New("verify: --max-drop needs a reference model (--ref, or the source model)")
		}
		if !DropWithin(*r.Drop, *g.MaxDrop) {
			r.Failures = append(r.Failures, fmt.Sprintf("top-1 accuracy dropped by %.4f (%.4f -> %.4f), more than the allowed %.4f",
				*r.Drop, *r.ReferenceAccuracy, r.Accuracy, *g.MaxDrop))
		}
	}
	if g.MinAccuracy != nil && r.Accuracy < *g.MinAccuracy-slack {
		r.Failures = append(r.Failures, fmt.Sprintf("top-1 accuracy %.4f is below the required %.4f", r.Accuracy, *g.MinAccuracy))
	}
	r.Passed = len(r.Failures) == 0
	return nil
}

// Stored is the copy of r that a .bnn keeps: r itself, without the
// confusion matrix past MaxConfusionClasses classes (there it would
// outweigh the model's bits; the per-class rows stay).
func (r *Report) Stored() *Report {
	if len(r.Confusion) <= MaxConfusionClasses {
		return r
	}
	c := *r
	c.Confusion = nil
	return &c
}
