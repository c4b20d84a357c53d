package autograd

import (
	"errors"

	"github.com/bincompress/bincompress/internal/backend"
)

// Tape records the ops of one forward pass so that Backward can run them in
// reverse. A nil *Tape records nothing: ops then compute values only
// (evaluation, the teacher's forward, BN re-estimation).
type Tape struct {
	// Compress stores the saved activations of binary layers, ReLU and BN as
	// the codes doc.go describes instead of float32 references.
	Compress bool
	// BNBits is the bit width of BatchNormalization's saved normalized input
	// when Compress is set (1, 2, 4 or 8; 0 means DefaultBNBits).
	BNBits int
	// Key seeds the stochastic codes of this pass (derive it from the run's
	// seed and step so that results never depend on scheduling).
	Key uint64

	// Buffers, when set, recycles the pass's float buffers (see Buffers).
	Buffers *Buffers
	// Around, when set, runs the backward of recorded op i (recording
	// order) as Around(i, backward): a profiler times each op with it.
	Around func(i int, backward func())
	// ValuesOnly makes the tape record nothing, as a nil Tape, while its
	// ops still take their outputs from Buffers and Release gives them
	// back: evaluation and statistics passes then reuse the training
	// step's memory instead of leaving garbage. On a device it is a nil
	// Tape (outputs come from the device's memory, Release frees them).
	ValuesOnly bool

	ops     []recorded
	streams uint64
	codes   map[codeKey]Saved // binary layers' inputs already encoded
	lent    []float32         // the last output buffer taken from Buffers, not yet recorded
	owner   map[any]lentBuf   // who owns each lent output buffer (by storage)
	pinned  map[any]bool      // activations that ops saved as float references (by storage)
	// On a device backend: the last output buffer allocated, not yet
	// recorded, and the outputs of ops that were not recorded, freed at
	// the end of the pass.
	lentDev   backend.Buffer
	transient []backend.Buffer
	devBe     backend.Backend
}

// lentBuf is an output buffer and who owns it: the op recorded at index
// op, or the pass itself (op < 0, a ValuesOnly tape's host output in buf).
type lentBuf struct {
	op  int
	buf []float32
}

// recorded is an op with its output's gradient and, when the tape lent it,
// the output's buffer: both are dead once the op's backward has run.
type recorded struct {
	op       op
	out      *Grad
	owned    []float32
	ownedDev backend.Buffer
}

// DefaultBNBits is BatchNormalization's saved-input width when Tape.BNBits is 0.
const DefaultBNBits = 2

// op is one recorded operation: its backward reads its output's gradient
// and accumulates into its inputs' gradients; saved lists what it holds.
type op interface {
	backward()
	saved() []Saved
}

// record appends o when the tape is live and out carries a gradient.
func (tp *Tape) record(out *Tensor, o op) {
	if tp == nil || tp.ValuesOnly || out.g == nil {
		return
	}
	out.g.bufs = tp.Buffers
	r := recorded{op: o, out: out.g}
	if len(tp.lent) > 0 && len(out.Data) > 0 && &tp.lent[0] == &out.Data[0] {
		r.owned = tp.lent
	}
	if tp.lentDev != nil && out.dev == tp.lentDev {
		r.ownedDev, tp.lentDev = tp.lentDev, nil
	}
	if tp.Buffers != nil || out.be != nil {
		tp.track(storageKey(r.owned, r.ownedDev), lentBuf{len(tp.ops), r.owned}, o)
		if tp.Buffers.tracing() {
			tp.traceSaved(o)
		}
	}
	tp.lent = nil
	tp.ops = append(tp.ops, r)
}

// track notes that l owns the buffer with key owned (if any), and which
// activations o (when set) saved as float references: Release must leave
// those alone until backward.
func (tp *Tape) track(owned any, l lentBuf, o op) {
	if tp.owner == nil {
		tp.owner, tp.pinned = map[any]lentBuf{}, map[any]bool{}
	}
	if owned != nil {
		tp.owner[owned] = l
	}
	if o == nil {
		return
	}
	for _, s := range o.saved() {
		if f, ok := s.(floatRef); ok && !f.param {
			if k := f.key(); k != nil {
				tp.pinned[k] = true
			}
		}
	}
}

// storageKey identifies a buffer: a host slice by its first element, a
// device buffer by itself; nil for none.
func storageKey(h []float32, dev backend.Buffer) any {
	if dev != nil {
		return dev
	}
	if len(h) == 0 {
		return nil
	}
	return &h[0]
}

