package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkersRunEachIndexOnce runs regions of every width up to 5 workers
// on the crew, back to back (helpers still spinning), after pauses longer
// than spinFor (helpers parked, the caller parking on a slow helper), and
// nested (the inner region on goroutines of its own): each w < n runs
// exactly once per region and the region returns only after all have.
func TestWorkersRunEachIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(5))
	region := func(n int, slow time.Duration, nested bool) {
		runs := make([]atomic.Int32, n)
		var inner atomic.Int32
		Workers(n, func(w int) {
			if w == n-1 {
				time.Sleep(slow)
			}
			if nested && w == 0 {
				Workers(3, func(int) { inner.Add(1) })
			}
			runs[w].Add(1)
		})
		for w := range runs {
			if got := runs[w].Load(); got != 1 {
				t.Fatalf("n=%d slow=%v: worker %d ran %d times", n, slow, w, got)
			}
		}
		if nested && inner.Load() != 3 {
			t.Fatalf("nested region ran %d of 3 workers", inner.Load())
		}
	}
	for i := range 400 {
		region(2+i%4, 0, i%7 == 0)
	}
	for i := range 12 {
		time.Sleep(2 * spinFor) // the helpers park
		region(2+i%4, time.Duration(i%3)*spinFor, false)
	}
}

// TestWorkersLateWakeUp parks waits after 20µs, and now and then holds the
// last helper of a region for 10 times that between its finishing and its
// waking the caller: the caller, having seen the region done while it
// spun, is parked in the next region (whose helpers are slow) by then,
// and the wake-up it gets is not that region's.
func TestWorkersLateWakeUp(t *testing.T) {
	spin := 20 * time.Microsecond
	spinTime.Store(int64(spin))
	defer spinTime.Store(int64(spinFor))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var done atomic.Int32
	hook := func() {
		if done.Add(1)%5 == 0 {
			time.Sleep(10 * spin)
		}
	}
	lastDoneHook.Store(&hook)
	defer lastDoneHook.Store(nil)
	for i := range 1000 {
		n := 2 + i%3
		var sum atomic.Int32
		Workers(n, func(w int) {
			if w > 0 && i%2 == 1 { // slow helpers: the caller parks
				for start := time.Now(); time.Since(start) < 5*spin; {
				}
			}
			sum.Add(int32(1 << w))
		})
		if got := sum.Load(); got != 1<<n-1 {
			t.Fatalf("region %d returned with workers %b of %b done", i, got, 1<<n-1)
		}
	}
}

// TestWorkersFromManyGoroutines opens regions from several goroutines at
// once: one holds the crew, the others start goroutines of their own, and
// every region still runs each index once.
func TestWorkersFromManyGoroutines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				n := 2 + (g+i)%3
				var sum atomic.Int32
				Workers(n, func(w int) { sum.Add(int32(1 << w)) })
				if sum.Load() != 1<<n-1 {
					bad.Add(1)
				}
				if i%50 == 0 {
					time.Sleep(time.Duration(g) * spinFor / 2)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d regions did not run each worker once", bad.Load())
	}
}
