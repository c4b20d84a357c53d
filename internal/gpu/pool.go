package gpu

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/bincompress/bincompress/internal/backend"
)

// Buffer is a block of device memory (a CUdeviceptr) from a Pool. Size is
// the size asked for; the block behind it may be larger (its size class).
type Buffer struct {
	Ptr  uint64
	Size uint64
}

// allocator hands out raw device memory: cuMemAlloc/cuMemFree on a device
// (never managed memory), a fake in tests.
type allocator interface {
	alloc(bytes uint64) (uint64, error)
	free(ptr uint64) error
}

// errOutOfMemory is what an allocator returns when the device is full; the
// pool then frees its cached blocks and tries once more.
var errOutOfMemory = fmt.Errorf("gpu: %w", backend.ErrOutOfMemory)

// Pool reuses device allocations across training steps. Sizes round up to
// a size class (four classes per power of two, at least 256 bytes), and a
// returned block waits in its class's free list for the next request of
// that class, so a step that repeats the previous step's requests
// allocates nothing. It is not safe for concurrent use (the Device
// serializes calls).
type Pool struct {
	a     allocator
	free  map[uint64][]uint64 // class size -> cached blocks
	class map[uint64]uint64   // live block -> its class size
	stats PoolStats
	trace *poolTrace // requests recorded while tracing (Trace)
	limit uint64     // what Reserved may reach before a miss frees the cache (Limit)
}

// poolTrace is the requests a pool served while traced, and which request
// each live traced block came from.
type poolTrace struct {
	events []backend.MemoryEvent
	of     map[uint64]int // live block -> index of its allocation event
}

// PoolStats counts a pool's memory in bytes: InUse is what callers hold,
// Reserved what the pool holds from the device (InUse plus cached), Peak
// the most Reserved has been and PeakInUse the most InUse has been (as
// PyTorch's max_memory_reserved and max_memory_allocated), Allocs the
// device allocations made.
type PoolStats struct {
	InUse, Reserved, Peak, PeakInUse uint64
	Allocs                           int
}

// NewPool returns an empty pool over a.
func NewPool(a allocator) *Pool {
	return &Pool{a: a, free: map[uint64][]uint64{}, class: map[uint64]uint64{}}
}

// sizeClass rounds n up to the next of 256 bytes or m·2^k with m in
// {4, 5, 6, 7}: at most 25% waste.
func sizeClass(n uint64) uint64 {
	if n <= 256 {
		return 256
	}
	shift := uint(bits.Len64(n-1)) - 3 // top three bits of n-1 pick the class
	m := (n-1)>>shift + 1
	return m << shift
}

// Get returns a buffer of at least n bytes (n = 0 gives a zero Buffer).
func (p *Pool) Get(n uint64) (Buffer, error) { return p.GetBounded(n, 0) }

// GetBounded is Get for a request that never asks for more than most
// bytes at any batch (0: no bound), which a trace records.
func (p *Pool) GetBounded(n, most uint64) (Buffer, error) {
	if n == 0 {
		return Buffer{}, nil
	}
	c := sizeClass(n)
	if l := p.free[c]; len(l) > 0 {
		ptr := l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		p.class[ptr] = c
		p.stats.InUse += c
		p.stats.PeakInUse = max(p.stats.PeakInUse, p.stats.InUse)
		p.traceGet(ptr, n, most)
		return Buffer{Ptr: ptr, Size: n}, nil
	}
	if p.limit > 0 && p.stats.Reserved+c > p.limit {
		p.Release()
	}
	ptr, err := p.a.alloc(c)
	if errors.Is(err, errOutOfMemory) {
		p.Release()
		ptr, err = p.a.alloc(c)
	}
	if err != nil {
		return Buffer{}, fmt.Errorf("gpu: allocate %d bytes (%d in use, %d reserved): %w", c, p.stats.InUse, p.stats.Reserved, err)
	}
	p.class[ptr] = c
	p.stats.Allocs++
	p.stats.InUse += c
	p.stats.Reserved += c
	p.stats.Peak = max(p.stats.Peak, p.stats.Reserved)
	p.stats.PeakInUse = max(p.stats.PeakInUse, p.stats.InUse)
	p.traceGet(ptr, n, most)
	return Buffer{Ptr: ptr, Size: n}, nil
}

