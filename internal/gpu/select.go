package gpu

import (
	"errors"
	"fmt"
)

// ErrDeviceFlag is matched by Select's error for a --device value that is
// none of cpu, cuda, auto (a usage error: exit code 2).
var ErrDeviceFlag = errors.New("gpu: --device must be cpu, cuda or auto")

// Select implements the --device flag:
//
//   - "cpu": no device (nil, nil).
//   - "cuda": the GPU, or an error matching ErrNoGPU that names what is
//     missing (the CLI exits 1).
//   - "auto" or "": the GPU if one is usable; otherwise nil, nil after one
//     line to logf saying why the CPU is used.
func Select(mode string, logf func(format string, args ...any)) (*Device, error) {
	switch mode {
	case "cpu":
		return nil, nil
	case "cuda":
		return Open()
	case "auto", "":
		d, reason := Probe()
		if d == nil && logf != nil {
			logf("device auto: using the CPU (%s)", reason)
		}
		return d, nil
	}
	return nil, fmt.Errorf("%w, not %q", ErrDeviceFlag, mode)
}
