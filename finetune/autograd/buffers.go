package autograd

import "math"

// Buffers recycles float buffers from one training pass to the next, so
// that a step does not allocate (and zero) its activations and gradients
// anew. A tape with Buffers takes its exact outputs and the activation
// gradients of backward from them, and gives each back as soon as backward
// is done with it (or at Reset): neither the pass's outputs nor the
// gradients of intermediate tensors may be used after Backward (parameters'
// gradients are kept). Tapes sharing Buffers must not run at the same time.
//
// Every buffer Buffers hands out has the batch as its first dimension (op
// outputs and activation gradients), so a pass at another batch takes the
// same buffers scaled. Without a plan, given-back buffers wait on free
// lists by length. With a plan (Plan, between Begin and End of a pass of a
// planned kind) each request is served at its planned offset in one arena,
// laid out so that buffers live at the same time never overlap: the arena
// holds the most float memory the pass has live at once, not the sum of
// every size's worst case.
type Buffers struct {
	free   map[int][][]float32
	lent   map[*float32]int // holders of each buffer get handed out
	poison bool

	arena   []float32
	plans   map[string]*arenaPlan
	pass    *passState       // the pass under way, when Begin named a planned kind
	inArena map[*float32]int // the plan index of each arena buffer lent
	scratch []float32        // parameter-sized scratch (see paramScratch)
	trace   *Trace           // records the pass when set (see Buffers.Trace)
	traced  map[*float32]int // the trace block of each buffer lent while tracing
	misses  int              // requests a plan could not serve (see Misses)
	adopted int              // foreign buffers pass gradients adopted (see Foreign)
}

// NewBuffers returns an empty recycler.
func NewBuffers() *Buffers { return &Buffers{free: map[int][][]float32{}, lent: map[*float32]int{}} }

// Poison makes b fill every buffer given back with NaN, for tests: an op
// that reads a buffer after giving it back, or leaves part of one it takes
// unwritten, then shows in its results.
func (b *Buffers) Poison() { b.poison = true }

// passState is the position of a planned pass in its plan.
type passState struct {
	plan *arenaPlan
	next int    // the plan index of the next request
	live []bool // which planned buffers are lent now
	off  bool   // the pass left its plan: the rest is served unplanned
}

// Begin starts a pass of the named kind: with a plan for it, requests are
// served from the arena in the planned order until End. Passes of one kind
// must take and give back the same buffers in the same order (the same
// graph in the same mode); a pass that strays is served by plain
// allocations from there on, never by an arena region still in use.
func (b *Buffers) Begin(kind string) {
	if b == nil {
		return
	}
	b.pass = nil
	if p := b.plans[kind]; p != nil {
		b.pass = &passState{plan: p, live: make([]bool, len(p.size))}
	}
	if b.trace != nil {
		b.trace.begin(kind)
	}
}

// End closes the pass Begin started. Every buffer of the pass must be back
// (the tape's Backward or Reset gives them back).
func (b *Buffers) End() {
	if b == nil {
		return
	}
	if b.pass != nil && len(b.inArena) > 0 {
		// Someone still holds an arena region: no plan is safe any more.
		b.plans, b.arena = nil, nil
		b.misses++
	}
	b.pass = nil
	if b.trace != nil {
		b.trace.end()
	}
}

// Misses counts the requests a plan could not serve (a pass that strayed
// from its plan, or asked for more than planned), for tests and reports.
func (b *Buffers) Misses() int { return b.misses }

// Foreign counts the buffers that the gradients of a pass's tensors
// adopted without Buffers handing them out: memory an op made for itself,
// which neither the trace nor the arena sees. Tests hold it to zero.
func (b *Buffers) Foreign() int { return b.adopted }

// noteAdopted counts d when a gradient with b adopts it from elsewhere.
func (b *Buffers) noteAdopted(d []float32) {
	if b != nil && len(d) > 0 && b.lent[&d[0]] == 0 {
		b.adopted++
	}
}

// ArenaBytes is the size of the planned arena (0 without a plan).
func (b *Buffers) ArenaBytes() int64 { return 4 * int64(len(b.arena)) }

