package finetune

import (
	"context"
	"errors"
	"fmt"
	"github.com/bincompress/bincompress/finetune/autograd"
	"math"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// testConfig trains the test nets, which start from random weights: their
// teacher knows nothing, so the labels alone (Distill 0) teach.
func testConfig() Config {
	c := DefaultConfig()
	c.Epochs, c.BatchSize, c.Seed, c.Distill = 3, 16, 7, 0
	c.Augment = Augment{Pad: 1}
	c.Schedule = Schedule{LRMax: 0.05, LRMin: 1e-3, T0: 1, TMult: 2}
	c.BNBatches = 4
	return c
}

// TestTrainLearns: from random weights, fine-tuning with either backward
// reaches well above chance on held-out data and lowers the loss.
func TestTrainLearns(t *testing.T) {
	train, val := stripes(1, 192, 3), stripes(2, 96, 3)
	for _, exact := range []bool{false, true} {
		cfg := testConfig()
		cfg.ExactBackward = exact
		var events []Event
		res, err := Train(context.Background(), tinyResNet(3, 3), train, val, cfg, func(e Event) { events = append(events, e) })
		if err != nil {
			t.Fatal(err)
		}
		first, last := res.Epochs[0], res.Epochs[len(res.Epochs)-1]
		t.Logf("exact=%v: val binarized %.3f reestimated %.3f final %.3f; loss %.3f → %.3f; memory %+v",
			exact, res.ValBinarized, res.ValReestimated, res.ValFinal, first.Loss, last.Loss, res.Memory)
		t.Logf("cycles %v snapshots %+v epochs %+v", res.Cycles, res.Snapshots, res.Epochs)
		if res.ValFinal < 0.8 || last.Loss >= first.Loss {
			t.Errorf("exact=%v: final accuracy %.3f (want >= 0.8), loss %.3f → %.3f", exact, res.ValFinal, first.Loss, last.Loss)
		}
		if len(events) == 0 || events[len(events)-1].Phase != "done" {
			t.Errorf("exact=%v: progress did not end with done", exact)
		}
	}
}

// latent returns the result's conv and dense weights and BN statistics.
func latent(t *testing.T, res *Result) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, init := range res.Model.Graph.Initializers {
		out[init.Name] = init.Data.([]float32)
	}
	return out
}

func sameWeights(t *testing.T, what string, a, b map[string][]float32) {
	t.Helper()
	for name, x := range a {
		y := b[name]
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				t.Fatalf("%s: %s[%d] = %v vs %v", what, name, i, x[i], y[i])
			}
		}
	}
}

// TestDeterministicAcrossThreads: the same seed gives bit-identical weights
// at GOMAXPROCS 1 and 2, with compressed and with exact backward (whose
// steps recycle their buffers), distillation on.
func TestDeterministicAcrossThreads(t *testing.T) {
	train := stripes(1, 96, 3)
	cfg := testConfig()
	cfg.Epochs, cfg.Distill, cfg.Temperature = 2, 0.5, 2
	run := func(procs int) map[string][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return latent(t, res)
	}
	cfg.ExactBackward = true
	sameWeights(t, "exact backward, GOMAXPROCS 1 vs 2", run(1), run(2))
	cfg.ExactBackward = false
	one, two := run(1), run(2)
	sameWeights(t, "GOMAXPROCS 1 vs 2", one, two)
	cfg.Seed++
	other, _ := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	if reflect.DeepEqual(latent(t, other), one) {
		t.Fatal("another seed gave the same weights")
	}
}

