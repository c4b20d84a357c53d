package kernels

import (
	mbits "math/bits"
	"runtime"
	"sync"
)

// slicePool reuses scratch slices, so that hot paths do not allocate per
// call. Slices are kept in size classes (sizeClass), so that buffers of
// different sizes taken in turn never evict one another. Each class also
// holds one slice outside the sync.Pool: a garbage collection empties the
// pools, and a training step collects often enough that its large scratch
// would otherwise be allocated (and zeroed) anew every few calls. A
// request takes a kept slice of a larger class (up to four times its
// size) when its own has none, so that one layer's idle scratch serves
// the smaller layers after it instead of each keeping its own.
type slicePool[T any] struct {
	classes [poolClasses]sync.Pool
	mu      sync.Mutex
	kept    [poolClasses]*[]T
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
	b := sp.takeKept(c, size)
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

// takeKept takes the kept slice of class c (of size elements) or of the
// smallest larger class that has one, up to four times the size.
func (sp *slicePool[T]) takeKept(c, size int) *[]T {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for k := c; k < poolClasses; k++ {
		if b := sp.kept[k]; b != nil {
			if cap(*b) > 4*size {
				return nil
			}
			sp.kept[k] = nil
			return b
		}
	}
	return nil
}

// Put returns b, which get returned, to the pool.
func (sp *slicePool[T]) Put(b *[]T) {
	c, _ := sizeClass(cap(*b))
	sp.mu.Lock()
	if sp.kept[c] == nil {
		sp.kept[c] = b
		sp.mu.Unlock()
		return
	}
	sp.mu.Unlock()
	sp.classes[c].Put(b)
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
