package kernels

import (
	mbits "math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// slicePool reuses scratch slices, so that hot paths do not allocate per
// call. Slices are kept in size classes (sizeClass), so that buffers of
// different sizes taken in turn never evict one another. Each class also
// holds one slice outside the sync.Pool: a garbage collection empties the
// pools, and a training step collects often enough that its large scratch
// would otherwise be allocated (and zeroed) anew every few calls.
type slicePool[T any] struct {
	classes [poolClasses]sync.Pool
	kept    [poolClasses]atomic.Pointer[[]T]
}

// poolClasses covers every length up to 2^40.
const poolClasses = 13 + 28*4

// sizeClass is the class of a slice of n elements and the length its
// slices have: powers of two up to 4096, then four classes per doubling
// (2^c·(1 + k/4)), so that a large scratch buffer is at most a quarter
// larger than asked, not twice.
func sizeClass(n int) (class, size int) {
	if n <= 4096 {
		c := mbits.Len(uint(max(n, 1) - 1))
		return c, 1 << c
	}
	c := mbits.Len(uint(n-1)) - 1 // 2^c < n ≤ 2^(c+1)
	step := 1 << (c - 2)
	k := (n - 1<<c + step - 1) / step // 1..4
	return 13 + (c-12)*4 + k - 1, 1<<c + k*step
}

// get returns a slice of length n (contents undefined).
func (sp *slicePool[T]) get(n int) *[]T {
	c, size := sizeClass(n)
	b := sp.kept[c].Swap(nil)
	if b == nil {
		b, _ = sp.classes[c].Get().(*[]T)
	}
	if b == nil {
		b = new([]T)
		*b = make([]T, size)
	}
	*b = (*b)[:n]
	return b
}

// Put returns b, which get returned, to the pool.
func (sp *slicePool[T]) Put(b *[]T) {
	c, _ := sizeClass(cap(*b))
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
