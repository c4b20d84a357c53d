package gpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ebitengine/purego"
)

// fake is the emulation library, built once per test binary.
var fake struct {
	once sync.Once
	dir  string
	err  error
	skip string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fake.dir != "" {
		os.RemoveAll(fake.dir)
	}
	os.Exit(code)
}

// buildFakeCUDA returns the directory of the emulation library, building it
// on first use; it skips without a C++ compiler.
func buildFakeCUDA(t *testing.T) string {
	t.Helper()
	fake.once.Do(func() {
		cxx, err := exec.LookPath("g++")
		if err != nil {
			if cxx, err = exec.LookPath("clang++"); err != nil {
				fake.skip = "no C++ compiler: the CPU emulation of the CUDA path is skipped"
				return
			}
		}
		if fake.dir, fake.err = os.MkdirTemp("", "fakecuda"); fake.err == nil {
			fake.err = compileFake(cxx, fake.dir)
		}
	})
	if fake.skip != "" {
		t.Skip(fake.skip)
	}
	if fake.err != nil {
		t.Fatal(fake.err)
	}
	return fake.dir
}

// compileFake compiles testdata/emu/fakecuda.cpp with the real kernel
// sources into one library and links it under the driver's, cuBLAS's and
// NVRTC's names in dir.
func compileFake(cxx, dir string) error {
	src, err := Source()
	if err != nil {
		return err
	}
	var list strings.Builder
	for _, k := range kernelNames {
		list.WriteString("K(" + k + ")\n")
	}
	for name, data := range map[string]string{"kernels_all.cu": src, "kernel_list.h": list.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	emu, _ := filepath.Abs("testdata/emu/fakecuda.cpp")
	lib := filepath.Join(dir, "libfakecuda.so")
	cmd := exec.Command(cxx, "-std=c++17", "-O1", "-shared", "-fPIC", "-fvisibility=hidden", "-ffp-contract=off",
		"-I", dir, "-o", lib, emu)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", cxx, err, msg)
	}
	for _, n := range []string{"libcuda.so.1", "libcublas.so.13", "libnvrtc.so.13"} {
		if err := os.Symlink(lib, filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

// fakeControl binds the fake library's test hooks.
type fakeControl struct {
	set      func(key string, v int32)
	launches func() int32
	live     func() int64
}

func openFakeControl(t *testing.T, dir string) fakeControl {
	h, err := purego.Dlopen(filepath.Join(dir, "libcuda.so.1"), purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		t.Fatal(err)
	}
	var c fakeControl
	purego.RegisterLibFunc(&c.set, h, "fakecuda_set")
	purego.RegisterLibFunc(&c.launches, h, "fakecuda_launches")
	purego.RegisterLibFunc(&c.live, h, "fakecuda_live")
	return c
}

// TestEmulatedDevice runs Open, Probe and the whole parity suite through
// the fake CUDA libraries: every Go line of the GPU path runs, with the
// real kernel sources executed on the CPU.
func TestEmulatedDevice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a C++ library")
	}
	dir := buildFakeCUDA(t)
	t.Setenv("BINCOMPRESS_CUDA_LIBS", dir)
	ctl := openFakeControl(t, dir)

	ctl.set("devices", 0)
	if d, reason := Probe(); d != nil || !strings.Contains(reason, "driver found but no CUDA device") {
		t.Errorf("no device: Probe = %v, %q", d, reason)
	}
	ctl.set("devices", 1)
	ctl.set("driver", 12040)
	if _, err := Open(); err == nil || !errors.Is(err, ErrNoGPU) || !strings.Contains(err.Error(), "CUDA 12.4 but NVRTC is 13.0") {
		t.Errorf("old driver: %v", err)
	}
	ctl.set("driver", 13000)
	d, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.String(), "Fake CUDA (CPU emulation) (sm_90") || len(d.Libraries) != 3 {
		t.Errorf("device %s, libraries %q", d, d.Libraries)
	}
	before := ctl.launches()
	checkParity(t, d.Host(), CPU{})
	if ctl.launches() == before {
		t.Error("no kernel was launched")
	}
	if st := d.PoolStats(); st.InUse != 0 || st.Reserved == 0 {
		t.Errorf("pool after the suite: %+v (a host op leaked a buffer?)", st)
	}
	if err := d.SetTF32(true); err != nil {
		t.Error(err)
	}
	d.Close()
	if n := ctl.live(); n != 0 {
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
	dir := buildFakeCUDA(t)
	t.Setenv("BINCOMPRESS_CUDA_LIBS", dir)
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
