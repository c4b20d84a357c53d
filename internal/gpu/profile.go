package gpu

import (
	"sort"
	"time"
)

// Profile is the time spent per kernel (and "sgemm") while profiling: each
// launch is bracketed by stream synchronizations, so the times are exact per
// op but the run is slower than an unprofiled one.
type Profile struct {
	Op    string        `json:"op"`
	Calls int           `json:"calls"`
	Total time.Duration `json:"total_ns"`
}

// profiler accumulates per-op times.
type profiler struct{ ops map[string]*Profile }

// StartProfile makes every following kernel and GEMM synchronous and timed.
func (d *Device) StartProfile() {
	defer d.enter()()
	d.prof = &profiler{ops: map[string]*Profile{}}
}

// StopProfile ends profiling and returns the ops by total time, largest
// first.
func (d *Device) StopProfile() []Profile {
	defer d.enter()()
	if d.prof == nil {
		return nil
	}
	var out []Profile
	for _, p := range d.prof.ops {
		out = append(out, *p)
	}
	d.prof = nil
	sort.Slice(out, func(i, j int) bool {
		return out[i].Total > out[j].Total || out[i].Total == out[j].Total && out[i].Op < out[j].Op
	})
	return out
}

// timed runs op, timing it when profiling. The caller has entered.
func (d *Device) timed(name string, op func() error) error {
	if d.prof == nil {
		return op()
	}
	d.drv.cuStreamSynchronize(d.stream)
	start := time.Now()
	err := op()
	d.drv.cuStreamSynchronize(d.stream)
	p := d.prof.ops[name]
	if p == nil {
		p = &Profile{Op: name}
		d.prof.ops[name] = p
	}
	p.Calls++
	p.Total += time.Since(start)
	return err
}
