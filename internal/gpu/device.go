package gpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ebitengine/purego"
)

// minDriver is the oldest driver API version accepted (CUDA 12.0).
const minDriver = 12000

// Device is one CUDA device with its primary context, a stream, a cuBLAS
// handle, the compiled kernels and a memory pool. Its methods may be called
// from any goroutine but not concurrently (a mutex serializes them).
type Device struct {
	Name          string
	Major, Minor  int    // compute capability
	TotalMem      uint64 // bytes
	DriverVersion int    // e.g. 13000 for CUDA 13.0
	NVRTCVersion  int    // same encoding
	BLASVersion   int
	Libraries     []string // files loaded, for logs

	mu     sync.Mutex
	drv    driverAPI
	blas   blasAPI
	rtc    nvrtcAPI
	dev    int32
	ctx    uintptr
	stream uintptr
	handle uintptr // cuBLAS
	mod    module
	pool   *Pool
	prof   *profiler // nil unless profiling
}

// Open loads the CUDA libraries, picks device 0 and compiles the kernels.
// Every failure that means "no usable GPU here" matches ErrNoGPU and says
// what is missing: which library, searched where; a driver without a
// device; a driver too old for the NVRTC found.
func Open() (*Device, error) {
	libs, err := openAll(systemEnv(), dlopen)
	if err != nil {
		return nil, err
	}
	d := &Device{Libraries: libs.paths()}
	if err := d.init(libs); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Probe is Open for --device auto: it returns the device, or nil and one
// line saying why the CPU will be used.
func Probe() (*Device, string) {
	d, err := Open()
	if err != nil {
		return nil, err.Error()
	}
	return d, ""
}

func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

func (d *Device) init(libs *libraries) error {
	if err := bind(libs.driver, "CUDA driver", d.drv.symbols()); err != nil {
		return err
	}
	if err := d.initDriver(); err != nil {
		return err
	}
	if err := bind(libs.blas, "cuBLAS", d.blas.symbols()); err != nil {
		return err
	}
	if err := bind(libs.nvrtc, "NVRTC", d.rtc.symbols()); err != nil {
		return err
	}
	var maj, mnr int32
	if c := d.rtc.nvrtcVersion(&maj, &mnr); c != 0 {
		return errDevice("NVRTC version query failed", fmt.Errorf("nvrtcResult %d", c))
	}
	d.NVRTCVersion = int(maj)*1000 + int(mnr)*10
	if err := checkVersions(d.DriverVersion, d.NVRTCVersion); err != nil {
		return err
	}
	if err := d.initContext(); err != nil {
		return err
	}
	return d.loadKernels()
}

// initDriver runs cuInit and finds device 0.
func (d *Device) initDriver() error {
	code := d.drv.cuInit(0)
	var v int32
	if d.drv.cuDriverGetVersion(&v) == 0 {
		d.DriverVersion = int(v)
	}
	switch code {
	case 0:
	case 100: // CUDA_ERROR_NO_DEVICE
		return errDevice("driver found but no CUDA device", nil)
	case 35: // CUDA_ERROR_INSUFFICIENT_DRIVER
		return errDevice("CUDA driver is older than the CUDA runtime it was installed with", nil)
	default:
		return errDevice("driver found but cuInit failed", d.drv.cuError("cuInit", code))
	}
	var n int32
	if err := d.drv.cuError("cuDeviceGetCount", d.drv.cuDeviceGetCount(&n)); err != nil || n == 0 {
		return errDevice("driver found but no CUDA device", err)
	}
	if err := d.drv.cuError("cuDeviceGet", d.drv.cuDeviceGet(&d.dev, 0)); err != nil {
		return errDevice("cannot open device 0", err)
	}
	var maj, mnr int32
	d.drv.cuDeviceGetAttribute(&maj, attrComputeMajor, d.dev)
	d.drv.cuDeviceGetAttribute(&mnr, attrComputeMinor, d.dev)
	d.Major, d.Minor = int(maj), int(mnr)
	name := make([]byte, 256)
	d.drv.cuDeviceGetName(&name[0], int32(len(name)), d.dev)
	d.Name = cString(&name[0])
	d.drv.cuDeviceTotalMem(&d.TotalMem, d.dev)
	if d.Major < 6 {
		return errDevice(fmt.Sprintf("%s has compute capability %d.%d; 6.0 or newer is needed", d.Name, d.Major, d.Minor), nil)
	}
	return nil
}

// checkVersions refuses a driver older than CUDA 12 or of an older major
// version than NVRTC (its code would not load: a newer toolchain's PTX and
// CUBIN need a driver of at least the same major version).
func checkVersions(driver, nvrtc int) error {
	if driver < minDriver {
		return errDevice(fmt.Sprintf("CUDA driver supports CUDA %s; %s or newer is needed (update the NVIDIA driver)",
			versionString(driver), versionString(minDriver)), nil)
	}
	if driver/1000 < nvrtc/1000 {
		return errDevice(fmt.Sprintf("CUDA driver supports CUDA %s but NVRTC is %s; update the NVIDIA driver or use an NVRTC %d.x",
			versionString(driver), versionString(nvrtc), driver/1000), nil)
	}
	return nil
}

// versionString writes a CUDA version number (12040) as "12.4".
func versionString(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }

// initContext makes the primary context current and creates the stream and
// the cuBLAS handle.
func (d *Device) initContext() error {
	if err := d.drv.cuError("cuDevicePrimaryCtxRetain", d.drv.cuDevicePrimaryCtxRetain(&d.ctx, d.dev)); err != nil {
		return errDevice("cannot create a context", err)
	}
	defer d.enter()()
	if err := d.drv.cuError("cuStreamCreate", d.drv.cuStreamCreate(&d.stream, 0)); err != nil {
		// flags 0: a blocking stream, ordered with the synchronous copies
		// (cuMemcpy*) that run on the legacy default stream.
		return err
	}
	if c := d.blas.cublasCreate(&d.handle); c != 0 {
		return errDevice("cublasCreate failed", fmt.Errorf("cublasStatus %d", c))
	}
	var v int32
	d.blas.cublasGetVersion(d.handle, &v)
	d.BLASVersion = int(v)
	if c := d.blas.cublasSetStream(d.handle, d.stream); c != 0 {
		return fmt.Errorf("gpu: cublasSetStream: cublasStatus %d", c)
	}
	d.pool = NewPool(deviceAllocator{d})
	return nil
}

// SetTF32 lets cuBLAS use TF32 tensor cores for float32 GEMMs (PyTorch's
// default for convolutions through cuDNN); off by default.
func (d *Device) SetTF32(on bool) error {
	defer d.enter()()
	mode := int32(blasDefaultMath)
	if on {
		mode = blasTF32Math
	}
	if c := d.blas.cublasSetMathMode(d.handle, mode); c != 0 {
		return fmt.Errorf("gpu: cublasSetMathMode: cublasStatus %d", c)
	}
	return nil
}

// enter locks the goroutine to its thread, makes the context current there
// and returns the matching exit. CUDA contexts are per thread and goroutines
// move between threads, so every call into the driver goes through enter.
func (d *Device) enter() func() {
	d.mu.Lock()
	runtime.LockOSThread()
	if d.ctx != 0 {
		d.drv.cuCtxSetCurrent(d.ctx)
	}
	return func() {
		runtime.UnlockOSThread()
		d.mu.Unlock()
	}
}

// Sync waits for the device's stream to finish.
func (d *Device) Sync() error {
	defer d.enter()()
	return d.drv.cuError("cuStreamSynchronize", d.drv.cuStreamSynchronize(d.stream))
}

// MemInfo returns the device's free and total memory in bytes.
func (d *Device) MemInfo() (free, total uint64, err error) {
	defer d.enter()()
	err = d.drv.cuError("cuMemGetInfo", d.drv.cuMemGetInfo(&free, &total))
	return free, total, err
}

// String describes the device for logs.
func (d *Device) String() string {
	return fmt.Sprintf("%s (sm_%d%d, %.1f GiB, driver CUDA %s, NVRTC %s)", d.Name, d.Major, d.Minor,
		float64(d.TotalMem)/(1<<30), versionString(d.DriverVersion), versionString(d.NVRTCVersion))
}

// Close frees the pool, the kernels, the cuBLAS handle and the stream, and
// releases the context. The Device is unusable afterwards.
func (d *Device) Close() error {
	if d == nil || d.ctx == 0 {
		return nil
	}
	exit := d.enter()
	if d.pool != nil {
		d.pool.FreeAll()
	}
	if d.mod.handle != 0 {
		d.drv.cuModuleUnload(d.mod.handle)
	}
	if d.handle != 0 {
		d.blas.cublasDestroy(d.handle)
	}
	if d.stream != 0 {
		d.drv.cuStreamDestroy(d.stream)
	}
	d.drv.cuDevicePrimaryCtxRelease(d.dev)
	d.ctx = 0
	exit()
	return nil
}