// keyOfTensor is the storage key of t's values.
func keyOfTensor(t *Tensor) any { return storageKey(t.Data, t.dev) }

// Release tells a tape with Buffers (or any tape on a device) that the
// forward pass is done with t: no op still to run reads it, and nothing
// else shares its data (the caller checks views and in-place outputs).
// When the tape lent t's buffer and no op saved it as a float reference,
// the buffer goes back now instead of after backward, so that the next
// output reuses it warm and unzeroed. Elsewhere it does nothing.
//
// On a device backend it also frees what no tape owns: with a nil (or
// ValuesOnly) tape, t's buffer when t is an op's output.
func (tp *Tape) Release(t *Tensor) {
	if t == nil || t.Len() == 0 {
		return
	}
	if t.be != nil && (tp == nil || tp.ValuesOnly) {
		if t.temp && t.dev != nil {
			t.be.Free(t.dev)
			t.dev = nil
		}
		return
	}
	if tp == nil || (tp.Buffers == nil && t.be == nil) {
		return
	}
	p := keyOfTensor(t)
	l, ok := tp.owner[p]
	if !ok || tp.pinned[p] {
		return
	}
	delete(tp.owner, p)
	for k := range tp.codes {
		if k.p == p { // a later output may reuse the buffer: no stale code
			delete(tp.codes, k)
		}
	}
	if l.op < 0 {
		tp.Buffers.put(l.buf)
		return
	}
	if d := tp.ops[l.op].ownedDev; d != nil {
		t.be.Free(d)
		tp.ops[l.op].ownedDev = nil
		return
	}
	tp.Buffers.put(tp.ops[l.op].owned)
	tp.ops[l.op].owned = nil
}

// output returns a buffer of n elements for the output of an op on ins,
// which the op must overwrite entirely: from Buffers when this tape
// records the op (the output then lives until the op's backward, or until
// Release) or computes values only, else new.
func (tp *Tape) output(n int, ins ...*Tensor) []float32 {
	switch {
	case tp == nil || tp.Buffers == nil:
	case tp.ValuesOnly:
		return tp.valueOutput(n)
	case tp.recording(ins...):
		tp.lent = tp.Buffers.get(n)
		return tp.lent
	}
	return make([]float32, n)
}

// valueOutput is output for an op that never records (BatchNormEval): from
// Buffers only on a ValuesOnly tape, which owns it until Release or Reset.
func (tp *Tape) valueOutput(n int) []float32 {
	if tp == nil || tp.Buffers == nil || !tp.ValuesOnly {
		return make([]float32, n)
	}
	d := tp.Buffers.get(n)
	if n > 0 {
		tp.track(&d[0], lentBuf{-1, d}, nil)
	}
	return d
}

// fresh is a new output buffer of n elements on be: made afresh on the
// host (not from Buffers: a loss's scalar), on a device as outputOn.
func (tp *Tape) fresh(be backend.Backend, n int, ins ...*Tensor) backend.Buffer {
	if IsHost(be) {
		return backend.Host(make([]float32, n))
	}
	return tp.outputOn(be, n, ins...)
}

// outputOn is output on the backend be: on a device, a buffer from its
// memory that the op's record owns (freed after the op's backward), or,
// for an op this tape does not record, freed at the end of the pass (a
// nil or ValuesOnly tape leaves it to Release).
func (tp *Tape) outputOn(be backend.Backend, n int, ins ...*Tensor) backend.Buffer {
	if IsHost(be) {
		return backend.Host(tp.output(n, ins...))
	}
	b := be.Alloc(n)
	if tp != nil && !tp.ValuesOnly {
		tp.devBe = be
		if tp.lentDev != nil { // the previous output was not recorded
			tp.transient = append(tp.transient, tp.lentDev)
		}
		tp.lentDev = b
	}
	return b
}

// recording reports whether an op producing out must save for backward.
func (tp *Tape) recording(ins ...*Tensor) bool {
	if tp == nil || tp.ValuesOnly {
		return false
	}
	for _, t := range ins {
		if t.RequiresGrad() {
			return true
		}
	}
	return false
}

// stream returns a fresh stream index for the next stochastic code; ops are
// recorded in graph order, so the index depends only on the graph.
func (tp *Tape) stream() uint64 {
	tp.streams++
	return tp.streams
}

