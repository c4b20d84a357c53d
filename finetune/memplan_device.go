package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/ir"
)

// DevicePlan is a device run's device memory at one batch in one backward
// mode, in bytes. Held is what the trainer keeps on the device from
// before the first pass to the end (the parameters, Ŵ, their gradients,
// the momentum, the float constants, a teacher's weights); Peak the most
// the device's pool reserves: Held plus the passes' float buffers,
// gradients, saved codes, masks and indices, the batch and the kernels'
// scratch, each in the pool's size class, and the blocks the pool keeps
// cached between passes. Peak is what the pool's high-water mark
// (backend.Memory.PeakReserved, Memory.PeakDevice) measures.
type DevicePlan struct {
	Held, Peak int64
}

// deviceModel predicts a device run's device memory at any batch: the
// pool requests of the trainer's set-up and of a training step, an
// evaluation and a statistics pass, recorded on the device at traceBatch
// and traceBatch+1 (per backward mode) and replayed through the device's
// own pool at the run's batch (backend.MemoryPlanner.PlanPeak). A
// request's size is affine in the batch: taken from the two traces, as
// autograd.Trace takes a float buffer's, up to the bound the backend
// gives a scratch it takes in chunks (MemoryEvent.Most).
type deviceModel struct {
	mp     backend.MemoryPlanner
	traces [2][2][]backend.MemoryEvent // by exact, then batch traceBatch+i
	held   [2]int                      // the set-up's events, by exact
}

// newDeviceModel traces cfg's run of plan on its device (nil when the
// backend plans no memory). The traced trainers' memory goes back to the
// device, cached blocks included, before it returns.
func newDeviceModel(model *ir.Model, plan []ir.LayerRecord, sample []int, cfg Config) (*deviceModel, error) {
	mp, ok := cfg.Backend.(backend.MemoryPlanner)
	if !ok {
		return nil, nil
	}
	m := &deviceModel{mp: mp}
	defer mp.ReleaseCache()
	for _, exact := range []bool{false, true} {
		for i := range 2 {
			ev, held, err := traceDevice(mp, model, plan, sample, cfg, exact, traceBatch+i)
			if err != nil {
				return nil, err
			}
			m.traces[b2i(exact)][i], m.held[b2i(exact)] = ev, held
		}
		if t := m.traces[b2i(exact)]; !sameRequests(t[0], t[1]) {
			return nil, fmt.Errorf("finetune: planning device memory: the passes at batches %d and %d make different requests (%d and %d)",
				traceBatch, traceBatch+1, len(t[0]), len(t[1]))
		}
	}
	return m, nil
}

// traceDevice records the pool requests of a trainer of model on the
// device at batch in one mode: its set-up (the first held events), then a
// training step, an evaluation and a statistics pass on a zero batch.
func traceDevice(mp backend.MemoryPlanner, model *ir.Model, plan []ir.LayerRecord, sample []int, cfg Config, exact bool, batch int) ([]backend.MemoryEvent, int, error) {
	pcfg := cfg
	pcfg.BatchSize, pcfg.CheckpointDir, pcfg.Resume, pcfg.ExactBackward = batch, "", false, exact
	src := &SliceSource{X: make([]float32, batch*ir.NumElements(sample)), Shape: sample, Labels: make([]int, batch)}
	mp.TraceMemory()
	t, err := newTrainer(model, plan, src, nil, pcfg, nil)
	setup := mp.TracedMemory()
	if err != nil {
		return nil, 0, err
	}
	defer t.freeDevice()
	// Restarted: a block of the set-up given back during the passes is
	// no event (none is: the set-up's blocks are held for the run).
	mp.TraceMemory()
	err = t.tracedPasses()
	events := mp.TracedMemory()
	if err != nil {
		return nil, 0, err
	}
	for i := range events {
		if events[i].Free {
			events[i].Of += len(setup)
		}
	}
	return append(setup, events...), len(setup), nil
}

// tracedPasses runs what a device run repeats: a training step (forward,
// backward, the update at a zero rate), an evaluation and a statistics
// pass, on the trainer's first batch.
func (t *trainer) tracedPasses() error {
	t.bufs = autograd.NewBuffers()
	b := newPlan(t.train, t.batch, false, false, Augment{}, 0, 0).load(0)
	if b.err != nil {
		return b.err
	}
	t.student.binarize()
	if _, _, err := t.forwardBackward(b, 0); err != nil {
		return err
	}
	t.opt.step(0)
	for _, m := range []mode{modeEval, modeStats} {
		if err := valuesPass(t.student, t.bufs, t.input(b.x), m, nil); err != nil {
			return err
		}
	}
	return t.deviceErr()
}

// sameRequests reports whether two traces make the same requests in the
// same order (sizes aside).
func sameRequests(a, b []backend.MemoryEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Free != b[i].Free || a[i].Of != b[i].Of {
			return false
		}
	}
	return true
}

// plan replays the traces of one mode at batch.
func (m *deviceModel) plan(batch int, exact bool) DevicePlan {
	tw := m.traces[b2i(exact)]
	ev := make([]backend.MemoryEvent, len(tw[0]))
	for i, e := range tw[0] {
		ev[i] = e
		if !e.Free {
			// Affine from the twins; a size that does not grow with the
			// batch stays as traced.
			grow := int64(tw[1][i].Bytes) - int64(e.Bytes)
			ev[i].Bytes = uint64(max(int64(e.Bytes)+max(grow, 0)*int64(batch-traceBatch), 0))
			if e.Most > 0 { // a scratch the backend bounds
				ev[i].Bytes = min(ev[i].Bytes, e.Most)
			}
		}
	}
	held := m.held[b2i(exact)]
	return DevicePlan{Held: int64(m.mp.PlanPeak(ev[:held])), Peak: int64(m.mp.PlanPeak(ev))}
}

// resetDevicePeak starts measuring a device run's peak device memory
// from an empty cache and returns what the device's pool holds before the
// run (0 on the CPU).
func resetDevicePeak(be backend.Backend) uint64 {
	mr, ok := be.(backend.MemoryReporter)
	if !ok {
		return 0
	}
	mr.ReleaseCache()
	mr.ResetPeak()
	return mr.Memory().Reserved
}

// limitDeviceCache holds a device run's pool to its plan (what the pool
// held before the run plus the planned peak, and a sixteenth: the plan
// rounds codes to words as a batch does not, and a limit a few KiB short
// would free and reallocate the cache every step) and returns the undo;
// on the CPU it does nothing.
func limitDeviceCache(be backend.Backend, base uint64, p MemoryPlan) (undo func()) {
	mr, ok := be.(backend.MemoryReporter)
	if !ok || p.Device.Peak <= 0 {
		return func() {}
	}
	mr.LimitCache(base + uint64(p.Device.Peak+p.Device.Peak/16))
	return func() { mr.LimitCache(0) }
}

// devicePeak is the most device memory the run's pool reserved beyond
// what it held before the run (Memory.PeakDevice; 0 on the CPU).
func (t *trainer) devicePeak() int64 {
	mr, ok := t.be.(backend.MemoryReporter)
	if !ok {
		return 0
	}
	return int64(mr.Memory().PeakReserved - t.devBase)
}
