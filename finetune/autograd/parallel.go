package autograd

import (
	"runtime"
	"sync"
)

// parallelFor runs f(0..n-1) on up to GOMAXPROCS goroutines. Each index
// must write disjoint memory, so the result does not depend on scheduling.
func parallelFor(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}
