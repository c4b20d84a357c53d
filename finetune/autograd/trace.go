package autograd

import "github.com/bincompress/bincompress/internal/kernels"

// Trace records what passes on tapes with Buffers do with memory: every
// float buffer taken from Buffers and every buffer an op saves for
// backward, with the ticks at which each is taken and let go. Every such
// buffer's size follows the batch in a known way (codes by their word
// layout, parameters not at all, the rest affinely), so a trace of passes
// at a small batch plans the same passes at any batch (Plan) without
// running them: the arena the float buffers need, and the bytes saved for
// backward. A float buffer's length is affine in the batch; with a twin
// trace of the same passes at another batch (Twin) it follows exactly
// (the loss's scalar gradient stays one element), without one in
// proportion.
type Trace struct {
	// Batch is the batch size the traced passes ran at.
	Batch int

	twin   *Trace
	passes []*passTrace
	cur    *passTrace
	extern map[*float32]bool
	convs  []kernels.ConvParams // the convolutions the passes ran, each once
}

// passTrace is one traced pass (Buffers.Begin to End).
type passTrace struct {
	kind   string
	blocks []block
	floats []int       // blocks taken from Buffers, in request order
	saved  map[any]int // the block of each saved buffer, by storage
	tick   int
}

// block is one buffer of a traced pass.
type block struct {
	float   bool      // taken from Buffers (laid out in the arena)
	memory  bool      // saved in memory of its own (not a reference to a float buffer, the input or a weight)
	param   bool      // a saved reference to a weight
	elems   int       // a float buffer's length at the traced batch
	saved   savedSize // nil for a float buffer; never the buffer itself
	holders int
	born    int
	died    int // -1 while live
}

// NewTrace returns an empty trace of passes at batch.
func NewTrace(batch int) *Trace { return &Trace{Batch: batch, extern: map[*float32]bool{}} }

// Extern marks d as memory the caller accounts for itself (the batch's
// input): a saved reference to it is no new memory.
func (tr *Trace) Extern(d []float32) {
	if len(d) > 0 {
		tr.extern[&d[0]] = true
	}
}

// Twin gives tr the same passes traced at another batch, to take each
// float buffer's length at any batch from the two. Traces whose passes
// took different numbers of buffers are not twins: Twin ignores them.
func (tr *Trace) Twin(other *Trace) {
	if len(other.passes) != len(tr.passes) || other.Batch == tr.Batch {
		return
	}
	for i, ps := range tr.passes {
		if len(other.passes[i].floats) != len(ps.floats) {
			return
		}
	}
	tr.twin = other
}

// elems is float buffer k of pass i's length at batch.
func (tr *Trace) elems(i, k, batch int) int {
	ps := tr.passes[i]
	e := ps.blocks[ps.floats[k]].elems
	if tr.twin == nil {
		return e / tr.Batch * batch
	}
	o := tr.twin.passes[i]
	e2 := o.blocks[o.floats[k]].elems
	return e + (e2-e)/(tr.twin.Batch-tr.Batch)*(batch-tr.Batch)
}

// conv notes a convolution the traced passes run, for the kernels'
// scratch at another batch (TracePlan.Scratch).
func (tr *Trace) conv(p kernels.ConvParams) {
	for _, q := range tr.convs {
		if q == p {
			return
		}
	}
	tr.convs = append(tr.convs, p)
}

// tracing reports whether b records a trace.
func (b *Buffers) tracing() bool { return b != nil && b.trace != nil }

// Trace makes b record the passes Begun from now on into tr (nil stops).
func (b *Buffers) Trace(tr *Trace) {
	b.trace = tr
	b.traced = map[*float32]int{}
}

func (tr *Trace) begin(kind string) {
	tr.cur = &passTrace{kind: kind, saved: map[any]int{}}
	tr.passes = append(tr.passes, tr.cur)
}

func (tr *Trace) end() {
	if ps := tr.cur; ps != nil {
		for i := range ps.blocks {
			if ps.blocks[i].died < 0 {
				ps.blocks[i].died = ps.tick
			}
		}
		ps.saved = nil // its keys are the pass's buffers: keep none alive
	}
	tr.cur = nil
	clear(tr.extern)
}

// add appends a live block to the pass under way and returns its index.
func (ps *passTrace) add(b block) int {
	ps.tick++
	b.born, b.died = ps.tick, -1
	ps.blocks = append(ps.blocks, b)
	return len(ps.blocks) - 1
}

func (ps *passTrace) drop(i int) {
	ps.tick++
	ps.blocks[i].died = ps.tick
}