// bnBits is the effective BN code width.
func (tp *Tape) bnBits() int {
	if tp.BNBits == 0 {
		return DefaultBNBits
	}
	return tp.BNBits
}

// Backward runs the recorded ops in reverse from a scalar loss, then drops
// them (and with them everything saved for backward).
func (tp *Tape) Backward(loss *Tensor) error {
	if loss.Len() != 1 || loss.g == nil {
		return errors.New("autograd: backward needs a scalar loss that depends on a parameter")
	}
	return tp.BackwardFrom(loss, []float32{1})
}

// BackwardFrom runs backward with dOut as the gradient of out (for tests and
// partial graphs).
func (tp *Tape) BackwardFrom(out *Tensor, dOut []float32) error {
	if out.g == nil || len(dOut) != out.Len() {
		return errors.New("autograd: output carries no gradient or seed has the wrong length")
	}
	if out.be != nil {
		seed := out.be.Alloc(len(dOut))
		out.be.Upload(seed, dOut)
		out.g.takeBuf(out.be, nil, seed)
	} else {
		out.g.add(dOut)
	}
	tp.codes = nil // only the forward pass looks codes up: each op holds its own
	saved := tp.deviceSaved()
	for i := len(tp.ops) - 1; i >= 0; i-- {
		r := tp.ops[i]
		if tp.Around != nil {
			tp.Around(i, r.op.backward)
		} else {
			r.op.backward()
		}
		// Every consumer of the output has run: its value and gradient are
		// dead (a gradient handed on as an input's has left r.out).
		tp.free(r)
		tp.ops[i] = recorded{}
	}
	tp.release(saved)
	tp.Reset()
	return nil
}

// free gives back a record's output buffer and its output's gradient
// (on the host only with Buffers; nothing else holds them).
func (tp *Tape) free(r recorded) {
	if r.ownedDev != nil {
		r.out.be.Free(r.ownedDev)
	}
	if r.out.be != nil || tp.Buffers != nil {
		tp.Buffers.put(r.owned)
		r.out.drop()
	}
	if tp.Buffers.tracing() {
		tp.traceFreed(r.op)
	}
}

// Reset drops the recorded ops without running them (with Buffers, their
// outputs and gradients go back: the pass's tensors must not be used
// after), and on a ValuesOnly tape gives back every output not released.
func (tp *Tape) Reset() {
	tp.release(tp.deviceSaved())
	for _, r := range tp.ops {
		if r.op != nil {
			tp.free(r)
		}
	}
	for _, l := range tp.owner {
		if l.op < 0 {
			tp.Buffers.put(l.buf)
		}
	}
	if tp.lentDev != nil {
		tp.transient = append(tp.transient, tp.lentDev)
		tp.lentDev = nil
	}
	for _, b := range tp.transient {
		tp.devBe.Free(b)
	}
	tp.transient = nil
	clear(tp.ops)
	tp.ops = tp.ops[:0]
	tp.streams = 0
	tp.codes = nil
	tp.lent = nil
	tp.owner, tp.pinned = nil, nil
}

// deviceSaved lists what the recorded ops saved for backward that a device
// holds (codes, masks, indices; each once): it is given back after the
// whole backward pass, as several ops may share one code.
func (tp *Tape) deviceSaved() []devSaved {
	var out []devSaved
	seen := map[any]bool{}
	for _, r := range tp.ops {
		if r.op == nil || r.out.be == nil {
			continue
		}
		for _, s := range r.op.saved() {
			if d, ok := s.(devSaved); ok && !seen[d.key()] {
				seen[d.key()] = true
				out = append(out, d)
			}
		}
	}
	return out
}

func (tp *Tape) release(saved []devSaved) {
	for _, d := range saved {
		d.be.Release(d.s)
	}
}

// SavedBytes adds up what the tape holds for backward, counting each stored
// buffer once even when several ops share it, split into activations (which
// scale with the batch) and parameters (weights the ops keep a reference to).
func (tp *Tape) SavedBytes() (activations, params int64) {
	seen := make(map[any]bool)
	for _, r := range tp.ops {
		for _, s := range r.op.saved() {
			k := s.key()
			if k == nil || seen[k] {
				continue
			}
			seen[k] = true
			if s.Param() {
				params += s.Bytes()
			} else {
				activations += s.Bytes()
			}
		}
	}
	return activations, params
}

// Ops is the number of recorded ops.
func (tp *Tape) Ops() int { return len(tp.ops) }
