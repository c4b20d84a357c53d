package gpu

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"
)

// benchConfig is one timed training configuration.
type benchConfig struct {
	Model    string `json:"model"`
	Batch    int    `json:"batch"`
	HW       int    `json:"hw"`
	Classes  int    `json:"classes"`
	Compress bool   `json:"compressed"`
	TF32     bool   `json:"tf32"`
}

// benchResult is what the device benchmark reports per configuration.
type benchResult struct {
	benchConfig
	ImagesPerSec   float64   `json:"images_per_s"`
	Steps          int       `json:"steps"`
	PeakReserved   uint64    `json:"peak_reserved_bytes"`
	PeakAllocated  uint64    `json:"peak_allocated_bytes"`
	SavedPerImage  int64     `json:"saved_for_backward_bytes_per_image"`
	FirstLoss      float32   `json:"first_loss"`
	LastLoss       float32   `json:"last_loss"`
	Error          string    `json:"error,omitempty"`
	DeviceFreeLeft uint64    `json:"device_free_bytes_after"`
	Profile        []Profile `json:"profile_top,omitempty"` // two extra steps, each op synchronized
}

// TestDeviceBenchmark times ResNet-20 (batch 128, 32×32) and the ResNet-18
// topology (batch 64, 224×224) training steps on the GPU, exact and
// compressed, with TF32 off and on. It runs only when
// BINCOMPRESS_GPU_BENCH names the JSON file to write (the device check
// script sets it) and a GPU is present; BINCOMPRESS_GPU_BENCH_STEPS scales
// the timed steps (default 20).
func TestDeviceBenchmark(t *testing.T) {
	out := os.Getenv("BINCOMPRESS_GPU_BENCH")
	if out == "" {
		t.Skip("set BINCOMPRESS_GPU_BENCH=file.json to run the GPU benchmark")
	}
	d := openOrSkip(t)
	defer d.Close()
	steps := 20
	if s, err := strconv.Atoi(os.Getenv("BINCOMPRESS_GPU_BENCH_STEPS")); err == nil && s > 0 {
		steps = s
	}
	var results []benchResult
	for _, tf32 := range []bool{false, true} {
		for _, m := range []benchConfig{{Model: "resnet20", Batch: 128, HW: 32, Classes: 10}, {Model: "resnet18", Batch: 64, HW: 224, Classes: 1000}} {
			for _, c := range []bool{false, true} {
				m.Compress, m.TF32 = c, tf32
				r := runBench(t, d, m, steps)
				t.Logf("%+v", r)
				results = append(results, r)
				// Written after each configuration: a timeout keeps what ran.
				data, _ := json.MarshalIndent(map[string]any{"device": d.String(), "go": results}, "", "  ")
				if err := os.WriteFile(out, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func runBench(t *testing.T, d *Device, c benchConfig, steps int) benchResult {
	res := benchResult{benchConfig: c, Steps: steps}
	fail := func(err error) benchResult { res.Error = err.Error(); t.Error(err); return res }
	if err := d.SetTF32(c.TF32); err != nil {
		return fail(err)
	}
	d.ReleaseCache() // the previous configuration's cached blocks
	widths, blocks, stem := []int{16, 32, 64}, 3, false
	if c.Model == "resnet18" {
		widths, blocks, stem = []int{64, 128, 256, 512}, 2, true
	}
	nt, err := NewResNet(d, 3, widths, blocks, c.Classes, stem, c.Compress, 1)
	if err != nil {
		return fail(err)
	}
	defer nt.Close()
	r := newPRNG(2)
	n := c.Batch * 3 * c.HW * c.HW
	x, err := d.Alloc(4 * uint64(n))
	if err != nil {
		return fail(err)
	}
	defer d.Free(x)
	labels, err := d.Alloc(4 * uint64(c.Batch))
	if err != nil {
		return fail(err)
	}
	defer d.Free(labels)
	lab := make([]int32, c.Batch)
	for i := range lab {
		lab[i] = int32(r.intn(c.Classes))
	}
	if err := d.Upload(x, r.floats(n, -1, 1)); err != nil {
		return fail(err)
	}
	if err := d.Upload(labels, lab); err != nil {
		return fail(err)
	}
	d.Sync()
	d.ResetPeak()
	for i := range 3 { // warm-up: fills the pool, first launches
		st, err := nt.Step(x, labels, c.Batch, 3, c.HW, c.HW, 0.01, i == 0)
		if err != nil {
			return fail(err)
		}
		if i == 0 {
			res.FirstLoss = st.Loss
			res.SavedPerImage = st.SavedBytes / int64(c.Batch)
		}
	}
	if err := d.Sync(); err != nil {
		return fail(err)
	}
	start := time.Now()
	for i := range steps {
		st, err := nt.Step(x, labels, c.Batch, 3, c.HW, c.HW, 0.01, i == steps-1)
		if err != nil {
			return fail(err)
		}
		res.LastLoss = st.Loss
	}
	if err := d.Sync(); err != nil {
		return fail(err)
	}
	res.ImagesPerSec = float64(steps*c.Batch) / time.Since(start).Seconds()
	ps := d.PoolStats()
	res.PeakReserved, res.PeakAllocated = ps.Peak, ps.PeakInUse
	res.DeviceFreeLeft, _, _ = d.MemInfo()
	d.StartProfile()
	for range 2 {
		if _, err := nt.Step(x, labels, c.Batch, 3, c.HW, c.HW, 0.01, false); err != nil {
			d.StopProfile()
			return fail(err)
		}
	}
	res.Profile = d.StopProfile()
	res.Profile = res.Profile[:min(12, len(res.Profile))]
	return res
}
