package finetune

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bincompress/bincompress/internal/gpu"
	"github.com/bincompress/bincompress/ir"
)

// benchConfig is one timed configuration of the device benchmark.
type benchConfig struct {
	Model    string `json:"model"`
	Batch    int    `json:"batch"`
	HW       int    `json:"hw"`
	Classes  int    `json:"classes"`
	Compress bool   `json:"compressed"`
	TF32     bool   `json:"tf32"`
}

// benchResult is what the benchmark reports per configuration.
type benchResult struct {
	benchConfig
	ImagesPerSec  float64       `json:"images_per_s"`
	Steps         int           `json:"steps"`
	PeakReserved  uint64        `json:"peak_reserved_bytes"`
	PeakAllocated uint64        `json:"peak_allocated_bytes"`
	SavedPerImage float64       `json:"saved_for_backward_bytes_per_image"`
	FirstLoss     float64       `json:"first_loss"`
	LastLoss      float64       `json:"last_loss"`
	Profile       []gpu.Profile `json:"profile_top,omitempty"` // two more steps, each op synchronized
	Error         string        `json:"error,omitempty"`
}

// benchModels are ResNet-20 (PyTorch's CIFAR export in testdata, batch
// 128, 32×32) and the ResNet-18 topology (batch 64, 224×224, 1000
// classes); small shrinks them for a smoke run on the emulation.
func benchModels(tb testing.TB, small bool) ([]benchConfig, map[string]*ir.Model) {
	cs := []benchConfig{{Model: "resnet20", Batch: 128, HW: 32, Classes: 10}, {Model: "resnet18", Batch: 64, HW: 224, Classes: 1000}}
	ms := map[string]*ir.Model{"resnet20": readModel(tb, resnet20), "resnet18": resnet18Model(64, 224, 1000, 1)}
	if small {
		cs[0].Batch, cs[1] = 4, benchConfig{Model: "resnet18", Batch: 2, HW: 64, Classes: 10}
		ms["resnet18"] = resnet18Model(8, 64, 10, 1)
	}
	return cs, ms
}

// TestDeviceTrainStep times the trainer's training step (forward, loss,
// backward, SGD) on the GPU, exact and compressed backward, TF32 off and
// on, and records peak device memory and the bytes saved for backward. It
// runs when BINCOMPRESS_GPU_BENCH names the JSON file to write
// (scripts/gpu/device_check.sh) and a GPU opens; BINCOMPRESS_GPU_BENCH_STEPS
// sets the timed steps (20).
func TestDeviceTrainStep(t *testing.T) {
	out := os.Getenv("BINCOMPRESS_GPU_BENCH")
	if out == "" {
		t.Skip("set BINCOMPRESS_GPU_BENCH=file.json to run the GPU benchmark")
	}
	d, err := gpu.Open()
	if errors.Is(err, gpu.ErrNoGPU) {
		t.Skip("no GPU: " + err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	steps := 20
	if s, err := strconv.Atoi(os.Getenv("BINCOMPRESS_GPU_BENCH_STEPS")); err == nil && s > 0 {
		steps = s
	}
	results := deviceBench(t, d, os.Getenv("BINCOMPRESS_GPU_BENCH_SMALL") != "", steps, []bool{false, true}, func(rs []benchResult) {
		data, err := json.MarshalIndent(map[string]any{"device": d.String(), "go": rs}, "", "  ")
		if err == nil { // written after each configuration: a timeout keeps what ran
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	for _, r := range results {
		if r.Error != "" {
			t.Errorf("%s batch %d compressed %v tf32 %v: %s", r.Model, r.Batch, r.Compress, r.TF32, r.Error)
		}
	}
}

// deviceBench runs every configuration, calling save with the results so
// far after each.
func deviceBench(t *testing.T, d *gpu.Device, small bool, steps int, tf32s []bool, save func([]benchResult)) []benchResult {
	cs, models := benchModels(t, small)
	var results []benchResult
	for _, tf32 := range tf32s {
		for _, c := range cs {
			for _, compress := range []bool{false, true} {
				c.Compress, c.TF32 = compress, tf32
				r := benchOne(t, d, models[c.Model], c, steps)
				t.Logf("%+v", r)
				results = append(results, r)
				save(results)
			}
		}
	}
	return results
}

func benchOne(t *testing.T, d *gpu.Device, m *ir.Model, c benchConfig, steps int) benchResult {
	res := benchResult{benchConfig: c, Steps: steps}
	if err := d.SetTF32(c.TF32); err != nil {
		res.Error = err.Error()
		return res
	}
	d.ReleaseCache() // the previous configuration's cached blocks
	cfg := DefaultConfig()
	cfg.ExactBackward, cfg.BatchSize, cfg.Backend = !c.Compress, c.Batch, d.Backend()
	tr, err := newTrainer(m, randomSource(c.Batch, 3, c.HW, c.HW, c.Classes, 2), nil, cfg, nil)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer tr.freeDevice()
	bt := newPlan(tr.train, c.Batch, true, false, Augment{}, 0, 0).load(0)
	var lr float64
	step := func() float64 {
		loss, _, err := tr.trainStep(bt, 1, &lr) // downloads the loss: each step ends synchronized
		if err != nil && res.Error == "" {
			res.Error = err.Error()
		}
		return loss
	}
	d.ResetPeak()
	res.FirstLoss = step()
	for range 2 { // warm-up: fills the pool
		step()
	}
	start := time.Now()
	for range steps {
		res.LastLoss = step()
	}
	res.ImagesPerSec = float64(steps*c.Batch) / time.Since(start).Seconds()
	ps := d.PoolStats()
	res.PeakReserved, res.PeakAllocated = ps.Peak, ps.PeakInUse
	if err := tr.measure(context.Background()); err == nil {
		res.SavedPerImage = tr.res.Memory.CompressedPerImage
		if !c.Compress {
			res.SavedPerImage = tr.res.Memory.ExactPerImage
		}
	}
	d.StartProfile()
	step()
	step()
	res.Profile = d.StopProfile()
	res.Profile = res.Profile[:min(12, len(res.Profile))]
	return res
}

// TestDeviceBenchOnEmulator runs the device benchmark, shrunk (and TF32,
// which the emulation ignores, off only), on the emulated GPU: every
// configuration trains, the memory figures are consistent, and compressed
// backward saves memory (the peak too for ResNet-20; the shrunk ResNet-18's
// peak is its weights and scratch, not what it saves).
func TestDeviceBenchOnEmulator(t *testing.T) {
	d := openEmulated(t)
	rs := deviceBench(t, d, true, 1, []bool{false}, func([]benchResult) {})
	if len(rs) != 4 {
		t.Fatalf("%d configurations ran, want 4", len(rs))
	}
	for i, r := range rs {
		if r.Error != "" || r.ImagesPerSec <= 0 || r.PeakAllocated == 0 || r.PeakAllocated > r.PeakReserved ||
			r.SavedPerImage <= 0 || len(r.Profile) == 0 || r.Profile[0].Calls == 0 {
			t.Errorf("configuration %d: %+v", i, r)
		}
		if r.Compress && (r.SavedPerImage*2 > rs[i-1].SavedPerImage || r.Model == "resnet20" && r.PeakAllocated >= rs[i-1].PeakAllocated) {
			t.Errorf("%s: compressed saves %.0f B/image with a peak of %d bytes, exact %.0f with %d", r.Model,
				r.SavedPerImage, r.PeakAllocated, rs[i-1].SavedPerImage, rs[i-1].PeakAllocated)
		}
	}
}
