package gpu

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/bincompress/bincompress/internal/gpu/cuda"
)

// Launch shapes: grid-stride kernels use blockSize threads and at most
// maxGrid blocks; reductions run blocks of reduceBlock threads (RBLOCK in
// prelude.cu), sliceLen values or more per block (reduce.go).
const (
	blockSize   = 256
	maxGrid     = 65535
	reduceBlock = 256
)

// module is the loaded kernels.
type module struct {
	handle uintptr
	funcs  map[string]uintptr
}

// compileOptions are the NVRTC flags: no fused multiply-add (results match
// the Go reference bit for bit where the operation order is the same) and
// IEEE division and square root.
func compileOptions(major, minor int, cubin bool) []string {
	arch := fmt.Sprintf("compute_%d%d", major, minor)
	if cubin {
		arch = fmt.Sprintf("sm_%d%d", major, minor)
	}
	return []string{"--gpu-architecture=" + arch, "--fmad=false", "--prec-div=true", "--prec-sqrt=true"}
}

// loadKernels compiles the sources for this device (CUBIN, so that a driver
// of the same major version loads it without a PTX JIT; PTX if NVRTC
// cannot target the architecture) and looks up every kernel.
func (d *Device) loadKernels() error {
	src := cuda.Source()
	image, err := d.compile(src, true)
	if err != nil {
		var err2 error
		if image, err2 = d.compile(src, false); err2 != nil {
			return fmt.Errorf("%w (as PTX: %v)", err, err2)
		}
	}
	defer d.enter()()
	image = append(image, 0)
	if err := d.drv.cuError("cuModuleLoadData", d.drv.cuModuleLoadData(&d.mod.handle, unsafe.Pointer(&image[0]))); err != nil {
		return err
	}
	d.mod.funcs = map[string]uintptr{}
	for _, name := range cuda.Kernels {
		var f uintptr
		if err := d.drv.cuError("cuModuleGetFunction "+name, d.drv.cuModuleGetFunction(&f, d.mod.handle, name)); err != nil {
			return err
		}
		d.mod.funcs[name] = f
	}
	return nil
}

// compile runs NVRTC on src and returns CUBIN or PTX.
func (d *Device) compile(src string, cubin bool) ([]byte, error) {
	var prog uintptr
	if c := d.rtc.nvrtcCreateProgram(&prog, src, "bincompress.cu", 0, nil, nil); c != 0 {
		return nil, fmt.Errorf("gpu: nvrtcCreateProgram: nvrtcResult %d", c)
	}
	defer d.rtc.nvrtcDestroyProgram(&prog)
	opts := compileOptions(d.Major, d.Minor, cubin)
	cs := make([][]byte, len(opts))
	ptrs := make([]*byte, len(opts))
	for i, o := range opts {
		cs[i] = append([]byte(o), 0)
		ptrs[i] = &cs[i][0]
	}
	if c := d.rtc.nvrtcCompileProgram(prog, int32(len(ptrs)), unsafe.Pointer(&ptrs[0])); c != 0 {
		return nil, fmt.Errorf("gpu: nvrtc compile %s (nvrtcResult %d): %s", strings.Join(opts, " "), c, d.programLog(prog))
	}
	get, size := d.rtc.nvrtcGetPTX, d.rtc.nvrtcGetPTXSize
	if cubin {
		get, size = d.rtc.nvrtcGetCUBIN, d.rtc.nvrtcGetCUBINSize
	}
	var n uint64
	if c := size(prog, &n); c != 0 || n == 0 {
		return nil, fmt.Errorf("gpu: nvrtc output size: nvrtcResult %d", c)
	}
	out := make([]byte, n)
	if c := get(prog, &out[0]); c != 0 {
		return nil, fmt.Errorf("gpu: nvrtc output: nvrtcResult %d", c)
	}
	return out, nil
}

func (d *Device) programLog(prog uintptr) string {
	var n uint64
	if d.rtc.nvrtcGetProgramLogSize(prog, &n) != 0 || n <= 1 {
		return "(no log)"
	}
	log := make([]byte, n)
	d.rtc.nvrtcGetProgramLog(prog, &log[0])
	return strings.TrimRight(string(log), "\x00\n")
}

// kernelArgs marshals kernel arguments the way cuLaunchKernel reads them:
// an array of pointers, one per argument, to its value. Each value gets an
// 8-byte slot; float32 and int32 sit in the slot's first 4 bytes (little
// endian), device pointers (Buffer) and 64-bit integers take the slot. A
// struct argument (*bshape, *pgeom) is passed as the pointer to its Go
// value, laid out as the C struct.
type kernelArgs struct {
	slots []uint64
	ptrs  []unsafe.Pointer
}

func newKernelArgs(args []any) (*kernelArgs, error) {
	k := &kernelArgs{slots: make([]uint64, len(args)), ptrs: make([]unsafe.Pointer, len(args))}
	for i, a := range args {
		switch v := a.(type) {
		case Buffer:
			k.slots[i] = v.Ptr
		case uint64:
			k.slots[i] = v
		case int64:
			k.slots[i] = uint64(v)
		case int32:
			k.slots[i] = uint64(uint32(v))
		case float32:
			k.slots[i] = uint64(math.Float32bits(v))
		case *bshape:
			k.ptrs[i] = unsafe.Pointer(v)
			continue
		case *pgeom:
			k.ptrs[i] = unsafe.Pointer(v)
			continue
		default:
			return nil, fmt.Errorf("gpu: kernel argument %d has unsupported type %T", i, a)
		}
		k.ptrs[i] = unsafe.Pointer(&k.slots[i])
	}
	return k, nil
}

// gridFor is the number of blocks of a grid-stride kernel over n items.
func gridFor(n int64) uint32 {
	g := (n + blockSize - 1) / blockSize
	return uint32(max(1, min(g, maxGrid)))
}

// launch runs kernel name on the device's stream with grid blocks of block
// threads. The caller has entered the device.
func (d *Device) launch(name string, grid, block uint32, args ...any) error {
	f, ok := d.mod.funcs[name]
	if !ok {
		return fmt.Errorf("gpu: no kernel %q", name)
	}
	k, err := newKernelArgs(args)
	if err != nil {
		return fmt.Errorf("gpu: %s: %w", name, err)
	}
	var params unsafe.Pointer
	if len(k.ptrs) > 0 {
		params = unsafe.Pointer(&k.ptrs[0])
	}
	return d.timed(name, func() error {
		return d.drv.cuError("launch "+name, d.drv.cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, d.stream, params, nil))
	})
}

// launchN runs a grid-stride kernel over n items.
func (d *Device) launchN(name string, n int64, args ...any) error {
	return d.launch(name, gridFor(n), blockSize, args...)
}

// run enters the device and launches one grid-stride kernel over n items.
func (d *Device) run(name string, n int, args ...any) error {
	if n == 0 {
		return nil
	}
	defer d.enter()()
	return d.launchN(name, int64(n), args...)
}

// runOne launches a kernel on one thread.
func (d *Device) runOne(name string, args ...any) error {
	defer d.enter()()
	return d.launch(name, 1, 1, args...)
}

// runBlocks launches blocks blocks of threads threads (a block reduction).
func (d *Device) runBlocks(name string, blocks, threads int, args ...any) error {
	defer d.enter()()
	return d.launch(name, uint32(blocks), uint32(threads), args...)
}
