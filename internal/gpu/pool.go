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
func (p *Pool) Get(n uint64) (Buffer, error) {
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
		return Buffer{Ptr: ptr, Size: n}, nil
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
	p.free[c] = append(p.free[c], b.Ptr)
	p.stats.InUse -= c
	return nil
}

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
