package gpu

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The bindings below follow cuda.h, cublas_api.h and nvrtc.h of CUDA 12 and
// 13 (the ABI of these entry points is the same in both). Versioned names
// (_v2) are the ones the headers alias the plain names to. No header is read
// at build time, so the enum values are copied here and checked by the
// device run (scripts/gpu/device_check.sh).

// driverAPI is the subset of the CUDA driver API the backend uses. Every
// function returns a CUresult (0 = CUDA_SUCCESS).
type driverAPI struct {
	cuInit                    func(flags uint32) int32
	cuDriverGetVersion        func(v *int32) int32
	cuDeviceGetCount          func(n *int32) int32
	cuDeviceGet               func(dev *int32, ordinal int32) int32
	cuDeviceGetName           func(name *byte, n int32, dev int32) int32
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) int32
	cuDeviceTotalMem          func(bytes *uint64, dev int32) int32
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) int32
	cuDevicePrimaryCtxRelease func(dev int32) int32
	cuCtxSetCurrent           func(ctx uintptr) int32
	cuCtxSynchronize          func() int32
	cuStreamCreate            func(s *uintptr, flags uint32) int32
	cuStreamDestroy           func(s uintptr) int32
	cuStreamSynchronize       func(s uintptr) int32
	cuMemAlloc                func(p *uint64, bytes uint64) int32
	cuMemFree                 func(p uint64) int32
	cuMemGetInfo              func(free, total *uint64) int32
	cuMemcpyHtoD              func(dst uint64, src unsafe.Pointer, bytes uint64) int32
	cuMemcpyDtoH              func(dst unsafe.Pointer, src uint64, bytes uint64) int32
	cuMemcpyDtoD              func(dst, src uint64, bytes uint64) int32
	cuMemsetD8                func(dst uint64, v uint8, n uint64) int32
	cuModuleLoadData          func(m *uintptr, image unsafe.Pointer) int32
	cuModuleUnload            func(m uintptr) int32
	cuModuleGetFunction       func(f *uintptr, m uintptr, name string) int32
	cuLaunchKernel            func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params, extra unsafe.Pointer) int32
	cuGetErrorName            func(code int32, s **byte) int32
}

func (a *driverAPI) symbols() []symbol {
	return []symbol{
		{"cuInit", &a.cuInit}, {"cuDriverGetVersion", &a.cuDriverGetVersion},
		{"cuDeviceGetCount", &a.cuDeviceGetCount}, {"cuDeviceGet", &a.cuDeviceGet},
		{"cuDeviceGetName", &a.cuDeviceGetName}, {"cuDeviceGetAttribute", &a.cuDeviceGetAttribute},
		{"cuDeviceTotalMem_v2", &a.cuDeviceTotalMem},
		{"cuDevicePrimaryCtxRetain", &a.cuDevicePrimaryCtxRetain},
		{"cuDevicePrimaryCtxRelease_v2", &a.cuDevicePrimaryCtxRelease},
		{"cuCtxSetCurrent", &a.cuCtxSetCurrent}, {"cuCtxSynchronize", &a.cuCtxSynchronize},
		{"cuStreamCreate", &a.cuStreamCreate}, {"cuStreamDestroy_v2", &a.cuStreamDestroy},
		{"cuStreamSynchronize", &a.cuStreamSynchronize},
		{"cuMemAlloc_v2", &a.cuMemAlloc}, {"cuMemFree_v2", &a.cuMemFree}, {"cuMemGetInfo_v2", &a.cuMemGetInfo},
		{"cuMemcpyHtoD_v2", &a.cuMemcpyHtoD}, {"cuMemcpyDtoH_v2", &a.cuMemcpyDtoH},
		{"cuMemcpyDtoD_v2", &a.cuMemcpyDtoD}, {"cuMemsetD8_v2", &a.cuMemsetD8},
		{"cuModuleLoadData", &a.cuModuleLoadData}, {"cuModuleUnload", &a.cuModuleUnload},
		{"cuModuleGetFunction", &a.cuModuleGetFunction}, {"cuLaunchKernel", &a.cuLaunchKernel},
		{"cuGetErrorName", &a.cuGetErrorName},
	}
}

// Device attributes (CUdevice_attribute).
const (
	attrComputeMajor = 75
	attrComputeMinor = 76
)

