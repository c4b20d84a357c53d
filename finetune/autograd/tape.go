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

	ops     []op
	streams uint64
	codes   map[codeKey]inputCode
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
	if tp != nil && out.g != nil {
		tp.ops = append(tp.ops, o)
	}
}

// recording reports whether an op producing out must save for backward.
func (tp *Tape) recording(ins ...*Tensor) bool {
	if tp == nil {
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
	for i := len(tp.ops) - 1; i >= 0; i-- {
		tp.ops[i].backward()
		tp.ops[i] = nil
	}
	tp.Reset()
	return nil
}

// Reset drops the recorded ops without running them.
func (tp *Tape) Reset() {
	clear(tp.ops)
	tp.ops = tp.ops[:0]
	tp.streams = 0
	tp.codes = nil
}

// SavedBytes adds up what the tape holds for backward, counting each stored
// buffer once even when several ops share it, split into activations (which
// scale with the batch) and parameters (weights the ops keep a reference to).
func (tp *Tape) SavedBytes() (activations, params int64) {
	seen := make(map[any]bool)
	for _, o := range tp.ops {
		for _, s := range o.saved() {
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
