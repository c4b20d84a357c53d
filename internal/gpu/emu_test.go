package gpu

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/internal/gpu/emu"
)

// TestEmulatedDevice runs Open, Probe and the whole parity suite through
// the fake CUDA libraries: every Go line of the GPU path runs, with the
// real kernel sources executed on the CPU.
func TestEmulatedDevice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a C++ library")
	}
	dir := emu.Lib(t)
	t.Setenv("BINCOMPRESS_CUDA_LIBS", dir)
	ctl, err := emu.Open(dir)
	must(t, err)

	ctl.Set("devices", 0)
	if d, reason := Probe(); d != nil || !strings.Contains(reason, "driver found but no CUDA device") {
		t.Errorf("no device: Probe = %v, %q", d, reason)
	}
	ctl.Set("devices", 1)
	ctl.Set("driver", 12040)
	if _, err := Open(); err == nil || !errors.Is(err, ErrNoGPU) || !strings.Contains(err.Error(), "CUDA 12.4 but NVRTC is 13.0") {
		t.Errorf("old driver: %v", err)
	}
	ctl.Set("driver", 13000)
	d, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.String(), "Fake CUDA (CPU emulation) (sm_90") || len(d.Libraries) != 3 {
		t.Errorf("device %s, libraries %q", d, d.Libraries)
	}
	// The suite under each order of the threads of a block between
	// barriers: a kernel that reads shared memory another thread writes
	// without a barrier in between fails in one of them.
	for order := range int64(3) {
		ctl.Set("order", order)
		launches, threads := ctl.Get("launches"), ctl.Get("threads")
		checkParity(t, d.Host(), CPU{})
		launches, threads = ctl.Get("launches")-launches, ctl.Get("threads")-threads
		if launches == 0 || threads < blockSize*launches {
			t.Errorf("order %d: %d launches ran %d GPU threads, want every thread of every %d-thread block", order, launches, threads, blockSize)
		}
	}
	ctl.Set("order", 0)
	if st := d.PoolStats(); st.InUse != 0 || st.Reserved == 0 {
		t.Errorf("pool after the suite: %+v (a host op leaked a buffer?)", st)
	}
	if err := d.SetTF32(true); err != nil {
		t.Error(err)
	}
	d.Close()
	if n := ctl.Get("live"); n != 0 {
		t.Errorf("%d device allocations outlive Close", n)
	}
}

// TestEmulatedResNet trains small ResNets on the emulated device: every
// layer's forward and backward runs, nothing leaks, the second step
// allocates nothing new, and compressing saves memory.
func TestEmulatedResNet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a C++ library")
	}
	t.Setenv("BINCOMPRESS_CUDA_LIBS", emu.Lib(t))
	d, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n, hw := 2, 16
	r := newPRNG(5)
	x, _ := d.Alloc(4 * uint64(n*3*hw*hw))
	labels, _ := d.Alloc(4 * uint64(n))
	must(t, d.Upload(x, r.floats(n*3*hw*hw, -1, 1)))
	must(t, d.Upload(labels, []int32{3, 7}))
	saved := map[bool]int64{}
	for _, stem := range []bool{false, true} {
		for _, compress := range []bool{false, true} {
			nt, err := NewResNet(d, 3, []int{4, 8}, 1, 10, stem, compress, 9)
			if err != nil {
				t.Fatal(err)
			}
			inUse := d.PoolStats().InUse
			var losses []float32
			allocs := 0
			for step := range 4 {
				res, err := nt.Step(x, labels, n, 3, hw, hw, 0.05, true)
				if err != nil {
					t.Fatalf("stem %v compress %v step %d: %v", stem, compress, step, err)
				}
				if st := d.PoolStats(); st.InUse != inUse {
					t.Fatalf("step %d: %d bytes in use after the step, %d before: a leak", step, st.InUse, inUse)
				} else if step == 1 {
					allocs = st.Allocs
				} else if step > 1 && st.Allocs != allocs {
					t.Errorf("step %d allocated %d new blocks: the pool should serve it", step, st.Allocs-allocs)
				}
				if math.IsNaN(float64(res.Loss)) || res.Loss <= 0 {
					t.Fatalf("loss %v", res.Loss)
				}
				losses = append(losses, res.Loss)
				if !stem {
					saved[compress] = res.SavedBytes
				}
			}
			t.Logf("stem %v compress %v: losses %v saved %d", stem, compress, losses, saved[compress])
			if losses[3] >= losses[0] {
				t.Errorf("stem %v compress %v: loss %v does not fall on a fixed batch", stem, compress, losses)
			}
			nt.Close()
		}
	}
	// The topologies match PyTorch's (scripts/gpu/torch_bench.py; the
	// ResNet-18 count is torchvision's resnet18).
	for _, m := range []struct {
		widths          []int
		blocks, classes int
		stem            bool
		want            int
	}{{[]int{16, 32, 64}, 3, 10, false, 272474}, {[]int{64, 128, 256, 512}, 2, 1000, true, 11689512}} {
		nt, err := NewResNet(d, 3, m.widths, m.blocks, m.classes, m.stem, false, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := nt.NumParams(); got != m.want {
			t.Errorf("widths %v: %d parameters, PyTorch has %d", m.widths, got, m.want)
		}
		nt.Close()
	}
	for _, c := range []bool{false, true} { // ResNet-20 itself, tiny batch
		r := runBench(t, d, benchConfig{Model: "resnet20", Batch: 2, HW: 8, Classes: 10, Compress: c}, 1)
		if r.Error != "" || r.ImagesPerSec <= 0 || r.PeakAllocated == 0 || r.PeakAllocated > r.PeakReserved || r.SavedPerImage <= 0 ||
			len(r.Profile) == 0 || r.Profile[0].Calls == 0 {
			t.Errorf("benchmark run on the emulator: %+v", r)
		}
	}
	if saved[true] <= 0 || 2*saved[true] > saved[false] {
		t.Errorf("saved for backward: compressed %d bytes, exact %d", saved[true], saved[false])
	}
	d.Free(x)
	d.Free(labels)
}