// TestRecyclingChangesNothing trains with the step buffers recycled (each
// activation given back as soon as its last reader has run) and without,
// on a ResNet whose ReLUs and residual Adds write in place and whose head
// reads a view, and on two families with the trainer's later ops (an SE
// block's Sigmoid, Mul and ReduceMean; an option-A shortcut's AveragePool,
// Pad and Concat); the weights must match bit for bit, with every buffer
// given back poisoned with NaN, and the arena the memory plan lays out
// must serve every request of every pass, no gradient taking a buffer
// from elsewhere.
func TestRecyclingChangesNothing(t *testing.T) {
	type model struct {
		name  string
		model func() *ir.Model
		data  Source
	}
	models := []model{{"tiny", func() *ir.Model { return tinyResNet(3, 3) }, stripes(1, 64, 3)}}
	for _, name := range []string{"se_silu_op17", "wrn_mcdonnell_op11"} {
		models = append(models, model{name, func() *ir.Model { return withPlan(readFamily(t, name)) }, randomSource(32, 3, 32, 32, 10, 3)})
	}
	cfg := testConfig()
	cfg.Epochs, cfg.Distill, cfg.Temperature = 2, 0.5, 2
	for _, m := range models {
		run := func(recycle bool) map[string][]float32 {
			defer func(f func() *autograd.Buffers) { newStepBuffers = f }(newStepBuffers)
			newStepBuffers = func() *autograd.Buffers { return nil }
			var bufs *autograd.Buffers
			if recycle {
				newStepBuffers = func() *autograd.Buffers {
					bufs = autograd.NewBuffers()
					bufs.Poison()
					return bufs
				}
			}
			res, err := Train(context.Background(), m.model(), m.data, nil, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if recycle && (bufs.ArenaBytes() == 0 || bufs.Misses() != 0 || bufs.Foreign() != 0) {
				t.Fatalf("%s: arena of %d B, %d requests outside it, %d gradients in buffers of their own: the planned arena must serve every pass",
					m.name, bufs.ArenaBytes(), bufs.Misses(), bufs.Foreign())
			}
			return latent(t, res)
		}
		for _, exact := range []bool{true, false} {
			cfg.ExactBackward = exact
			sameWeights(t, fmt.Sprintf("%s, exact=%v, recycled vs not", m.name, exact), run(false), run(true))
		}
	}
}

// TestResumeMatchesUninterrupted kills a run mid-way through epoch 2 and
// resumes it from the epoch-1 checkpoint; it must end with exactly the
// weights and the training curve of a run that was never interrupted.
func TestResumeMatchesUninterrupted(t *testing.T) {
	train := stripes(1, 96, 3)
	cfg := testConfig()
	cfg.ResetMomentum = true
	full, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.CheckpointDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Train(ctx, tinyResNet(3, 3), train, nil, cfg, func(e Event) {
		if e.Phase == "batch" && e.Epoch == 2 && e.Batch == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	cfg.Resume = true
	resumed, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameWeights(t, "resumed vs uninterrupted", latent(t, full), latent(t, resumed))
	if len(resumed.Epochs) != cfg.Epochs {
		t.Fatalf("resumed history has %d epochs, want %d", len(resumed.Epochs), cfg.Epochs)
	}
	// The training curve the .bnn carries is the uninterrupted run's too.
	if len(full.Loss) == 0 || !slices.Equal(resumed.Loss, full.Loss) {
		t.Errorf("loss curve: resumed %v, uninterrupted %v", resumed.Loss, full.Loss)
	}
	if _, err := Train(context.Background(), tinyResNet(3, 3), train, stripes(2, 16, 3), cfg, nil); err == nil {
		t.Fatal("resuming with another held-out set must be refused (its best snapshot was measured on none)")
	}
	cfg.Seed++
	if _, err := Train(context.Background(), tinyResNet(3, 3), train, nil, cfg, nil); err == nil {
		t.Fatal("resuming with another seed must be refused")
	}
}

// TestBadInput: each bad input is a named error.
func TestBadInput(t *testing.T) {
	cfg := testConfig()
	cfg.Epochs = 1
	good := stripes(1, 32, 3)
	wrongShape := &SliceSource{X: make([]float32, 32*3*8*8), Shape: []int{3, 8, 8}, Labels: make([]int, 32)}
	nan := stripes(1, 32, 3)
	for i := range nan.X {
		nan.X[i] = float32(math.NaN())
	}
	badLabel := stripes(1, 32, 3)
	badLabel.Labels[5] = 3
	cases := []struct {
		name string
		src  Source
		want error
	}{
		{"wrong shape", wrongShape, ErrSampleShape},
		{"empty", &SliceSource{Shape: []int{1, 8, 8}}, ErrEmptyData},
		{"nan loss", nan, ErrNaNLoss},
		{"label out of range", badLabel, ErrLabel},
	}
	for _, c := range cases {
		if _, err := Train(context.Background(), tinyResNet(3, 3), c.src, nil, cfg, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := Train(context.Background(), withPlan(tinyResNet(3, 3), "c1", "c2", "fc"), good, nil, cfg, nil); !errors.Is(err, ErrNoBinaryLayer) {
		t.Errorf("nothing to binarize: %v", err)
	}
	cfg = testConfig()
	cfg.BNBits = 3
	if _, err := Train(context.Background(), tinyResNet(3, 3), good, nil, cfg, nil); err == nil {
		t.Error("want an error for 3 BN bits")
	}
}

// TestInputModelUntouched: training works on a copy.
func TestInputModelUntouched(t *testing.T) {
	m := tinyResNet(3, 3)
	before, meta := m.Graph.Initializer("c1.w").Clone(), slices.Clone(m.Metadata)
	if _, err := Train(context.Background(), m, stripes(1, 32, 3), nil, testConfig(), nil); err != nil {
		t.Fatal(err)
	}
	after := m.Graph.Initializer("c1.w")
	if !reflect.DeepEqual(before.Data, after.Data) || !reflect.DeepEqual(meta, m.Metadata) || after.DType != ir.Float32 {
		t.Fatal("Train changed its input model")
	}
}

// TestNoEpochsReestimatesOnce: with no epochs (--epochs 0, --calib) BN is
// re-estimated once, after binarizing, and that model is the result: its
// statistics and the accuracy reported are those of the re-estimation.
func TestNoEpochsReestimatesOnce(t *testing.T) {
	train, val := stripes(1, 192, 3), stripes(2, 96, 3)
	cfg := testConfig()
	cfg.Epochs = 0
	passes := 0
	res, err := Train(context.Background(), tinyResNet(3, 3), train, val, cfg, func(e Event) {
		if e.Phase == "bn" && e.Batch == 1 {
			passes++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if passes != 1 || res.ValFinal != res.ValReestimated {
		t.Errorf("%d BN re-estimation passes, final accuracy %v against %v re-estimated; want one pass, the same", passes, res.ValFinal, res.ValReestimated)
	}
}
