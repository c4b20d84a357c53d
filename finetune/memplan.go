package finetune

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
)

// MemoryPlan is the memory a fine-tuning run needs at one batch size in one
// backward mode, planned before it starts from a trace of the graph's
// passes on a batch of two (memoryModel): what the tape keeps for
// backward, the most float tensors the passes have live at once, and the
// fixed costs around them. Peak is what the process's resident memory
// should reach; Floor the least it could (Peak less the collector's
// headroom for garbage).
type MemoryPlan struct {
	Batch int
	Exact bool
	// SavedPerImage and ParamBytes are what the tape keeps for backward at
	// the end of the forward pass (as autograd.Tape.SavedBytes counts it),
	// per image and in weight references.
	SavedPerImage float64
	ParamBytes    int64
	// Floats is the arena of float activations and gradients: the most
	// the worst pass holds at once, laid out.
	Floats int64
	// Saved is the most memory of its own the tape's saved buffers hold at
	// once (codes, masks, indices; exact float references are in Floats).
	Saved int64
	// Model is the trainer's copy of the weights, Ŵ, gradients, momentum
	// and one parameter-sized scratch, and the best snapshot's copy of the
	// latent weights and BN statistics (the distillation teacher shares
	// the source's weights); Data the batches in flight; Scratch an
	// allowance for the kernels' scratch.
	Model, Data, Scratch int64
	// Checkpoint is, with a checkpoint directory, what the checkpoint
	// holds besides the trainer (checkpointBytes): 0 without one.
	Checkpoint int64
	// Base is the process's resident memory when the plan was made (the
	// program, the source model, the data sets), BaseGo the part of it the
	// Go runtime manages (the rest is the program's code and data).
	Base, BaseGo int64
	// Headroom is what the garbage collector may let pile up above the
	// live memory (the heap limit is set at Peak).
	Headroom int64
	Floor    int64
	Peak     int64
	// Device is a device run's plan of device memory (zero on the CPU,
	// whose run plans none; a device run plans nothing of the above but
	// the saved bytes).
	Device DevicePlan
}

// ErrMemory is returned when the planned peak of a run exceeds
// Config.MaxMemory.
var ErrMemory = errors.New("finetune: the run does not fit the memory limit")

// traceBatch is the batch the memory model traces its passes at, and
// traceBatch+1 that of their twins: two, so that batch statistics mean
// something and every buffer is small.
const traceBatch = 2

// memoryModel predicts a run's memory at any batch from traces of its
// passes (a training step, an evaluation pass and a statistics pass) at
// traceBatch, one trace per backward mode.
type memoryModel struct {
	traces       [2]*autograd.Trace // by exact
	model        int64
	sampleBytes  int64
	base, baseGo int64
	checkpoint   int64
	dev          *deviceModel // a device run's (nil on the CPU)
}

