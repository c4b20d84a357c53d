package autograd

import (
	"runtime"

	"github.com/bincompress/bincompress/internal/kernels"
)

// grain is the fewest elements worth a goroutine in elementwise loops.
const grain = 1 << 15

// chunks runs f over [0, n) split into contiguous ranges, a few per
// goroutine; f must write only its own range.
func chunks(n int, f func(lo, hi int)) {
	parts := min(4*runtime.GOMAXPROCS(0), n/grain)
	if parts <= 1 {
		f(0, n)
		return
	}
	parallelFor(parts, func(p int) { f(p*n/parts, (p+1)*n/parts) })
}

// wordChunks is chunks for a loop over the 64-element words of a bit mask
// of n elements: f gets word ranges [w0, w1), split by elements as chunks
// splits them.
func wordChunks(n int, f func(w0, w1 int)) {
	words := (n + 63) / 64
	parts := min(4*runtime.GOMAXPROCS(0), n/grain, words)
	if parts <= 1 {
		f(0, words)
		return
	}
	parallelFor(parts, func(p int) { f(p*words/parts, (p+1)*words/parts) })
}

// parallelFor runs f(0..n-1) on up to GOMAXPROCS goroutines, each taking
// the next index as it comes free (kernels.Tasks). Each index must write
// disjoint memory, so the result does not depend on scheduling.
func parallelFor(n int, f func(i int)) { kernels.Tasks(n, f) }

// parallelForW is parallelFor telling f which of the workersFor(n)
// goroutines runs index i, for scratch of its own.
func parallelForW(n int, f func(i, w int)) { kernels.TasksOn(workersFor(n), n, f) }

// workersFor is how many goroutines parallelFor runs n indices on.
func workersFor(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }
