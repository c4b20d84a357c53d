//go:build !linux

package kernels

import "time"

// threadCPU is unavailable off Linux.
func threadCPU() (time.Duration, bool) { return 0, false }

// processCPU is unavailable off Linux.
func processCPU() (time.Duration, bool) { return 0, false }