// newMemoryModel traces a training step, an evaluation and a statistics
// pass of model as cfg trains plan, on a zero batch of traceBatch samples of
// sample's shape, on a copy of the model (the traced step changes
// nothing the run will use), on the CPU whatever cfg.Backend: the plan is
// of host buffers. A device run's passes are traced on its device too
// (deviceModel), for the plan of device memory.
func newMemoryModel(model *ir.Model, plan []ir.LayerRecord, sample []int, cfg Config) (*memoryModel, error) {
	base, baseGo := cfg.pinned.all, cfg.pinned.goPart
	if base == 0 {
		base, baseGo = processResident()
	}
	pcfg := cfg
	pcfg.BatchSize, pcfg.CheckpointDir, pcfg.Resume, pcfg.Backend = traceBatch+1, "", false, nil
	src := &SliceSource{X: make([]float32, (traceBatch+1)*ir.NumElements(sample)), Shape: sample, Labels: make([]int, traceBatch+1)}
	p, err := newTrainer(model, plan, src, nil, pcfg, nil)
	if err != nil {
		return nil, err
	}
	p.student.binarize()
	m := &memoryModel{sampleBytes: 4 * int64(ir.NumElements(sample))}
	for _, exact := range []bool{false, true} {
		var twin [2]*autograd.Trace
		for i := range twin {
			if twin[i], err = p.trace(exact, traceBatch+i); err != nil {
				return nil, err
			}
			// Before the heap limit is set, a trace's garbage would pile
			// up to twice the live heap and set the run's peak.
			debug.FreeOSMemory()
		}
		twin[0].Twin(twin[1])
		m.traces[b2i(exact)] = twin[0]
	}
	m.model = p.modelBytes()
	if cfg.CheckpointDir != "" {
		m.checkpoint = p.checkpointBytes(cfg.Resume, cfg.CheckpointDir)
	}
	m.base, m.baseGo = base, baseGo
	if onDevice(cfg) {
		if m.dev, err = newDeviceModel(model, plan, sample, cfg); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// trace runs the passes of one backward mode at batch with a tracing
// recycler.
func (t *trainer) trace(exact bool, batch int) (*autograd.Trace, error) {
	tr := autograd.NewTrace(batch)
	t.bufs = autograd.NewBuffers()
	t.bufs.Trace(tr)
	defer func() { t.bufs = nil }()
	b := newPlan(t.train, batch, false, false, Augment{}, 0, 0).load(0)
	if b.err != nil {
		return nil, b.err
	}
	tr.Extern(b.x.Data)
	t.cfg.ExactBackward = exact
	if _, _, err := t.forwardBackward(b, 0); err != nil {
		return nil, err
	}
	for _, m := range []mode{modeEval, modeStats} {
		if err := valuesPass(t.student, t.bufs, b.x, m, nil); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// modelBytes is what the trainer holds besides the passes: its copy of
// the model's initializers, Ŵ of each binary layer, a gradient and a
// momentum buffer per parameter, and the scratch for the largest one's
// gradient; and once a run has trained, the best snapshot (copyWeights),
// held to the end, as large as the weights: on a ResNet-34 (81 MiB of
// weights) the plan left it out and the run peaked 10 % above it, as the
// snapshot was taken. The distillation teacher shares the source's
// weights (floatNet), which Base counts.
func (t *trainer) modelBytes() int64 {
	var n, largest int64
	for _, in := range t.res.Model.Graph.Initializers {
		n += int64(in.Len() * in.DType.Size())
	}
	for _, p := range t.student.params {
		n += 2 * 4 * int64(len(p.Data))
		largest = max(largest, 4*int64(len(p.Data)))
	}
	for _, l := range t.student.layers {
		n += 4 * int64(len(l.hat.Data))
	}
	if t.cfg.Epochs > 0 {
		n += t.snapshotBytes()
	}
	return n + largest
}

// snapshotBytes is what a snapshot of the student's weights
// (copyWeights) holds: the latent weights and BN running statistics.
func (t *trainer) snapshotBytes() int64 {
	var b int64
	for _, name := range t.names {
		b += 4 * int64(len(t.student.hostValues(name)))
	}
	for _, s := range t.student.bn {
		b += 4 * int64(len(s.mean)+len(s.variance))
	}
	return b
}

// checkpointBytes is what the checkpoint holds besides the trainer: as it
// is written at an epoch's end (writeCheckpoint), gob's buffer of its
// largest value, a tensor, at most 6 bytes a float (a length byte and a
// float32's five nonzero bytes as a float64), grown by appending (the old
// array and the new, a quarter larger, live at once: 9/4 of it), and a
// MiB for the checkpoint's own fields (the fingerprint, the history, at
// most MaxLossPoints losses); on a resume, as much as the decoded latent
// weights, BN statistics and momentum, held until they are copied into
// the trainer, and three times the bytes of the file's first gob value,
// which the decoder holds (the whole checkpoint in a version-4 file,
// whose resume on a ResNet-34 measured 2.7 times its buffer above a
// version-5 resume: 1,814 MiB against 859; the heap is past its limit
// there, and the collector falls behind). The plan left the checkpoint
// out, and with the whole payload in one gob value a ResNet-34 run peaked
// 84 % above it as it wrote one, 130 % as it resumed.
func (t *trainer) checkpointBytes(resume bool, dir string) int64 {
	var largest int64
	for _, p := range t.student.params {
		largest = max(largest, int64(len(p.Data)))
	}
	n := (6*largest + 1<<20) * 9 / 4
	if resume {
		n = max(n, 2*t.snapshotBytes()+3*firstValueBytes(dir))
	}
	return n
}

// plan is the memory of a run at batch in the given mode: on a device,
// the saved bytes and the device's memory.
func (m *memoryModel) plan(batch int, exact bool) MemoryPlan {
	tp := m.traces[b2i(exact)].Plan(batch)
	if m.dev != nil {
		return MemoryPlan{Batch: batch, Exact: exact, SavedPerImage: float64(tp.Saved) / float64(batch),
			ParamBytes: tp.SavedParams, Device: m.dev.plan(batch, exact)}
	}
	p := MemoryPlan{Batch: batch, Exact: exact, SavedPerImage: float64(tp.Saved) / float64(batch),
		ParamBytes: tp.SavedParams, Floats: tp.Arena, Saved: tp.SavedPeak, Model: m.model,
		Data: pipelineBatches * int64(batch) * (m.sampleBytes + 8), Scratch: scratchBytes(tp), Checkpoint: m.checkpoint, Base: m.base, BaseGo: m.baseGo}
	p.Floor = p.Base + p.Floats + p.Saved + p.Model + p.Data + p.Scratch + p.Checkpoint
	// The collector may let a step's garbage (its codes, a parameter
	// gradient's copy) pile up before it runs: a quarter of the saved
	// memory, and a few MiB for the rest.
	p.Headroom = p.Saved/4 + 16<<20
	p.Peak = p.Floor + p.Headroom
	return p
}

// pipelineBatches is how many batches the input pipeline holds at most:
// the one in the step, one ready to hand over and one being filled
// (batchPlan.stream).
const pipelineBatches = 3

// scratchBytes is the kernels' scratch for the traced passes'
// convolutions at the plan's batch: the largest layer's partial sums or
// Winograd transforms (kernels.FilterScratch at the layer's own spatial
// size and the batch, tp.Scratch; a quarter more for the pools' size
// classes) and chunks of a few MiB per goroutine for the rest
// (internal/kernels sizes them to the caches, never to the batch).
func scratchBytes(tp autograd.TracePlan) int64 {
	return tp.Scratch + tp.Scratch/4 + int64(runtime.GOMAXPROCS(0))*8<<20
}

// peak is the planned peak at batch that a memory limit bounds: the
// process's resident memory, or on a device the device memory.
func (m *memoryModel) peak(batch int, exact bool) int64 {
	if m.dev != nil {
		return m.dev.plan(batch, exact).Peak
	}
	return m.plan(batch, exact).Peak
}

// largestBatch is the largest batch in [2, most] whose planned peak fits
// budget, or 0 when none does (the peak grows with the batch).
func (m *memoryModel) largestBatch(budget int64, exact bool, most int) int {
	lo, hi := 1, most // plan(lo) fits (or lo = 1), plan(hi+1) does not
	if m.peak(2, exact) > budget {
		return 0
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if m.peak(mid, exact) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// fitMargin is what a batch chosen (AutoBatch) or named as fitting a limit
// leaves free below it: the process's resident memory before training,
// part of every host plan, moves a little from run to run (a MiB or so),
// and a batch named as fitting must still fit when the user passes it
// back. A device plan has no such part.
func (m *memoryModel) fitMargin() int64 {
	if m.dev != nil {
		return 0
	}
	return m.base / 32
}

// marginText says what the margin is and why, for messages that name a
// batch chosen or named under limit less it ("" without a margin).
func (m *memoryModel) marginText(limit int64) string {
	if m.fitMargin() == 0 {
		return ""
	}
	return fmt.Sprintf(" with %s of the limit kept free (budget %s), since the process's own memory before training moves from run to run",
		FormatBytes(m.fitMargin()), FormatBytes(limit-m.fitMargin()))
}

// noBatchFits says that no batch of at least 2 fits limit less the margin,
// and which batch (at most most) fits the limit itself when one does: the
// user who passes it runs, so the message must not read as if none could.
func (m *memoryModel) noBatchFits(limit int64, exact bool, most int) string {
	return "no batch of at least 2 fits" + m.marginText(limit) + m.fitsItself(limit, exact, most) + m.smallestLimit(exact)
}

// smallestLimit names the smallest limit, in whole MiB, that batch 2 fits
// with the margin: the refusal said what batch 2 needed, and a user who
// passed that back was refused again for the margin.
func (m *memoryModel) smallestLimit(exact bool) string {
	need := (m.peak(2, exact) + m.fitMargin() + 1<<20 - 1) >> 20
	return fmt.Sprintf("; the smallest limit that fits (batch 2) is %dMiB", need)
}

// fitsItself names the largest batch (at most most) that fits limit
// without the margin, or "" when none does.
func (m *memoryModel) fitsItself(limit int64, exact bool, most int) string {
	if b := m.largestBatch(limit, exact, most); b >= 2 && m.fitMargin() > 0 {
		return fmt.Sprintf("; batch %d fits the limit itself, without the margin, but may not in another run", b)
	}
	return ""
}

// chooseBatch applies Config.MaxMemory and returns the batch size to
// train with: the one cfg asks for, which (at most the data's size) must
// fit it, or with AutoBatch the largest batch that fits it less the
// margin. On a device the limit bounds the device's memory.
func (m *memoryModel) chooseBatch(cfg Config, samples int) (int, error) {
	if onDevice(cfg) && m.dev == nil && (cfg.MaxMemory > 0 || cfg.BatchSize == AutoBatch) {
		return 0, fmt.Errorf("%w: %s does not account for its memory, so no plan can bound it: give a batch size", ErrMemory, cfg.Backend.Name())
	}
	if samples < 2 {
		return 0, fmt.Errorf("finetune: %d training samples, need at least 2 (batch statistics): %w", samples, ErrEmptyData)
	}
	exact := cfg.ExactBackward
	batch := min(cfg.BatchSize, samples)
	what := "--max-memory"
	if m.dev != nil {
		what = "--max-memory (device memory on " + cfg.Backend.Name() + ")"
	}
	if cfg.BatchSize == AutoBatch {
		batch = min(samples, m.largestBatch(cfg.MaxMemory-m.fitMargin(), exact, samples))
		if batch < 2 {
			need, budget := FormatBytesPair(m.peak(2, exact), cfg.MaxMemory-m.fitMargin())
			return 0, fmt.Errorf("%w: no batch of at least 2 fits %s %s%s: batch 2 needs %s, more than %s%s%s", ErrMemory,
				what, FormatBytes(cfg.MaxMemory), m.marginText(cfg.MaxMemory), need, budget, m.fitsItself(cfg.MaxMemory, exact, samples),
				m.smallestLimit(exact))
		}
		return batch, nil
	}
	if cfg.MaxMemory > 0 && batch >= 2 {
		if p := m.plan(batch, exact); m.peak(batch, exact) > cfg.MaxMemory {
			hint := m.noBatchFits(cfg.MaxMemory, exact, batch)
			if fit := m.largestBatch(cfg.MaxMemory-m.fitMargin(), exact, batch); fit >= 2 {
				hint = fmt.Sprintf("the largest batch that fits is %d%s", fit, m.marginText(cfg.MaxMemory))
			}
			need, limit := FormatBytesPair(m.peak(batch, exact), cfg.MaxMemory)
			return 0, fmt.Errorf("%w: batch %d needs %s (plan: %s), more than %s %s; %s", ErrMemory, batch,
				need, p.Summary(), what, limit, hint)
		}
	}
	return cfg.BatchSize, nil
}

// Summary lists the plan's parts, for messages.
func (p MemoryPlan) Summary() string {
	if p.Device.Peak > 0 {
		return fmt.Sprintf("device memory held for the run %s, peak %s", FormatBytes(p.Device.Held), FormatBytes(p.Device.Peak))
	}
	ck := ""
	if p.Checkpoint > 0 {
		ck = ", checkpoint " + FormatBytes(p.Checkpoint)
	}
	return fmt.Sprintf("floats %s, saved %s, model %s, data %s, scratch %s%s, process before training %s, headroom %s",
		FormatBytes(p.Floats), FormatBytes(p.Saved), FormatBytes(p.Model), FormatBytes(p.Data), FormatBytes(p.Scratch),
		ck, FormatBytes(p.Base), FormatBytes(p.Headroom))
}

// FormatBytes writes n in MiB (KiB below one MiB).
func FormatBytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// FormatBytesPair writes two sizes a message compares in MiB to one
// decimal, or in bytes when they would read the same: "needs 105 MiB, more
// than 105 MiB" hides the comparison it reports.
func FormatBytesPair(a, b int64) (string, string) {
	f := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	if f(a) == f(b) {
		return fmt.Sprintf("%d bytes", a), fmt.Sprintf("%d bytes", b)
	}
	return f(a), f(b)
}

// limitMemory sets the Go runtime's memory limit to the planned peak less
// what the runtime does not manage (the program's code), so that garbage
// is collected before the process grows past the plan, unless GOMEMLIMIT
// says otherwise; it returns the undo.
func limitMemory(p MemoryPlan) (undo func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	// Never below what the runtime holds now (the arena included), plus
	// the headroom: a plan that fell short must slow the collector down,
	// not make it run without end.
	old := debug.SetMemoryLimit(max(p.GoLimit(), goMappedBytes()+p.Headroom))
	return func() { debug.SetMemoryLimit(old) }
}

// GoLimit is the Go memory limit a run with plan p is held to: its peak
// less what the Go runtime does not manage, and less codeSlack.
func (p MemoryPlan) GoLimit() int64 { return p.Peak - (p.Base - p.BaseGo) - codeSlack }

// codeSlack is what the process's memory outside the Go heap grows by
// after the plan is made: the program's code and data pages the later
// phases touch first (packing, verification) and the threads' stacks.
// The collector lets the heap grow to its limit, so with none left for
// them runs peaked a MiB or two over their plans (a ResNet-18 of width 16
// at 224×224: 231 MiB against 230).
const codeSlack = 4 << 20

// KeepWithinPlan holds the Go heap, for what the process does after
// training (packing, verification), to the peak that training planned in
// its backward mode, unless GOMEMLIMIT says otherwise: with the limit lifted
// the collector would let verification's garbage grow to twice the live
// heap, and the process would peak after training, above its plan. It is a
// soft limit: work that needs more still gets it. It returns the undo. A
// run without a plan (on a device, or not trained) changes nothing.
func (m Memory) KeepWithinPlan(exact bool) (undo func()) {
	if exact {
		return m.PlanExact.Hold()
	}
	return m.PlanCompressed.Hold()
}

// Hold holds the Go heap to p (p.GoLimit), unless GOMEMLIMIT says
// otherwise or p is no plan (a device run's, or none made); it returns
// the undo. It is a soft limit: work that needs more still gets it.
func (p MemoryPlan) Hold() (undo func()) {
	if os.Getenv("GOMEMLIMIT") != "" || p.Peak <= 0 {
		return func() {}
	}
	old := debug.SetMemoryLimit(p.GoLimit())
	return func() { debug.SetMemoryLimit(old) }
}

// PinMemory plans a run of model on train before a caller trains several
// times (--keep-float auto: the sensitivity phase, then a run per round):
// it measures the process's memory now, checks cfg's batch against
// MaxMemory (choosing it for AutoBatch) and returns cfg with that batch
// and that measure, which every later plan takes. Measured again before
// each run, the process's memory would carry what the runs before left
// resident, and a limit checked before any work could fail after it.
//
// It also returns the first run's plan. Each run holds the heap to its
// plan while it runs, but between them the limit is lifted, and the
// collector let the sensitivity phase's and the next round's planning
// garbage grow to twice the live heap (a ResNet-18 at 64×64 under
// --max-memory 560MiB, planned at 431 MiB, peaked at 663): the caller
// holds the heap to that plan around the runs (MemoryPlan.Hold).
func PinMemory(model *ir.Model, train Source, cfg Config) (Config, MemoryPlan, error) {
	plan, err := planOf(model)
	if err != nil {
		return cfg, MemoryPlan{}, err
	}
	all, goPart := processResident()
	cfg.pinned = resident{all, goPart}
	mem, cfg, err := planRun(model, plan, train, cfg)
	if err != nil || mem.dev != nil {
		return cfg, MemoryPlan{}, err
	}
	return cfg, mem.plan(cfg.BatchSize, cfg.ExactBackward), nil
}

// processResident measures the process's memory before a run (tests pin
// it, so that plans do not move with the test binary's own heap).
var processResident = residentBytes

// residentBytes is the process's resident memory now, after a collection
// that returns what it freed (VmRSS where /proc has it, else what the Go
// runtime has mapped), and the part of it the Go runtime manages.
func residentBytes() (all, goPart int64) {
	debug.FreeOSMemory()
	goPart = goMappedBytes()
	if v := procStatus("VmRSS"); v > goPart {
		return v, goPart
	}
	return goPart, goPart
}

// PeakResident is the process's resident-memory high-water mark (VmHWM),
// or 0 where /proc does not say.
func PeakResident() int64 { return procStatus("VmHWM") }

// procStatus reads a "kB" field of /proc/self/status in bytes (0 when absent).
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// goMappedBytes is the memory the Go runtime holds from the system, less
// what it has returned.
func goMappedBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// releaseMemory hands the run's arena back to the system as Train
// returns, so that what the caller does next (verification) starts from
// the memory the process had before, not on top of a dead arena that the
// collector, its limit lifted, would keep for a while.
func (t *trainer) releaseMemory() {
	t.bufs = nil
	debug.FreeOSMemory()
}

// planMemory lays the step buffers out for the run's batch and mode and
// limits the heap to the plan; it returns the undo of the limit. A device
// run's step takes its tensors from the device: no arena, no limit.
func (t *trainer) planMemory() (undo func()) {
	if t.be != nil {
		return func() {}
	}
	p := t.mem.plan(t.batch, t.cfg.ExactBackward)
	if t.bufs == nil {
		t.bufs = newStepBuffers()
	}
	if t.bufs != nil {
		t.bufs.Plan(t.mem.traces[b2i(t.cfg.ExactBackward)], t.batch)
	}
	return limitMemory(p)
}

// onDevice reports whether cfg trains on a device backend.
func onDevice(cfg Config) bool { return cfg.Backend != nil && !autograd.IsHost(cfg.Backend) }