// blasAPI is the subset of cuBLAS the backend uses (cublasStatus_t 0 = ok).
type blasAPI struct {
	cublasCreate      func(h *uintptr) int32
	cublasDestroy     func(h uintptr) int32
	cublasGetVersion  func(h uintptr, v *int32) int32
	cublasSetStream   func(h uintptr, s uintptr) int32
	cublasSetMathMode func(h uintptr, mode int32) int32
	cublasSgemm       func(h uintptr, ta, tb int32, m, n, k int32, alpha *float32, a uint64, lda int32,
		b uint64, ldb int32, beta *float32, c uint64, ldc int32) int32
}

func (a *blasAPI) symbols() []symbol {
	return []symbol{
		{"cublasCreate_v2", &a.cublasCreate}, {"cublasDestroy_v2", &a.cublasDestroy},
		{"cublasGetVersion_v2", &a.cublasGetVersion}, {"cublasSetStream_v2", &a.cublasSetStream},
		{"cublasSetMathMode", &a.cublasSetMathMode}, {"cublasSgemm_v2", &a.cublasSgemm},
	}
}

// cuBLAS enums.
const (
	blasOpN         = 0 // CUBLAS_OP_N
	blasOpT         = 1 // CUBLAS_OP_T
	blasDefaultMath = 0 // CUBLAS_DEFAULT_MATH
	blasTF32Math    = 3 // CUBLAS_TF32_TENSOR_OP_MATH
)

// nvrtcAPI is the subset of NVRTC the backend uses (nvrtcResult 0 = ok).
type nvrtcAPI struct {
	nvrtcVersion           func(major, minor *int32) int32
	nvrtcCreateProgram     func(p *uintptr, src, name string, nh int32, headers, names unsafe.Pointer) int32
	nvrtcCompileProgram    func(p uintptr, nopt int32, opts unsafe.Pointer) int32
	nvrtcGetProgramLogSize func(p uintptr, n *uint64) int32
	nvrtcGetProgramLog     func(p uintptr, log *byte) int32
	nvrtcGetPTXSize        func(p uintptr, n *uint64) int32
	nvrtcGetPTX            func(p uintptr, ptx *byte) int32
	nvrtcGetCUBINSize      func(p uintptr, n *uint64) int32
	nvrtcGetCUBIN          func(p uintptr, bin *byte) int32
	nvrtcDestroyProgram    func(p *uintptr) int32
}

func (a *nvrtcAPI) symbols() []symbol {
	return []symbol{
		{"nvrtcVersion", &a.nvrtcVersion}, {"nvrtcCreateProgram", &a.nvrtcCreateProgram},
		{"nvrtcCompileProgram", &a.nvrtcCompileProgram},
		{"nvrtcGetProgramLogSize", &a.nvrtcGetProgramLogSize}, {"nvrtcGetProgramLog", &a.nvrtcGetProgramLog},
		{"nvrtcGetPTXSize", &a.nvrtcGetPTXSize}, {"nvrtcGetPTX", &a.nvrtcGetPTX},
		{"nvrtcGetCUBINSize", &a.nvrtcGetCUBINSize}, {"nvrtcGetCUBIN", &a.nvrtcGetCUBIN},
		{"nvrtcDestroyProgram", &a.nvrtcDestroyProgram},
	}
}

// symbol is one entry point and the Go function variable it binds to.
type symbol struct {
	name string
	fn   any // pointer to a func variable
}

// bind resolves every symbol of a table in one library; a missing symbol is
// an error naming it (an older library than the bindings expect).
func bind(l loaded, what string, syms []symbol) error {
	for _, s := range syms {
		p, err := purego.Dlsym(l.handle, s.name)
		if err != nil || p == 0 {
			return errDevice(fmt.Sprintf("%s %s lacks %s (too old?)", what, l.path, s.name), err)
		}
		purego.RegisterFunc(s.fn, p)
	}
	return nil
}

// cString reads a NUL-terminated C string.
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var n int
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// cuError names a CUresult.
func (a *driverAPI) cuError(op string, code int32) error {
	if code == 0 {
		return nil
	}
	name := ""
	if a.cuGetErrorName != nil {
		var s *byte
		if a.cuGetErrorName(code, &s) == 0 {
			name = cString(s)
		}
	}
	if name == "" {
		name = fmt.Sprintf("CUresult %d", code)
	}
	return fmt.Errorf("gpu: %s: %s", op, name)
}
