package finetune

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/onnx"
)

// BenchmarkEpochVsStep compares the whole-epoch training rate, data
// pipeline included (the trainer's own epoch loop: decode, resize, random
// crop, flip and normalize in the pipeline's workers while the steps run),
// with the step rate (the same steps on one batch already in memory). The
// two alternate for EPOCH_BENCH_ROUNDS rounds (default 3); medians are
// reported, and epoch/step is the share of the step rate an epoch keeps
// (epoch/step-paired: the median of each round's share).
//
// It runs only when EPOCH_BENCH_MODEL names an ONNX classifier and
// EPOCH_BENCH_DATA a data set (scripts/bench/epoch.sh sets them);
// EPOCH_BENCH_PREP is the CLI's flags, e.g. "--resize 256 --center-crop
// 224" (ImageNet's mean and std are always applied), EPOCH_BENCH_BATCH the
// batch size (32). Training takes random crops where a center crop is set,
// as the CLI does, and the default augmentation (DefaultConfig's).
func BenchmarkEpochVsStep(b *testing.B) {
	path, data := os.Getenv("EPOCH_BENCH_MODEL"), os.Getenv("EPOCH_BENCH_DATA")
	if path == "" || data == "" {
		b.Skip("set EPOCH_BENCH_MODEL and EPOCH_BENCH_DATA (scripts/bench/epoch.sh)")
	}
	m, err := onnx.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	splits, err := dataset.Open(data)
	if err != nil {
		b.Fatal(err)
	}
	prep := benchPrep(b)
	src, err := NewDatasetSource(splits.Eval(), prep)
	if err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.BatchSize = envInt("EPOCH_BENCH_BATCH", 32)
	cfg.Augment.Crop = len(prep.CenterCrop) > 0
	t, err := newTrainer(m, planOfTest(b, m), src, nil, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	batch := newPlan(src, t.batch, true, false, Augment{}, 0, 0).load(0)
	if batch.err != nil {
		b.Fatal(batch.err)
	}
	steps := newPlan(src, t.batch, true, true, cfg.Augment, 0, 0).count()
	// Rates per wall second, and per CPU second of the whole process: on a
	// shared machine the second is steadier, and its ratio is the share of
	// the CPU the pipeline leaves to the steps.
	var stepWall, epochWall, stepCPU, epochCPU []float64
	for range b.N {
		for round := range envInt("EPOCH_BENCH_ROUNDS", 3) {
			for _, epochFirst := range []bool{round%2 == 1, round%2 == 0} {
				cpu0, begin := cpuSeconds(), time.Now()
				var images int
				if epochFirst {
					if err := t.runEpoch(context.Background()); err != nil {
						b.Fatal(err)
					}
					images = steps * t.batch
				} else {
					images = runSteps(b, t, batch, steps)
				}
				wall, cpu := &stepWall, &stepCPU
				if epochFirst {
					wall, cpu = &epochWall, &epochCPU
				}
				*wall = append(*wall, float64(images)/time.Since(begin).Seconds())
				*cpu = append(*cpu, float64(images)/(cpuSeconds()-cpu0))
			}
		}
	}
	b.ReportMetric(median(stepWall), "step-images/s")
	b.ReportMetric(median(epochWall), "epoch-images/s")
	b.ReportMetric(median(epochWall)/median(stepWall), "epoch/step")
	b.ReportMetric(median(epochCPU)/median(stepCPU), "epoch/step-cpu")
	// The same ratio taken within each round, then the median: a noisy
	// round then spoils one ratio, not the medians of both rates.
	b.ReportMetric(median(ratios(epochWall, stepWall)), "epoch/step-paired")
	b.Logf("per wall second: steps %.2f, epochs %.2f; per CPU second: steps %.3f, epochs %.3f images",
		stepWall, epochWall, stepCPU, epochCPU)
}

// ratios returns a[i]/b[i].
func ratios(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] / b[i]
	}
	return out
}

// runSteps runs n training steps on one batch in memory and returns the
// images they took.
func runSteps(b *testing.B, t *trainer, bt batch, n int) int {
	var lr float64
	for range n {
		if _, _, _, err := t.trainStep(bt, &lr); err != nil {
			b.Fatal(err)
		}
	}
	return n * len(bt.labels)
}

// benchPrep reads EPOCH_BENCH_PREP ("--resize 256 --center-crop 224").
func benchPrep(b *testing.B) dataset.Preprocess {
	p := dataset.Preprocess{Channels: 3, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	f := strings.Fields(os.Getenv("EPOCH_BENCH_PREP"))
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.Atoi(f[i+1])
		if err != nil {
			b.Fatalf("EPOCH_BENCH_PREP: %q", f[i+1])
		}
		switch f[i] {
		case "--resize":
			p.Resize, p.Antialias = []int{v}, true // antialiased, as the CLI's --resize by default
		case "--center-crop":
			p.CenterCrop = []int{v}
		default:
			b.Fatalf("EPOCH_BENCH_PREP: unknown flag %q", f[i])
		}
	}
	return p
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return 0
	}
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
