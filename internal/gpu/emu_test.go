package gpu

import (
	"errors"
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
		res := checkParity(t, d.Backend())
		launches, threads = ctl.Get("launches")-launches, ctl.Get("threads")-threads
		if order == 0 {
			t.Logf("%d parity cases, %d launches, %d GPU threads", len(res), launches, threads)
		}
		if launches == 0 || threads < blockSize*launches {
			t.Errorf("order %d: %d launches ran %d GPU threads, want every thread of every %d-thread block", order, launches, threads, blockSize)
		}
	}
	ctl.Set("order", 0)
	if st := d.PoolStats(); st.Reserved == 0 {
		t.Errorf("pool after the suite: %+v", st)
	}
	if err := d.SetTF32(true); err != nil {
		t.Error(err)
	}
	d.Close()
	if n := ctl.Get("live"); n != 0 {
		t.Errorf("%d device allocations outlive Close", n)
	}
}
