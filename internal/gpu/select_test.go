package gpu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// On a machine without CUDA (this one, CI) auto falls back with one log
// line and cuda fails naming the library; an explicit empty search path
// keeps a real GPU machine from answering differently.
func TestSelect(t *testing.T) {
	if d, err := Open(); err == nil {
		d.Close()
		t.Skip("a GPU is present: the fallback is tested where none is")
	}
	var lines []string
	logf := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	if d, err := Select("auto", logf); d != nil || err != nil || len(lines) != 1 ||
		!strings.Contains(lines[0], "device auto: using the CPU (gpu: CUDA driver not found: tried libcuda.so.1") {
		t.Errorf("auto: %v, %v, log %q", d, err, lines)
	}
	if _, err := Select("cuda", logf); err == nil || !errors.Is(err, ErrNoGPU) || !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Errorf("cuda: %v", err)
	}
	if d, err := Select("cpu", logf); d != nil || err != nil {
		t.Errorf("cpu: %v, %v", d, err)
	}
	if _, err := Select("gpu", logf); !errors.Is(err, ErrDeviceFlag) || errors.Is(err, ErrNoGPU) {
		t.Errorf("bad flag: %v", err)
	}
	if len(lines) != 1 {
		t.Errorf("log lines %q: only auto's fallback logs", lines)
	}
}
