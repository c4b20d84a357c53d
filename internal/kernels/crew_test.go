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

// TestWorkersDoNotWaitForAnIdleHelper holds helper 1 before it claims its
// index, as a scheduler that has not run it would: the caller runs index 1
// itself once its own is done, and the region returns without the helper.
func TestWorkersDoNotWaitForAnIdleHelper(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	Workers(3, func(int) {}) // the helpers exist
	release := make(chan struct{})
	var held atomic.Int32
	hook := func(index int) {
		if index == 1 && held.Add(1) == 1 {
			<-release
		}
	}
	claimHook.Store(&hook)
	defer claimHook.Store(nil)
	returned := make(chan [3]int32)
	go func() {
		var runs [3]atomic.Int32
		Workers(3, func(w int) { runs[w].Add(1) })
		returned <- [3]int32{runs[0].Load(), runs[1].Load(), runs[2].Load()}
	}()
	select {
	case runs := <-returned:
		close(release)
		if runs != [3]int32{1, 1, 1} {
			t.Fatalf("runs per index %v, want one each", runs)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the region waited for a helper that had not claimed its index")
	}
	claimHook.Store(nil)
	var sum atomic.Int32 // the held helper rejoins the next regions
	for range 100 {
		Workers(3, func(w int) { sum.Add(int32(w)) })
	}
	if sum.Load() != 300 {
		t.Fatalf("after the held helper returned, indices summed to %d over 100 regions, want 300", sum.Load())
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
