package finetune

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/bincompress/bincompress/internal/dataset"
)

// TestHoldoutSize: a fraction is capped at 5,000 images, a count is taken
// as is, and a holdout must leave at least two images to train on.
// TestPairedStdErr: the standard error of a paired difference of
// accuracies is that of the mean of the per-image differences
// (right − right, each -1, 0 or 1), computed here the long way.
func TestPairedStdErr(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 500} {
		a, b := make([]bool, n), make([]bool, n)
		for i := range n {
			a[i], b[i] = r.Float64() < 0.9, r.Float64() < 0.85
		}
		var mean, sq float64
		for i := range n {
			d := float64(b2i(a[i]) - b2i(b[i]))
			mean += d / float64(n)
			sq += d * d / float64(n)
		}
		want := math.Sqrt((sq - mean*mean) / float64(n))
		if got := pairedStdErr(a, b); math.Abs(got-want) > 1e-12 {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
	if !math.IsNaN(pairedStdErr(nil, nil)) || !math.IsNaN(pairedStdErr([]bool{true}, nil)) {
		t.Error("missing hits give a number")
	}
	if got := pairedStdErr([]bool{true, true}, []bool{true, true}); got != 0 {
		t.Errorf("two models right on the same images: %v, want 0", got)
	}
}

func TestHoldoutSize(t *testing.T) {
	for _, c := range []struct {
		n      int
		amount float64
		want   int
	}{
		{60000, 0.1, 5000}, {2000, 0.1, 200}, {2000, 0, 0}, {2000, 300, 300}, {10, 0.01, 1}, {60000, 0.05, 3000},
	} {
		if got, err := HoldoutSize(c.n, c.amount); err != nil || got != c.want {
			t.Errorf("HoldoutSize(%d, %v) = %d, %v; want %d", c.n, c.amount, got, err, c.want)
		}
	}
	for _, bad := range []struct {
		n      int
		amount float64
	}{{10, 9}, {10, 2.5}, {10, -0.1}, {10, math.NaN()}} {
		if _, err := HoldoutSize(bad.n, bad.amount); err == nil {
			t.Errorf("HoldoutSize(%d, %v): want an error", bad.n, bad.amount)
		}
	}
}

// recording serves a SliceSource and records which images the pipeline
// decoded.
type recording struct {
	*SliceSource
	mu     sync.Mutex
	loaded map[int]int
}

func (r *recording) Data() (dataset.Dataset, dataset.Preprocess, error) {
	ds, p, err := r.SliceSource.Data()
	return &recordedData{ds, r}, p, err
}

// indices lists the images loaded, in increasing order, and forgets them.
func (r *recording) indices() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var idx []int
	for i, n := range r.loaded {
		if n > 0 {
			idx = append(idx, i)
		}
	}
	clear(r.loaded)
	slices.Sort(idx)
	return idx
}

type recordedData struct {
	dataset.Dataset
	r *recording
}

func (d *recordedData) Image(i int) (dataset.Image, error) {
	d.r.mu.Lock()
	d.r.loaded[i]++
	d.r.mu.Unlock()
	return d.Dataset.Image(i)
}

// TestHoldoutDisjointAndDecides: the held-out images and the training
// images partition the data; training (steps and BN re-estimation) never
// loads a held-out image, every evaluation loads only held-out images, and
// the held-out accuracies decide the snapshot kept: the best one (the later
// on a tie), whose weights are the result's.
func TestHoldoutDisjointAndDecides(t *testing.T) {
	data := stripes(1, 240, 3)
	all := &recording{SliceSource: data, loaded: map[int]int{}}
	train, held, info, err := Holdout(all, 0.2, 9)
	if err != nil {
		t.Fatal(err)
	}
	if info.Images != 48 || info.TrainImages != 192 || held.Len() != 48 || train.Len() != 192 || info.Seed != 9 || info.Rule == "" {
		t.Fatalf("split %+v: %d held, %d train", info, held.Len(), train.Len())
	}
	// Which images of all each part serves, as one pass over it reads them.
	seen := func(src Source) []int {
		if b := newPlan(src, src.Len(), false, false, Augment{}, 0, 0).load(0); b.err != nil {
			t.Fatal(b.err)
		}
		return all.indices()
	}
	heldIdx, trainIdx := seen(held), seen(train)
	if len(heldIdx) != 48 || len(trainIdx) != 192 {
		t.Fatalf("a pass read %d held-out and %d training images", len(heldIdx), len(trainIdx))
	}
	union := append(slices.Clone(heldIdx), trainIdx...)
	slices.Sort(union)
	for i, v := range union {
		if v != i {
			t.Fatalf("holdout and training images do not partition the data: %v", union)
		}
	}
	// Training alone (no evaluation) must not touch a held-out image.
	cfg := testConfig()
	cfg.ExactBackward, cfg.Distill = true, 0 // its snapshots are not monotone on this set
	if _, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil); err != nil {
		t.Fatal(err)
	}
	for _, i := range heldIdx {
		if all.loaded[i] > 0 {
			t.Fatalf("training loaded held-out image %d", i)
		}
	}
	// With the holdout, evaluations load only held-out images, and the
	// snapshot kept is the best.
	clear(all.loaded)
	evals := &recording{SliceSource: data, loaded: map[int]int{}}
	_, heldEval, _, _ := Holdout(evals, 0.2, 9)
	res := checkKeptSnapshot(t, train, heldEval, cfg)
	for i, n := range evals.loaded {
		if !slices.Contains(heldIdx, i) && n > 0 {
			t.Fatalf("evaluation loaded training image %d", i)
		}
	}
	for _, i := range heldIdx {
		if all.loaded[i] > 0 {
			t.Fatalf("training loaded held-out image %d", i)
		}
	}
	// On a device backend (emulated) the kept snapshot goes back to the
	// device before the result comes down: the result is its weights too.
	cfg.Backend = openEmulated(t).Backend()
	dev := checkKeptSnapshot(t, train, heldEval, cfg)
	if d := math.Abs(dev.ValFinal - res.ValFinal); d > 0.05 {
		t.Errorf("held-out accuracy %.3f on the device, %.3f on the CPU", dev.ValFinal, res.ValFinal)
	}
}