// get returns a buffer of n elements with undefined contents (new, and
// zeroed, from nil Buffers).
func (b *Buffers) get(n int) []float32 {
	if b == nil {
		return make([]float32, n)
	}
	d, i := b.fromArena(n)
	if d == nil {
		d = b.fromFree(n)
	}
	if n > 0 {
		b.lent[&d[0]] = 1
		if i >= 0 {
			b.inArena[&d[0]] = i
		}
		if b.trace != nil {
			b.traceGet(d)
		}
	}
	return d
}

// fromArena serves request n of the pass from its plan, or returns nil.
func (b *Buffers) fromArena(n int) ([]float32, int) {
	s := b.pass
	if s == nil || s.off || n == 0 {
		return nil, -1
	}
	i := s.next
	s.next++
	if i >= len(s.plan.size) || n > s.plan.size[i] || s.busy(i) {
		s.off = true // out of step with the plan: trust none of it any more
		b.misses++
		return nil, -1
	}
	s.live[i] = true
	off := s.plan.off[i]
	return b.arena[off : off+n : off+n], i
}

// busy reports whether a buffer whose region overlaps planned buffer i's
// is lent now.
func (s *passState) busy(i int) bool {
	for _, j := range s.plan.overlaps[i] {
		if s.live[j] {
			return true
		}
	}
	return false
}

// fromFree takes a given-back buffer of n elements, or a new one. With a
// plan in force nothing waits on free lists (see put).
func (b *Buffers) fromFree(n int) []float32 {
	if l := b.free[n]; len(l) > 0 {
		d := l[len(l)-1]
		b.free[n] = l[:len(l)-1]
		return d
	}
	return make([]float32, n)
}

// share adds a holder to d when it is one of the lent buffers.
func (b *Buffers) share(d []float32) bool {
	if b == nil || len(d) == 0 || b.lent[&d[0]] == 0 {
		return false
	}
	b.lent[&d[0]]++
	return true
}

// shared reports whether d has more than one holder.
func (b *Buffers) shared(d []float32) bool {
	return b != nil && len(d) > 0 && b.lent[&d[0]] > 1
}

// put drops a holder of d; with the last one gone, d is free again and
// nothing may use it any more. Buffers that get did not hand out (nil
// included) are left to the garbage collector, so the free lists never
// hold more than one pass had out at once; under a plan, buffers outside
// the arena are left to it too.
func (b *Buffers) put(d []float32) {
	if b == nil || len(d) == 0 || b.lent[&d[0]] == 0 {
		return
	}
	p := &d[0]
	if b.lent[p]--; b.lent[p] > 0 {
		return
	}
	delete(b.lent, p)
	if b.trace != nil {
		b.tracePut(d)
	}
	if b.poison {
		for i := range d {
			d[i] = float32(math.NaN())
		}
	}
	if i, ok := b.inArena[p]; ok {
		delete(b.inArena, p)
		if b.pass != nil && b.pass.plan.size != nil && i < len(b.pass.live) {
			b.pass.live[i] = false
		}
		return
	}
	if b.plans == nil {
		b.free[len(d)] = append(b.free[len(d)], d)
	}
}

// paramScratch returns a scratch buffer of n elements for a parameter's
// gradient before it is added to the parameter's own (a conv's filter
// gradient): one buffer, the size of the largest parameter, reused by
// every layer. Callers use it before the next call and never keep it.
func (b *Buffers) paramScratch(n int) []float32 {
	if b == nil {
		return make([]float32, n)
	}
	if cap(b.scratch) < n {
		b.scratch = make([]float32, n)
	}
	return b.scratch[:n]
}

// Plan lays out an arena for passes of each traced kind at batch: every
// float buffer of the trace, scaled from the traced batch to batch, gets
// an offset such that buffers live at the same time never overlap
// (planArena: greedy, by size or in request order). Later passes Begun
// with a planned kind take their buffers there. It returns the arena's
// size in bytes, the same figure Trace.Plan predicts.
func (b *Buffers) Plan(tr *Trace, batch int) int64 {
	b.plans = map[string]*arenaPlan{}
	b.inArena = map[*float32]int{}
	clear(b.free)
	size := 0
	for i, ps := range tr.passes {
		p := tr.arena(i, batch)
		b.plans[ps.kind] = p
		size = max(size, p.total)
	}
	b.arena = make([]float32, size)
	return 4 * int64(size)
}