// Put returns a buffer to the pool. Putting a zero Buffer is a no-op;
// putting a buffer the pool does not hold is an error.
func (p *Pool) Put(b Buffer) error {
	if b.Ptr == 0 {
		return nil
	}
	c, ok := p.class[b.Ptr]
	if !ok {
		return fmt.Errorf("gpu: pool: buffer %#x is not in use", b.Ptr)
	}
	delete(p.class, b.Ptr)
	p.tracePut(b.Ptr)
	p.free[c] = append(p.free[c], b.Ptr)
	p.stats.InUse -= c
	return nil
}

// Limit bounds what the pool reserves while what is in use allows: a
// request that misses the cache and would take Reserved past bytes first
// frees the cached blocks (0: no bound). A run sets it to its planned peak,
// so that passes the plan did not trace (an evaluation's last, partial
// batch asks for sizes of its own) reuse memory instead of adding to it.
func (p *Pool) Limit(bytes uint64) { p.limit = bytes }

// Release frees every cached block back to the device; blocks in use stay.
func (p *Pool) Release() {
	for c, l := range p.free {
		for _, ptr := range l {
			p.a.free(ptr)
			p.stats.Reserved -= c
		}
		delete(p.free, c)
	}
}

// FreeAll frees every block, cached or in use (when the device closes).
func (p *Pool) FreeAll() {
	for ptr, c := range p.class {
		p.a.free(ptr)
		p.stats.InUse -= c
		p.stats.Reserved -= c
	}
	clear(p.class)
	p.Release()
}

// Stats returns the pool's counters.
func (p *Pool) Stats() PoolStats { return p.stats }

// ResetPeak starts a new peak measurement from the current reservation.
func (p *Pool) ResetPeak() { p.stats.Peak, p.stats.PeakInUse = p.stats.Reserved, p.stats.InUse }

// deviceAllocator allocates with cuMemAlloc. Its callers have entered the
// device (Device.enter).
type deviceAllocator struct{ d *Device }

func (a deviceAllocator) alloc(n uint64) (uint64, error) {
	var p uint64
	code := a.d.drv.cuMemAlloc(&p, n)
	if code == 2 { // CUDA_ERROR_OUT_OF_MEMORY
		return 0, errOutOfMemory
	}
	return p, a.d.drv.cuError("cuMemAlloc", code)
}

func (a deviceAllocator) free(p uint64) error {
	return a.d.drv.cuError("cuMemFree", a.d.drv.cuMemFree(p))
}

// Trace starts recording the requests the pool serves (the sizes asked
// for, not their classes), for PlanPeak to replay at other sizes.
func (p *Pool) Trace() { p.trace = &poolTrace{of: map[uint64]int{}} }

// Traced stops recording and returns the requests recorded. A block taken
// before Trace and given back during it is no event.
func (p *Pool) Traced() []backend.MemoryEvent {
	if p.trace == nil {
		return nil
	}
	ev := p.trace.events
	p.trace = nil
	return ev
}

func (p *Pool) traceGet(ptr, n, most uint64) {
	if p.trace != nil {
		p.trace.of[ptr] = len(p.trace.events)
		p.trace.events = append(p.trace.events, backend.MemoryEvent{Bytes: n, Most: most})
	}
}

func (p *Pool) tracePut(ptr uint64) {
	if p.trace == nil {
		return
	}
	if i, ok := p.trace.of[ptr]; ok {
		delete(p.trace.of, ptr)
		p.trace.events = append(p.trace.events, backend.MemoryEvent{Free: true, Of: i})
	}
}

// PlanPeak is the most a pool would reserve from the device serving
// events from an empty start with nothing failing: the pool itself,
// replayed over an allocator that only counts (Stats().Peak, the figure a
// run measures).
func PlanPeak(events []backend.MemoryEvent) uint64 {
	p := NewPool(&countingAllocator{})
	bufs := make([]Buffer, len(events))
	for i, e := range events {
		if e.Free {
			if e.Of >= 0 && e.Of < i {
				p.Put(bufs[e.Of]) // a block given back twice is no event of a pool trace
			}
			continue
		}
		bufs[i], _ = p.Get(e.Bytes) // a counting allocator never fails
	}
	return p.Stats().Peak
}

// countingAllocator hands out distinct addresses and holds no memory.
type countingAllocator struct{ next uint64 }

func (a *countingAllocator) alloc(n uint64) (uint64, error) {
	a.next += 256
	return a.next, nil
}

func (a *countingAllocator) free(uint64) error { return nil }
