package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bincompress/bincompress/finetune"
)

// batchSizeFlag is --batch-size: a number of images, or auto (the largest
// batch whose planned peak fits --max-memory).
type batchSizeFlag struct{ n *int }

func (f batchSizeFlag) String() string {
	if f.n == nil || *f.n == finetune.AutoBatch {
		return "auto"
	}
	return strconv.Itoa(*f.n)
}

func (f batchSizeFlag) Set(s string) error {
	if s == "auto" {
		*f.n = finetune.AutoBatch
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 2 {
		return fmt.Errorf("want a batch of at least 2 images, or auto")
	}
	*f.n = n
	return nil
}

func (f batchSizeFlag) Type() string { return "size" }

// memoryFlag is --max-memory: a size in bytes with an optional unit (K, M,
// G, T as powers of 1024, with or without "iB"/"B"; KB, MB, GB, TB as
// powers of 1000).
type memoryFlag struct{ n *int64 }

func (f memoryFlag) String() string {
	if f.n == nil || *f.n == 0 {
		return ""
	}
	return finetune.FormatBytes(*f.n)
}

func (f memoryFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*f.n = n
	return nil
}

func (f memoryFlag) Type() string { return "size" }

// parseSize reads "1.5GiB", "800M", "2GB", "512000000".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{
		{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	t, scale := strings.ToUpper(strings.TrimSpace(s)), 1.0
	for _, u := range units {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, scale = strings.TrimSpace(v), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v*scale >= 1) || v*scale > 1<<62 { // NaN fails >= too
		return 0, fmt.Errorf("%q is not a memory size (e.g. 2GiB, 800M, 1.5GB)", s)
	}
	return int64(v * scale), nil
}

// memoryLine is the summary of a run's memory: what it planned and saw in
// its backward mode, and what the other mode would plan (on a device, its
// memory; nothing planned on a device that keeps no account of it).
func memoryLine(m finetune.Memory, exact bool) string {
	mode, run, other := "compressed", m.PlanCompressed, m.PlanExact
	if exact {
		mode, run, other = "exact", m.PlanExact, m.PlanCompressed
	}
	if run.Device.Peak > 0 {
		return fmt.Sprintf("memory (%s backward, batch %d): peak device memory %s, planned %s (held for the run %s; %s backward would plan %s); peak resident %s; saved for backward %.0f B per image (exact %.0f B, %.1fx less)",
			mode, m.Batch, finetune.FormatBytes(m.PeakDevice), finetune.FormatBytes(run.Device.Peak), finetune.FormatBytes(run.Device.Held),
			map[bool]string{true: "compressed", false: "exact"}[exact], finetune.FormatBytes(other.Device.Peak), finetune.FormatBytes(m.PeakRSS),
			m.CompressedPerImage, m.ExactPerImage, m.ExactPerImage/m.CompressedPerImage)
	}
	if run.Peak == 0 {
		return fmt.Sprintf("memory (%s backward, batch %d): peak resident %s; saved for backward %.0f B per image (exact %.0f B, %.1fx less)",
			mode, m.Batch, finetune.FormatBytes(m.PeakRSS), m.CompressedPerImage, m.ExactPerImage, m.ExactPerImage/m.CompressedPerImage)
	}
	return fmt.Sprintf("memory (%s backward, batch %d): peak resident %s, planned %s (floor %s; %s backward would plan %s); saved for backward %.0f B per image (exact %.0f B, %.1fx less)",
		mode, m.Batch, finetune.FormatBytes(m.PeakRSS), finetune.FormatBytes(run.Peak), finetune.FormatBytes(run.Floor),
		map[bool]string{true: "compressed", false: "exact"}[exact], finetune.FormatBytes(other.Peak),
		m.CompressedPerImage, m.ExactPerImage, m.ExactPerImage/m.CompressedPerImage)
}
