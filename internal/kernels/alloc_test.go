package kernels

import (
	"runtime"
	"testing"
)

// TestScratchReused checks that steady-state calls take their scratch from
// the pools: a handful of small allocations (interface values, closures) at
// most, never buffers proportional to the problem.
func TestScratchReused(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r := newRand(2)
	m, n, k := 64, 200, 300
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	p := resnet20Convs(2)[1]
	x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
	y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
	wb, scale := randBits(r, p.K, p.C*9), randSlice(r, p.K)
	sc := NewSignClasses(p, wb)
	for name, f := range map[string]func(){
		"Sgemm":                func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) },
		"Conv2D":               func() { Conv2D(p, x, w, nil, y) },
		"Conv2DBackwardData":   func() { Conv2DBackwardData(p, dy, w, dx) },
		"Conv2DBackwardFilter": func() { Conv2DBackwardFilter(p, x, dy, dw) },
		"BinaryConv2D":         func() { BinaryConv2D(p, x, wb, scale, nil, y) },
		"BinaryConv2DInt8":     func() { BinaryConv2DInt8(p, x, wb, scale, nil, y) },
		"BinaryConv2DClasses":  func() { BinaryConv2DClasses(p, x, sc, scale, nil, y, Epilogue{}) },
	} {
		f()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs := testing.AllocsPerRun(5, f)
		runtime.ReadMemStats(&after)
		perCall := float64(after.TotalAlloc-before.TotalAlloc) / 6
		if allocs > 16 || perCall > 4096 {
			t.Errorf("%s: %.0f allocations, %.0f bytes per call", name, allocs, perCall)
		}
	}
}

// TestSizeClass: every length gets a class whose slices hold it with at
// most a quarter to spare above 4096 elements, classes grow with the
// length, and a slice of a class's length falls in that class (Put).
func TestSizeClass(t *testing.T) {
	prev := -1
	for n := 1; n < 1<<22; n += 1 + n/97 {
		c, size := sizeClass(n)
		if size < n || (n > 4096 && 4*(size-n) > size) || c < prev || c >= poolClasses {
			t.Fatalf("n=%d: class %d of %d elements (previous class %d)", n, c, size, prev)
		}
		if c2, s2 := sizeClass(size); c2 != c || s2 != size {
			t.Fatalf("n=%d: a slice of %d elements goes back to class %d, not %d", n, size, c2, c)
		}
		prev = c
	}
	if c, _ := sizeClass(1 << 40); c >= poolClasses {
		t.Fatalf("2^40 elements: class %d out of range", c)
	}
}
