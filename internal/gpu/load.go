package gpu

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoGPU is matched (errors.Is) by every error that says the machine has
// no usable GPU: a library missing, no device, a driver too old.
var ErrNoGPU = errors.New("gpu: no usable CUDA GPU")

// MissingLibraryError says that a library was found nowhere, or that every
// copy found failed to load.
type MissingLibraryError struct {
	Library  string   // "CUDA driver", "cuBLAS", ...
	Names    []string // file names tried
	Searched []string // directories searched, in order
	Failed   []string // "path: dlopen error" for copies that exist but did not load
}

func (e *MissingLibraryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gpu: %s not found: tried %s", e.Library, strings.Join(e.Names, ", "))
	fmt.Fprintf(&b, " in %s and the loader's default path", strings.Join(e.Searched, ":"))
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "; found but failed to load: %s", strings.Join(e.Failed, "; "))
	}
	if e.Library == libDriver.what {
		b.WriteString(" (the driver comes with the NVIDIA kernel driver, not with pip)")
	} else {
		b.WriteString(" (install the CUDA toolkit or pip's nvidia-* wheels, or set BINCOMPRESS_CUDA_LIBS)")
	}
	return b.String()
}

func (e *MissingLibraryError) Is(target error) bool { return target == ErrNoGPU }

// DeviceError says that the driver loaded but no device can be used.
type DeviceError struct {
	Reason string
	Err    error
}

func (e *DeviceError) Error() string {
	if e.Err != nil {
		return "gpu: " + e.Reason + ": " + e.Err.Error()
	}
	return "gpu: " + e.Reason
}

func (e *DeviceError) Unwrap() error           { return e.Err }
func (e *DeviceError) Is(target error) bool    { return target == ErrNoGPU }
func errDevice(reason string, err error) error { return &DeviceError{Reason: reason, Err: err} }

// opener opens a shared library (purego.Dlopen in production).
type opener func(path string) (uintptr, error)

// loaded is one library that opened.
type loaded struct {
	handle uintptr
	path   string
}

// openLibrary tries the files the search found, then the bare names through
// the loader's own search (ld.so.cache, LD_LIBRARY_PATH at process start).
func openLibrary(env searchEnv, l library, open opener) (loaded, error) {
	files, searched := env.candidates(l)
	var failed []string
	for _, f := range files {
		h, err := open(f)
		if err == nil {
			return loaded{h, f}, nil
		}
		failed = append(failed, f+": "+err.Error())
	}
	for _, n := range l.fileNames() {
		if h, err := open(n); err == nil {
			return loaded{h, n}, nil
		}
	}
	return loaded{}, &MissingLibraryError{Library: l.what, Names: l.fileNames(), Searched: searched, Failed: failed}
}

// libraries are the handles of the CUDA libraries, opened in order.
type libraries struct {
	driver, blasLt, blas, nvrtc loaded
}

// openAll opens the driver first (its absence is the common case and the
// clearest message), then cuBLASLt, cuBLAS and NVRTC.
func openAll(env searchEnv, open opener) (*libraries, error) {
	var ls libraries
	var err error
	if ls.driver, err = openLibrary(env, libDriver, open); err != nil {
		return nil, err
	}
	// cuBLASLt is a dependency of cuBLAS; loading it first by absolute path
	// keeps a system copy from being mixed with a pip one. A cuBLAS that
	// finds its own is fine, so a missing cuBLASLt is not an error here.
	ls.blasLt, _ = openLibrary(env, libBLASLt, open)
	if ls.blas, err = openLibrary(env, libBLAS, open); err != nil {
		return nil, err
	}
	if ls.nvrtc, err = openLibrary(env, libNVRTC, open); err != nil {
		return nil, err
	}
	return &ls, nil
}

// paths lists the files loaded, for logs.
func (ls *libraries) paths() []string {
	var out []string
	for _, l := range []loaded{ls.driver, ls.blasLt, ls.blas, ls.nvrtc} {
		if l.path != "" {
			out = append(out, l.path)
		}
	}
	return out
}
