package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A training step opens hundreds of parallel regions, many of them a few
// hundred microseconds long. Handing each region to new goroutines costs
// two wake-ups of a parked thread (the helper's start, the caller's return),
// and in a virtual machine each is an inter-processor interrupt taking tens
// of microseconds: on a 2-vCPU host the second core sat idle for 15 % of
// the ResNet-20 step. The crew keeps GOMAXPROCS-1 helpers that spin for a
// short while after each region, as OpenMP runtimes do, so the next region
// starts on running threads; only a helper idle for longer than spinFor
// parks, and the region that follows wakes it.

// spinFor is how long an idle helper (or a caller waiting for its helpers)
// polls before it parks: longer than the gaps between the regions of one
// training step, short enough that an idle process gives its cores back at
// once.
const spinFor = 200 * time.Microsecond

// Tests change how long the crew spins (spinTime, nanoseconds), hold a
// helper that has seen a region before it claims its index (claimHook),
// and hold the region's last helper between its finishing and its waking
// the caller, who can be parked in the next region by then (lastDoneHook).
var (
	spinTime     atomic.Int64
	claimHook    atomic.Pointer[func(index int)]
	lastDoneHook atomic.Pointer[func()]
)

func init() { spinTime.Store(int64(spinFor)) }

// crew is the pool of helpers. One region runs on it at a time; a region
// that finds it busy (a nested region, or one from another goroutine)
// starts goroutines of its own instead.
type crew struct {
	busy sync.Mutex

	// signal is the region's sequence number times maxCrew plus its
	// worker count; helpers with an index below the count run job.
	signal  atomic.Uint64
	job     func(w int)
	pending atomic.Int64 // the region's helpers still running

	helpers []*helper
	caller  parker // the region's caller, when it parks waiting for pending
}

// helper is one of the crew's goroutines.
type helper struct {
	parker
	index   int
	claimed atomic.Bool // its index in the current region is taken
}

// parker lets a goroutine sleep until woken without losing a wake-up that
// races with its going to sleep.
type parker struct {
	parked atomic.Bool
	wake   chan struct{} // capacity 1
}

func newParker() parker { return parker{wake: make(chan struct{}, 1)} }

// wakeUp wakes the goroutine if it is parked (or parking).
func (p *parker) wakeUp() {
	if p.parked.CompareAndSwap(true, false) {
		p.wake <- struct{}{}
	}
}

var theCrew crew

// run runs f(w) for w < n, f(0) on the caller's goroutine, and reports
// false (running nothing) when the crew is busy or n is out of its range.
// A helper claims its index before it runs it; once f(0) returns the
// caller runs every index no helper has claimed yet itself, so a region
// does not wait on a helper the scheduler has not run (its processor lent
// to the data pipeline's decoders, or the whole machine loaded).
func (c *crew) run(n int, f func(w int)) bool {
	if n < 2 || n >= maxCrew || !c.busy.TryLock() {
		return false
	}
	defer c.busy.Unlock()
	if c.caller.wake == nil {
		c.caller = newParker()
	}
	for len(c.helpers) < n-1 {
		h := &helper{parker: newParker(), index: len(c.helpers) + 1}
		c.helpers = append(c.helpers, h)
		go c.serve(h, c.signal.Load())
	}
	helpers := c.helpers[:n-1]
	c.job = f
	c.pending.Store(int64(n - 1))
	// A helper late from the last region may claim its index as soon as
	// it is cleared: job and pending must be this region's by then.
	for _, h := range helpers {
		h.claimed.Store(false)
	}
	c.signal.Store((c.signal.Load()/maxCrew+1)*maxCrew + uint64(n))
	for _, h := range helpers {
		h.wakeUp()
	}
	f(0)
	for _, h := range helpers {
		if h.claimed.CompareAndSwap(false, true) {
			f(h.index)
			c.pending.Add(-1)
		}
	}
	for spin := newSpinner(); c.pending.Load() != 0; {
		if spin.again() {
			continue
		}
		c.caller.parked.Store(true)
		if c.pending.Load() == 0 && c.caller.parked.CompareAndSwap(true, false) {
			break
		}
		// The wake-up may be a late one from the previous region's last
		// helper, which decrements pending before it wakes the caller:
		// check again.
		<-c.caller.wake
		spin = newSpinner()
	}
	c.job = nil
	return true
}

// maxCrew bounds a region's workers; signal keeps the count below it.
const maxCrew = 1 << 12

// serve is helper h's loop; seen is the last signal it has answered.
func (c *crew) serve(h *helper, seen uint64) {
	for {
		for spin := newSpinner(); c.signal.Load() == seen; {
			if spin.again() {
				continue
			}
			h.parked.Store(true)
			if c.signal.Load() != seen && h.parked.CompareAndSwap(true, false) {
				break
			}
			<-h.wake // the waker cleared parked and sent, or is about to
			spin = newSpinner()
		}
		seen = c.signal.Load()
		if hook := claimHook.Load(); hook != nil {
			(*hook)(h.index)
		}
		if h.index >= int(seen%maxCrew) || !h.claimed.CompareAndSwap(false, true) {
			continue // a region with fewer workers, or the caller ran our index
		}
		c.job(h.index)
		if c.pending.Add(-1) == 0 {
			if hook := lastDoneHook.Load(); hook != nil {
				(*hook)()
			}
			c.caller.wakeUp()
		}
	}
}

// spinner paces a polling loop: again reports false once spinFor has
// passed, and yields the processor now and then so that goroutines queued
// behind the poller (the garbage collector's among them) run.
type spinner struct {
	start time.Time
	polls int
}

func newSpinner() spinner { return spinner{start: time.Now()} }

func (s *spinner) again() bool {
	s.polls++
	if s.polls%64 != 0 {
		return true
	}
	if time.Since(s.start) > time.Duration(spinTime.Load()) {
		return false
	}
	runtime.Gosched()
	return true
}
