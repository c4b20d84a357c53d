package kernels

import (
	"runtime"
	"sync"
)

// slicePool reuses scratch slices, so that hot paths do not allocate per
// call.
type slicePool[T any] struct{ p sync.Pool }

// get returns a slice of length n (contents undefined).
func (sp *slicePool[T]) get(n int) *[]T {
	b, _ := sp.p.Get().(*[]T)
	if b == nil {
		b = new([]T)
	}
	if cap(*b) < n {
		*b = make([]T, n)
	}
	*b = (*b)[:n]
	return b
}

// Put returns b to the pool.
func (sp *slicePool[T]) Put(b *[]T) { sp.p.Put(b) }

var (
	bufPool slicePool[float32]
	intPool slicePool[int]
	u32Pool slicePool[uint32]
	i32Pool slicePool[int32]
)

func getBuf(n int) *[]float32 { return bufPool.get(n) }

func getIntBuf(n int) *[]int { return intPool.get(n) }

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
