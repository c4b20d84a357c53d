package kernels

import (
	mbits "math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// slicePool reuses scratch slices, so that hot paths do not allocate per
// call. Slices are kept in power-of-two size classes, so that buffers of
// different sizes taken in turn never evict one another. Each class also
// holds one slice outside the sync.Pool: a garbage collection empties the
// pools, and a training step collects often enough that its large scratch
// would otherwise be allocated (and zeroed) anew every few calls.
type slicePool[T any] struct {
	classes [48]sync.Pool
	kept    [48]atomic.Pointer[[]T]
}

// get returns a slice of length n (contents undefined).
func (sp *slicePool[T]) get(n int) *[]T {
	c := mbits.Len(uint(max(n, 1) - 1))
	b := sp.kept[c].Swap(nil)
	if b == nil {
		b, _ = sp.classes[c].Get().(*[]T)
	}
	if b == nil {
		b = new([]T)
		*b = make([]T, 1<<c)
	}
	*b = (*b)[:n]
	return b
}

// Put returns b, which get returned, to the pool.
func (sp *slicePool[T]) Put(b *[]T) {
	c := mbits.Len(uint(cap(*b) - 1))
	if !sp.kept[c].CompareAndSwap(nil, b) {
		sp.classes[c].Put(b)
	}
}

var (
	bufPool slicePool[float32]
	intPool slicePool[int]
	u32Pool slicePool[uint32]
	i32Pool slicePool[int32]
)

func getBuf(n int) *[]float32 { return bufPool.get(n) }

func getIntBuf(n int) *[]int { return intPool.get(n) }

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
