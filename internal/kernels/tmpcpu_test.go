package kernels

import (
	"fmt"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuRate returns the median flops/CPU-second of f over reps runs.
func cpuRate(flops float64, reps int, f func()) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	var ts []float64
	for range reps {
		t0 := threadCPU()
		n := 0
		for threadCPU()-t0 < 30*time.Millisecond || n == 0 {
			f()
			n++
		}
		ts = append(ts, float64(threadCPU()-t0)/1e9/float64(n))
	}
	sort.Float64s(ts)
	return flops / ts[len(ts)/2] / 1e9
}

func TestTmpCPU(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, s := range gemmBenchShapes {
		m, n, k := s[0], s[1], s[2]
		r := newRand(1)
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		g := cpuRate(2*float64(m*n*k), 5, func() { Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
		fmt.Printf("sgemm %v %.1f\n", s, g)
	}
	for _, p := range resnet20Convs(32) {
		r := newRand(1)
		taps := p.C / p.Groups * p.KH * p.KW
		x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
		y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
		scale := randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		fl := p.flops()
		fmt.Printf("C%dH%dK%dS%d fwd %.1f bwdD %.1f bwdF %.1f bin %.1f int8 %.1f\n", p.C, p.H, p.K, p.StrideH,
			cpuRate(fl, 3, func() { Conv2D(p, x, w, nil, y) }),
			cpuRate(fl, 3, func() { Conv2DBackwardData(p, dy, w, dx) }),
			cpuRate(fl, 3, func() { Conv2DBackwardFilter(p, x, dy, dw) }),
			cpuRate(fl, 3, func() { BinaryConv2D(p, x, wb, scale, nil, y) }),
			cpuRate(fl, 3, func() { BinaryConv2DInt8(p, x, wb, scale, nil, y) }))
	}
}