func (b *Buffers) traceGet(d []float32) {
	if ps := b.trace.cur; ps != nil {
		i := ps.add(block{float: true, elems: len(d)})
		ps.floats = append(ps.floats, i)
		b.traced[&d[0]] = i
	}
}

func (b *Buffers) tracePut(d []float32) {
	if i, ok := b.traced[&d[0]]; ok && b.trace.cur != nil {
		delete(b.traced, &d[0])
		b.trace.cur.drop(i)
	}
}

// traceSaved notes the buffers o saves as it is recorded.
func (tp *Tape) traceSaved(o op) {
	ps := tp.Buffers.trace.cur
	if ps == nil {
		return
	}
	for _, s := range o.saved() {
		k := s.key()
		if k == nil {
			continue
		}
		if i, ok := ps.saved[k]; ok {
			ps.blocks[i].holders++
			continue
		}
		mem := !s.Param()
		if _, ok := s.(floatRef); ok && mem {
			// A reference to a lent buffer or the input is no memory of its own.
			p, host := k.(*float32)
			mem = host && tp.Buffers.lent[p] == 0 && !tp.Buffers.trace.extern[p]
		}
		ps.saved[k] = ps.add(block{memory: mem, param: s.Param(), saved: sizeOf(s), holders: 1})
	}
}

// traceFreed notes that o, whose backward has run, holds its saved
// buffers no more.
func (tp *Tape) traceFreed(o op) {
	ps := tp.Buffers.trace.cur
	if ps == nil {
		return
	}
	for _, s := range o.saved() {
		if i, ok := ps.saved[s.key()]; ok {
			if ps.blocks[i].holders--; ps.blocks[i].holders == 0 {
				ps.drop(i)
			}
		}
	}
}

// arena lays out pass i's float buffers at batch (see Buffers.Plan).
func (tr *Trace) arena(i, batch int) *arenaPlan {
	ps := tr.passes[i]
	size, life := make([]int, len(ps.floats)), make([]interval, len(ps.floats))
	for k, j := range ps.floats {
		size[k], life[k] = tr.elems(i, k, batch), interval{ps.blocks[j].born, ps.blocks[j].died}
	}
	return planArena(size, life)
}

// TracePlan is what a traced set of passes needs at one batch size.
type TracePlan struct {
	// Arena is the float buffers' arena (Buffers.Plan allocates exactly
	// this), and FloatsLive the most float memory any pass has live at
	// once: the arena can be no smaller.
	Arena, FloatsLive int64
	// Saved and SavedParams are what the tape holds for backward at the
	// end of the forward pass, as Tape.SavedBytes counts it: activations,
	// and references to weights.
	Saved, SavedParams int64
	// SavedPeak is the most saved memory of its own (codes, masks, indices;
	// not references to float buffers, the input or weights) live at once.
	SavedPeak int64
	// Scratch is the largest kernels.FilterScratch of the traced
	// convolutions at batch: the scratch a layer's passes hold, which
	// follows its spatial size and the batch.
	Scratch int64
}

// Plan replays the trace at batch.
func (tr *Trace) Plan(batch int) TracePlan {
	var p TracePlan
	for _, c := range tr.convs {
		c.N = max(1, c.N*batch/tr.Batch) // every traced convolution runs on the batch's images
		p.Scratch = max(p.Scratch, kernels.FilterScratch(c))
	}
	for pi, ps := range tr.passes {
		p.Arena = max(p.Arena, 4*int64(tr.arena(pi, batch).total))
		var saved, params, live, peak, flive, fpeak int64
		// Walk the ticks: each block is born and dies at distinct ticks.
		events, fevents := make([]int64, ps.tick+2), make([]int64, ps.tick+2)
		for k, i := range ps.floats {
			n := 4 * int64(tr.elems(pi, k, batch))
			fevents[ps.blocks[i].born] += n
			fevents[ps.blocks[i].died] -= n
		}
		for i := range ps.blocks {
			b := &ps.blocks[i]
			if b.saved == nil {
				continue
			}
			n := b.saved.at(tr.Batch, batch)
			switch {
			case b.param:
				params += n
			default:
				saved += n
			}
			if b.memory {
				events[b.born] += n
				events[b.died] -= n
			}
		}
		for i := range events {
			live, flive = live+events[i], flive+fevents[i]
			peak, fpeak = max(peak, live), max(fpeak, flive)
		}
		p.Saved, p.SavedParams, p.SavedPeak = max(p.Saved, saved), max(p.SavedParams, params), max(p.SavedPeak, peak)
		p.FloatsLive = max(p.FloatsLive, fpeak)
	}
	return p
}
