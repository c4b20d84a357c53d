package emu

import (
	"os"
	"slices"
	"testing"
	"unsafe"

	"github.com/bincompress/bincompress/internal/gpu/cuda"
	"github.com/ebitengine/purego"
)

// driver is the part of the fake driver API the self-tests call directly.
type driver struct {
	*Control
	getFunction func(f *uintptr, mod uintptr, name string) int32
	alloc       func(p *uint64, n uint64) int32
	free        func(p uint64) int32
	htod        func(dst uint64, src unsafe.Pointer, n uint64) int32
	dtoh        func(dst unsafe.Pointer, src uint64, n uint64) int32
	launch      func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params, extra unsafe.Pointer) int32
}

func openDriver(t *testing.T) *driver {
	dir := Lib(t)
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := purego.Dlopen(dir+"/"+Names[0], purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		t.Fatal(err)
	}
	d := &driver{Control: c}
	purego.RegisterLibFunc(&d.getFunction, h, "cuModuleGetFunction")
	purego.RegisterLibFunc(&d.alloc, h, "cuMemAlloc_v2")
	purego.RegisterLibFunc(&d.free, h, "cuMemFree_v2")
	purego.RegisterLibFunc(&d.htod, h, "cuMemcpyHtoD_v2")
	purego.RegisterLibFunc(&d.dtoh, h, "cuMemcpyDtoH_v2")
	purego.RegisterLibFunc(&d.launch, h, "cuLaunchKernel")
	c.Set("order", 0)
	c.Set("workers", 2)
	t.Cleanup(func() { c.Set("order", 0); c.Set("workers", 0) })
	return d
}

// upload allocates device memory holding v.
func (d *driver) upload(t *testing.T, v []int32) uint64 {
	var p uint64
	if rc := d.alloc(&p, uint64(4*len(v))); rc != 0 {
		t.Fatalf("cuMemAlloc: %d", rc)
	}
	if rc := d.htod(p, unsafe.Pointer(&v[0]), uint64(4*len(v))); rc != 0 {
		t.Fatalf("cuMemcpyHtoD: %d", rc)
	}
	t.Cleanup(func() { d.free(p) })
	return p
}

func (d *driver) download(t *testing.T, p uint64, n int) []int32 {
	v := make([]int32, n)
	if rc := d.dtoh(unsafe.Pointer(&v[0]), p, uint64(4*n)); rc != 0 {
		t.Fatalf("cuMemcpyDtoH: %d", rc)
	}
	return v
}

// run launches kernel name on grid g and block b with device pointers.
func (d *driver) run(t *testing.T, name string, g, b [3]uint32, args ...uint64) int32 {
	var f uintptr
	if rc := d.getFunction(&f, 0, name); rc != 0 {
		t.Fatalf("cuModuleGetFunction %s: %d", name, rc)
	}
	ptrs := make([]unsafe.Pointer, len(args))
	for i := range args {
		ptrs[i] = unsafe.Pointer(&args[i])
	}
	return d.launch(f, g[0], g[1], g[2], b[0], b[1], b[2], 0, 0, unsafe.Pointer(&ptrs[0]), nil)
}

// Every thread of every block runs, with the coordinates the launch asked
// for, in 3-D grids and blocks.
func TestThreadCoordinates(t *testing.T) {
	d := openDriver(t)
	g, b := [3]uint32{3, 2, 2}, [3]uint32{4, 3, 5}
	nb, nt := 3*2*2, 4*3*5
	out := d.upload(t, make([]int32, 6*nb*nt))
	before := d.Get("threads")
	if rc := d.run(t, "emu_ids", g, b, out); rc != 0 {
		t.Fatalf("launch: %d", rc)
	}
	if ran := d.Get("threads") - before; ran != int64(nb*nt) {
		t.Errorf("%d threads ran, want %d", ran, nb*nt)
	}
	got := d.download(t, out, 6*nb*nt)
	for blk := range nb {
		for th := range nt {
			want := []int32{int32(th % 4), int32(th / 4 % 3), int32(th / 12), int32(blk % 3), int32(blk / 3 % 2), int32(blk / 6)}
			if o := got[6*(blk*nt+th) : 6*(blk*nt+th)+6]; !slices.Equal(o, want) {
				t.Fatalf("block %d thread %d wrote %v, want %v", blk, th, o, want)
			}
		}
	}
}

