package finetune

import (
	"cmp"
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// resnet20 is PyTorch's CIFAR ResNet-20 export (option-B shortcuts, 16/32/64).
const resnet20 = "resnet20_cifar_op17"

// randomSource is n samples of standard-normal noise with random labels.
func randomSource(n, c, h, w, classes int, seed uint64) *SliceSource {
	r := rand.New(rand.NewPCG(seed, 1))
	s := &SliceSource{X: make([]float32, n*c*h*w), Shape: []int{c, h, w}, Labels: make([]int, n)}
	for i := range s.X {
		s.X[i] = float32(r.NormFloat64())
	}
	for i := range s.Labels {
		s.Labels[i] = r.IntN(classes)
	}
	return s
}

// BenchmarkTrainStep times one training step (forward, loss, backward, SGD
// update) of the CIFAR ResNet-20 at batch 128 on 3×32×32 inputs, and
// reports images/s and the bytes saved for backward per image: the step
// on labels alone ("exact", "compressed": PyTorch's step does the same
// work) and the default recipe's, which adds the teacher's forward pass
// for distillation ("exact-distill", "compressed-distill").
func BenchmarkTrainStep(b *testing.B) {
	benchTrain(b, readModel(b, resnet20), 128, false, true)
}

// BenchmarkTrainModel is BenchmarkTrainStep for the model at
// $BNN_BENCH_MODEL (skipped when unset) at batch $BNN_BENCH_BATCH (32),
// on random inputs of the model's input shape and 10 classes. With
// $BNN_BENCH_PROFILE set, a per-layer profile of $BNN_BENCH_PROFILE_STEPS
// (2) more steps goes to that file, one per mode (PATH.exact, PATH.compressed).
// scripts/bench/train_shapes.sh runs it on the models users bring.
func BenchmarkTrainModel(b *testing.B) {
	path := os.Getenv("BNN_BENCH_MODEL")
	if path == "" {
		b.Skip("BNN_BENCH_MODEL is not set")
	}
	m, err := onnx.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	batch, err := strconv.Atoi(cmp.Or(os.Getenv("BNN_BENCH_BATCH"), "32"))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, batch, false)
}

// benchTrain times training steps of m at the given batch in both modes,
// once per distillation setting asked for (false: labels alone).
func benchTrain(b *testing.B, m *ir.Model, batch int, distill ...bool) {
	for _, d := range distill {
		for _, exact := range []bool{true, false} {
			benchTrainMode(b, m, batch, exact, d)
		}
	}
}

func benchTrainMode(b *testing.B, m *ir.Model, batch int, exact, distill bool) {
	name := map[bool]string{true: "exact", false: "compressed"}[exact]
	if distill {
		name += "-distill"
	}
	b.Run(name, func(b *testing.B) {
		cfg := DefaultConfig()
		cfg.ExactBackward = exact
		if !distill {
			cfg.Distill = 0
		}
		src := benchSource(b, m, batch)
		plan := planOfTest(b, m)
		t, err := newTrainer(m, plan, src, nil, cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if t.mem, err = newMemoryModel(m, plan, src.Shape, cfg); err != nil {
			b.Fatal(err)
		}
		defer t.planMemory()() // the step buffers in their arena, as Train runs them
		bt := newPlan(t.train, batch, true, false, Augment{}, 0, 0).load(0)
		var lr float64
		if _, _, _, err := t.trainStep(bt, &lr); err != nil { // warm-up
			b.Fatal(err)
		}
		cpu0 := cpuSeconds()
		b.ResetTimer()
		for range b.N {
			if _, _, _, err := t.trainStep(bt, &lr); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		b.ReportMetric(float64(batch*b.N)/(cpuSeconds()-cpu0), "images/cpu-s")
		if err := t.measure(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t.res.Memory.ExactPerImage, "exact-B/img")
		b.ReportMetric(t.res.Memory.CompressedPerImage, "compressed-B/img")
		b.ReportMetric(float64(t.res.Memory.PeakHeap)/(1<<20), "peak-heap-MiB")
		if out := os.Getenv("BNN_BENCH_PROFILE"); out != "" {
			writeProfile(b, t, bt, out+"."+name)
		}
	})
}

// benchSource is a batch of random samples in m's input shape.
func benchSource(b *testing.B, m *ir.Model, batch int) *SliceSource {
	in := m.Graph.DataInputs()
	if len(in) != 1 || len(in[0].Shape) != 4 {
		b.Fatalf("want one 4-D data input, got %d", len(in))
	}
	d := in[0].Shape
	return randomSource(batch, int(d[1].Size), int(d[2].Size), int(d[3].Size), 10, 2)
}

// writeProfile times a few more steps layer by layer into the file out.
func writeProfile(b *testing.B, t *trainer, bt batch, out string) {
	steps, err := strconv.Atoi(cmp.Or(os.Getenv("BNN_BENCH_PROFILE_STEPS"), "2"))
	if err != nil {
		b.Fatal(err)
	}
	p, stop := profiled(t)
	defer stop()
	var lr float64
	for range steps {
		if err := p.step(t, bt, &lr); err != nil {
			b.Fatal(err)
		}
	}
	var sb strings.Builder
	p.write(&sb)
	if err := os.WriteFile(out, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}

// cpuSeconds is the process's user + system CPU time: on a shared machine
// images per CPU-second is steadier than images per wall second.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkForward isolates the cost of encoding saved
// activations: one training-mode forward of ResNet-20 at batch 128.
func BenchmarkForward(b *testing.B) {
	for _, compress := range []bool{false, true} {
		b.Run(map[bool]string{false: "exact", true: "compressed"}[compress], func(b *testing.B) {
			m := readModel(b, resnet20)
			n, err := compile(m, planOfTest(b, m))
			if err != nil {
				b.Fatal(err)
			}
			n.binarize()
			src := randomSource(128, 3, 32, 32, 10, 2)
			x := autograd.New([]int{128, 3, 32, 32}, src.X)
			for range b.N {
				tp := &autograd.Tape{Compress: compress, Key: 1}
				if _, err := n.forward(tp, x, modeTrain); err != nil {
					b.Fatal(err)
				}
				tp.Reset()
			}
		})
	}
}
