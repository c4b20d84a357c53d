package autograd

import "errors"

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
	// ValuesOnly makes the tape record nothing, as a nil Tape, while its
	// ops still take their outputs from Buffers and Release gives them
	// back: evaluation and statistics passes then reuse the training
	// step's memory instead of leaving garbage.
	ValuesOnly bool

	ops     []recorded
	streams uint64
	codes   map[codeKey]inputCode
	lent    []float32            // the last output buffer taken from Buffers, not yet recorded
	owner   map[*float32]lentBuf // who owns each lent output buffer
	pinned  map[*float32]bool    // activations that ops saved as float references
}

// lentBuf is an output buffer taken from Buffers and who owns it: the op
// recorded at index op, or the pass itself (op < 0, a ValuesOnly tape).
type lentBuf struct {
	op  int
	buf []float32
}

// recorded is an op with its output's gradient and, when the tape lent it,
// the output's buffer: both are dead once the op's backward has run.
type recorded struct {
	op    op
	out   *Grad
	owned []float32
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
	if tp.Buffers != nil {
		tp.track(r.owned, len(tp.ops), o)
		if tp.Buffers.trace != nil {
			tp.traceSaved(o)
		}
	}
	tp.lent = nil
	tp.ops = append(tp.ops, r)
}

// track notes that op i owns the buffer owned (if any), and which
// activations o saved as float references: Release must leave those alone
// until backward.
func (tp *Tape) track(owned []float32, i int, o op) {
	if tp.owner == nil {
		tp.owner, tp.pinned = map[*float32]lentBuf{}, map[*float32]bool{}
	}
	if len(owned) > 0 {
		tp.owner[&owned[0]] = lentBuf{i, owned}
	}
	if o == nil {
		return
	}
	for _, s := range o.saved() {
		if f, ok := s.(floatRef); ok && !f.param && len(f.d) > 0 {
			tp.pinned[&f.d[0]] = true
		}
	}
}

// Release tells a tape with Buffers that the forward pass is done with t:
// no op still to run reads it, and nothing else shares its data (the
// caller checks views and in-place outputs). When the tape lent t's buffer
// and no op saved it as a float reference, the buffer goes back now
// instead of after backward, so that the next output reuses it warm and
// unzeroed. Elsewhere it does nothing.
func (tp *Tape) Release(t *Tensor) {
	if tp == nil || tp.Buffers == nil || t == nil || len(t.Data) == 0 {
		return
	}
	p := &t.Data[0]
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
	tp.Buffers.put(l.buf)
	if l.op >= 0 {
		tp.ops[l.op].owned = nil
	}
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
		tp.track(d, -1, nil)
	}
	return d
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
	if len(loss.Data) != 1 || loss.g == nil {
		return errors.New("autograd: backward needs a scalar loss that depends on a parameter")
	}
	return tp.BackwardFrom(loss, []float32{1})
}

// BackwardFrom runs backward with dOut as the gradient of out (for tests and
// partial graphs).
func (tp *Tape) BackwardFrom(out *Tensor, dOut []float32) error {
	if out.g == nil || len(dOut) != len(out.Data) {
		return errors.New("autograd: output carries no gradient or seed has the wrong length")
	}
	out.g.add(dOut)
	tp.codes = nil // only the forward pass looks codes up: each op holds its own
	for i := len(tp.ops) - 1; i >= 0; i-- {
		r := tp.ops[i]
		r.op.backward()
		if tp.Buffers != nil {
			// Every consumer of the output has run: its value and gradient
			// are dead (a gradient handed on as an input's has left r.out).
			tp.Buffers.put(r.owned)
			tp.Buffers.put(r.out.Data)
			r.out.Data = nil
			if tp.Buffers.trace != nil {
				tp.traceFreed(r.op)
			}
		}
		tp.ops[i] = recorded{}
	}
	tp.Reset()
	return nil
}

// Reset drops the recorded ops without running them (with Buffers, their
// outputs and gradients go back: the pass's tensors must not be used
// after), and on a ValuesOnly tape gives back every output not released.
func (tp *Tape) Reset() {
	if tp.Buffers != nil {
		for _, r := range tp.ops {
			if r.op != nil {
				tp.Buffers.put(r.owned)
				tp.Buffers.put(r.out.Data)
				r.out.Data = nil
				if tp.Buffers.trace != nil {
					tp.traceFreed(r.op)
				}
			}
		}
		for _, l := range tp.owner {
			if l.op < 0 {
				tp.Buffers.put(l.buf)
			}
		}
	}
	clear(tp.ops)
	tp.ops = tp.ops[:0]
	tp.streams = 0
	tp.codes = nil
	tp.lent = nil
	tp.owner, tp.pinned = nil, nil
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