// A barrier orders a shared-memory write before another thread's read, in
// whatever order the threads run; without the barrier the order shows.
func TestBarrierAndSharedMemory(t *testing.T) {
	d := openDriver(t)
	const blocks, n = 7, 256
	in := make([]int32, blocks*n)
	for i := range in {
		in[i] = int32(i * 3)
	}
	din, out := d.upload(t, in), d.upload(t, make([]int32, len(in)))
	for order := range int64(3) {
		d.Set("order", order)
		if rc := d.run(t, "emu_rotate", [3]uint32{blocks, 1, 1}, [3]uint32{n, 1, 1}, din, out); rc != 0 {
			t.Fatalf("order %d: launch %d", order, rc)
		}
		got := d.download(t, out, len(in))
		for b := range blocks {
			for th := range n {
				if want := in[b*n+(th+1)%n]; got[b*n+th] != want {
					t.Fatalf("order %d: block %d thread %d read %d, want %d", order, b, th, got[b*n+th], want)
				}
			}
		}
	}
	var racy [2][]int32
	for order := range int64(2) {
		d.Set("order", order)
		if rc := d.run(t, "emu_rotate_racy", [3]uint32{blocks, 1, 1}, [3]uint32{n, 1, 1}, din, out); rc != 0 {
			t.Fatalf("racy: launch %d", rc)
		}
		racy[order] = d.download(t, out, len(in))
	}
	if slices.Equal(racy[0], racy[1]) {
		t.Error("a kernel that reads shared memory without a barrier gave the same result in forward and reverse thread order")
	}
}

// A barrier that some threads skip fails the launch, and the next launch
// works.
func TestDivergentBarrierFails(t *testing.T) {
	d := openDriver(t)
	out := d.upload(t, make([]int32, 4*64))
	if rc := d.run(t, "emu_diverge", [3]uint32{4, 1, 1}, [3]uint32{64, 1, 1}, out); rc != 719 {
		t.Errorf("divergent barrier: launch returned %d, want 719 (CUDA_ERROR_LAUNCH_FAILED)", rc)
	}
	if rc := d.run(t, "emu_ids", [3]uint32{1, 1, 1}, [3]uint32{64, 1, 1}, d.upload(t, make([]int32, 6*64))); rc != 0 {
		t.Errorf("launch after a failed one: %d", rc)
	}
	if rc := d.run(t, "emu_ids", [3]uint32{1, 1, 1}, [3]uint32{1025, 1, 1}, out); rc != 1 {
		t.Errorf("1025 threads per block: launch returned %d, want 1 (CUDA_ERROR_INVALID_VALUE)", rc)
	}
}

// Copies and frees are checked against live allocations; the memory limit
// makes allocations fail as a full device does.
func TestMemoryChecks(t *testing.T) {
	d := openDriver(t)
	p := d.upload(t, make([]int32, 16))
	buf := make([]int32, 17)
	if rc := d.htod(p, unsafe.Pointer(&buf[0]), 4*17); rc != 1 {
		t.Errorf("copy past an allocation's end: %d, want 1", rc)
	}
	if rc := d.dtoh(unsafe.Pointer(&buf[0]), p+4, 4*16); rc != 1 {
		t.Errorf("copy from past an allocation's end: %d, want 1", rc)
	}
	var q uint64
	if rc := d.alloc(&q, 1000); rc != 0 {
		t.Fatal(rc)
	}
	if d.free(q) != 0 || d.free(q) != 1 {
		t.Error("a second free of the same pointer was not refused")
	}
	d.Set("memlimit", d.Get("live_bytes")+4096)
	defer d.Set("memlimit", 1<<30)
	if rc := d.alloc(&q, 8192); rc != 2 {
		t.Errorf("allocation over the limit: %d, want 2 (CUDA_ERROR_OUT_OF_MEMORY)", rc)
	}
}

// Only the kernels that reach a barrier run on fibers: the classification
// follows calls into device functions.
func TestBarrierClassification(t *testing.T) {
	src := `__device__ double sum(double v, double* sh) {
  __syncthreads();
  return v;
}
__device__ __forceinline__ float twice(float v) { return 2 * v; }
extern "C" __global__ void reduce(const float* x) {
  __shared__ double sh[256];
  sum(x[0], sh);
}
extern "C" __global__ void scale(float* x) { x[0] = twice(x[0]); }
`
	got := barrierFuncs(src)
	if !got["reduce"] || !got["sum"] || got["scale"] || got["twice"] {
		t.Errorf("barriers: %v; want reduce and sum only", got)
	}
	real := barrierFuncs(cuda.Source())
	if !real["minmax_part"] || real["im2col"] {
		t.Errorf("package cuda: minmax_part must run on fibers and im2col need not: %v", real)
	}
}

// TestLibDir writes the library's directory to the file EMU_LIBDIR_FILE
// names, for scripts (scripts/gpu/prepare.sh) that run a binary on the
// emulation.
func TestLibDir(t *testing.T) {
	p := os.Getenv("EMU_LIBDIR_FILE")
	if p == "" {
		t.Skip("set EMU_LIBDIR_FILE to write the library's directory there")
	}
	if err := os.WriteFile(p, []byte(Lib(t)), 0o644); err != nil {
		t.Fatal(err)
	}
}
