package finetune

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/bincompress/bincompress/finetune/autograd"
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
// reports images/s and the bytes saved for backward per image.
func BenchmarkTrainStep(b *testing.B) {
	for _, exact := range []bool{true, false} {
		name := map[bool]string{true: "exact", false: "compressed"}[exact]
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.ExactBackward = exact
			model := readModel(b, resnet20)
			plan := planOfTest(b, model)
			t, err := newTrainer(model, plan, randomSource(128, 3, 32, 32, 10, 2), nil, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			if t.mem, err = newMemoryModel(model, plan, []int{3, 32, 32}, cfg); err != nil {
				b.Fatal(err)
			}
			defer t.planMemory()() // the step buffers in their arena, as Train runs them
			bt := newPlan(t.train, 128, true, false, Augment{}, 0, 0).load(0)
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
			b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(128*b.N)/(cpuSeconds()-cpu0), "images/cpu-s")
			if err := t.measure(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(t.res.Memory.ExactPerImage, "exact-B/img")
			b.ReportMetric(t.res.Memory.CompressedPerImage, "compressed-B/img")
			b.ReportMetric(float64(t.res.Memory.PeakHeap)/(1<<20), "peak-heap-MiB")
		})
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