// checkKeptSnapshot trains with checkpoints and wants the held-out
// accuracies to decide the snapshot kept: the best (the later on a tie),
// not the last, whose latent weights, as its epoch's checkpoint holds them,
// are the result's.
func checkKeptSnapshot(t *testing.T, train, held Source, cfg Config) *Result {
	t.Helper()
	cfg.CheckpointDir = t.TempDir()
	var perEpoch []map[string][]float32 // latent weights at each epoch's end, from its checkpoint
	res, err := Train(context.Background(), tinyResNet(3, 3), train, held, cfg, func(e Event) {
		if e.Phase == "epoch" {
			perEpoch = append(perEpoch, readCheckpoint(t, cfg.CheckpointDir).Params)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	best, kept := -1.0, -1
	for i, s := range res.Snapshots {
		if s.Accuracy >= best {
			best = s.Accuracy
		}
		if s.Kept {
			kept = i
		}
	}
	t.Logf("snapshots %+v, final %.3f, drop %.3f ± %.3f", res.Snapshots, res.ValFinal, res.ValFloat-res.ValFinal, res.ValDropStdErr)
	// The drop's standard error is at least what its own size implies
	// (the images only one model gets right are at least the difference)
	// and at most that of every image disagreeing.
	n := float64(held.Len())
	drop := math.Abs(res.ValFloat - res.ValFinal)
	if se := res.ValDropStdErr; !(se >= math.Sqrt(drop*(1-drop)/n)-1e-9 && se <= 1/math.Sqrt(n)) {
		t.Errorf("drop %.4f on %v images: standard error %v", drop, n, se)
	}
	// A kept snapshot right on every image differs from the source on
	// exactly the images the source gets wrong: the bound is the value,
	// which another snapshot's images (the last one's) would not give.
	if se := res.ValDropStdErr; res.ValFinal == 1 && math.Abs(se-math.Sqrt(drop*(1-drop)/n)) > 1e-9 {
		t.Errorf("kept snapshot right on all %v images, drop %.4f: standard error %v, want %v", n, drop, se, math.Sqrt(drop*(1-drop)/n))
	}
	if kept < 0 || res.Snapshots[kept].Accuracy != best || len(res.Snapshots) != cfg.Epochs {
		t.Fatalf("kept snapshot %d of %+v, want the best (%.3f)", kept, res.Snapshots, best)
	}
	if kept == len(res.Snapshots)-1 {
		t.Fatal("the best snapshot is the last: the test no longer shows the holdout choosing")
	}
	// The result holds the kept snapshot's latent weights, not the last ones.
	for name, w := range perEpoch[kept] {
		got := res.Model.Graph.Initializer(name).Data.([]float32)
		if !slices.Equal(got, w) {
			t.Fatalf("result weight %s is not the kept snapshot's (epoch %d)", name, kept+1)
		}
	}
	return res
}

func readCheckpoint(t *testing.T, dir string) *checkpoint {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	ck, err := decodeCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func withEpochs(c Config, n int) Config { c.Epochs = n; return c }

// TestScheduleEndsTraining: whatever the epoch budget, the last epoch
// ends at LRMin and the fitted cycles add up to the budget.
func TestScheduleEndsTraining(t *testing.T) {
	for _, epochs := range []int{1, 2, 3, 5} {
		cfg := testConfig()
		cfg.Epochs = epochs
		cfg.Schedule = DefaultSchedule
		res, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 64, 3), nil, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, c := range res.Cycles {
			sum += c
		}
		if last := res.Epochs[len(res.Epochs)-1].LR; last != cfg.Schedule.LRMin || math.Abs(sum-float64(epochs)) > 1e-9 {
			t.Errorf("%d epochs: last lr %v (want %v), cycles %v", epochs, last, cfg.Schedule.LRMin, res.Cycles)
		}
	}
}

// TestSensitivity: on the PyTorch-trained fmnist_tiny and held-out
// Fashion-MNIST images, every layer the plan binarizes gets a sensitivity,
// float layers none; each equals the float model's held-out accuracy less
// that of a run that binarizes the layer alone, planned by package convert,
// and starts with the same BN re-estimation.
func TestSensitivity(t *testing.T) {
	needData(t)
	train, held := miniHoldout(t)
	cfg := DefaultConfig()
	cfg.BNBatches = 8
	m := withPlan(readModel(t, "fmnist_tiny"), "last")
	ref, plan, err := Sensitivity(context.Background(), m, train, held, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 10 || plan[9].Binarized || plan[9].Sensitivity != nil {
		t.Fatalf("plan %+v", plan)
	}
	for i, r := range plan[:9] {
		if r.Sensitivity == nil {
			t.Fatalf("layer %s has no sensitivity", r.Node)
		}
		if i != 0 && i != 4 {
			continue // two cross-checks are enough
		}
		var others []string
		for _, o := range plan {
			if o.Node != r.Node {
				others = append(others, o.Node)
			}
		}
		one := withPlan(readModel(t, "fmnist_tiny"), others...)
		c := withEpochs(cfg, 0)
		c.BNBatches = cfg.quickBN()
		res, err := Train(context.Background(), one, train, held, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := ref - res.ValReestimated; got != *r.Sensitivity || res.ValFloat != ref {
			t.Errorf("%s: sensitivity %v, a one-layer run says %v (float %v vs %v)", r.Node, *r.Sensitivity, got, res.ValFloat, ref)
		}
		t.Logf("%s: sensitivity %.3f", r.Node, *r.Sensitivity)
	}
	if _, _, err := Sensitivity(context.Background(), m, train, nil, cfg, nil); !errors.Is(err, ErrEmptyData) {
		t.Errorf("no holdout: %v", err)
	}
}

func needData(t *testing.T) {
	t.Helper()
	if _, err := dataset.Open("../testdata/data/fmnist-mini"); err != nil {
		t.Fatal(err)
	}
}

// TestJSONWithoutHoldout: without held-out data the epoch and snapshot
// accuracies are NaN, and their JSON says null.
func TestJSONWithoutHoldout(t *testing.T) {
	b, err := json.Marshal([]any{EpochStats{Epoch: 1, ValAcc: math.NaN()}, Snapshot{Step: 3, Accuracy: math.NaN()}, Snapshot{Accuracy: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"Epoch":1,"Loss":0,"TrainAcc":0,"LR":0,"ImagesPerSec":0,"Seconds":0,"ValAcc":null},` +
		`{"epoch":0,"step":3,"cycle_end":false,"bn_batches":0,"kept":false,"holdout_accuracy":null},` +
		`{"epoch":0,"step":0,"cycle_end":false,"bn_batches":0,"kept":false,"holdout_accuracy":0.5}]`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

// TestSensitivityOnDevice: on the emulated device the sensitivities are
// the CPU's (the same codes; the sums may round apart by an image or two
// of the 200 held out), and the measurement leaves no device memory in
// use (the student's and optimizer's memory go before the per-layer nets
// are built, and nothing else of theirs stays behind).
func TestSensitivityOnDevice(t *testing.T) {
	needData(t)
	d := openEmulated(t)
	train, held := miniHoldout(t)
	cfg := DefaultConfig()
	cfg.BNBatches = 4
	m := withPlan(readModel(t, "fmnist_tiny"), "last")
	_, cpu, err := Sensitivity(context.Background(), m, train, held, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Backend = d.Backend()
	before := d.PoolStats().InUse
	_, dev, err := Sensitivity(context.Background(), m, train, held, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Backend().Err(); err != nil {
		t.Fatalf("the device reports: %v", err)
	}
	if in := d.PoolStats().InUse; in != before {
		t.Errorf("device memory in use %d B after the measurement, %d before", in, before)
	}
	for i := range cpu {
		if (cpu[i].Sensitivity == nil) != (dev[i].Sensitivity == nil) ||
			cpu[i].Sensitivity != nil && math.Abs(*cpu[i].Sensitivity-*dev[i].Sensitivity) > 0.011 {
			t.Errorf("%s: sensitivity on the device %v, on the CPU %v", cpu[i].Node, dev[i].Sensitivity, cpu[i].Sensitivity)
		}
	}
}

// miniHoldout is the Fashion-MNIST subset's training split, normalized,
// with 200 images held out (seed 1).
func miniHoldout(t *testing.T) (train, held Source) {
	t.Helper()
	splits, err := dataset.Open("../testdata/data/fmnist-mini")
	if err != nil {
		t.Fatal(err)
	}
	all, err := NewDatasetSource(splits.Train, dataset.Preprocess{Mean: []float32{0.286}, Std: []float32{0.353}})
	if err != nil {
		t.Fatal(err)
	}
	train, held, _, err = Holdout(all, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	return train, held
}
