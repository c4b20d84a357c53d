package kernels

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
)

// allKernels is every microkernel this build can run.
func allKernels() []*microKernel { return append([]*microKernel{&goKernel}, asmKernels()...) }

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra leading-dimension padding
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d",
		c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.beta, c.pad)
}

// checkGemmCase runs one case through kern and SgemmRef, with NaN-free
// sentinels in C's padding and around C.
func checkGemmCase(t *testing.T, kern *microKernel, tc gemmCase, seed uint64) {
	t.Helper()
	r := newRand(seed)
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = ac, ar
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = bc, br
	}
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	a := randSlice(r, max(ar*lda, 1))
	b := randSlice(r, max(br*ldb, 1))
	c0 := randSlice(r, tc.m*ldc)
	for i := range tc.m {
		for x := tc.n; x < ldc; x++ {
			c0[i*ldc+x] = sentinel
		}
	}
	got := newGuarded(len(c0))
	copy(got.data(), c0)
	want := slices.Clone(c0)
	sgemmWith(kern, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got.data(), ldc)
	SgemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)
	got.check(t, tc.String())
	for i := range tc.m {
		for x := tc.n; x < ldc; x++ {
			if got.data()[i*ldc+x] != sentinel {
				t.Fatalf("%s %s: padding of C row %d overwritten", kern.name, tc, i)
			}
		}
	}
	if err := closeTo(got.data(), want, 2e-6*float64(tc.k+4)); err != nil {
		t.Fatalf("%s %s: %v", kern.name, tc, err)
	}
}

func TestSgemmSweep(t *testing.T) {
	dims := []int{0, 1, 2, 3, 5, 7, 8, 9, 16, 17, 23, 24, 25, 33, 47, 48, 49, 63, 97}
	for _, kern := range allKernels() {
		seed := uint64(1)
		for _, m := range dims {
			for _, n := range dims {
				k := dims[(m*7+n*3)%len(dims)]
				for tr := range 4 {
					seed++
					tc := gemmCase{tr&1 != 0, tr&2 != 0, m, n, k, 1, 0, (m + n) % 3}
					if seed%3 == 0 {
						tc.alpha, tc.beta = -0.75, 1
					} else if seed%3 == 1 {
						tc.alpha, tc.beta = 1.5, 0.5
					}
					checkGemmCase(t, kern, tc, seed)
				}
			}
		}
	}
}

// TestSgemmBlocks crosses the cache-block boundaries (kc, mc, nc) and the
// parallel threshold.
func TestSgemmBlocks(t *testing.T) {
	cases := []gemmCase{
		{false, false, blockMC + 13, 61, blockKC*2 + 5, 1, 0, 1},
		{true, false, 37, blockNC + 29, blockKC + 1, 0.5, 1, 0},
		{false, true, 130, 150, 300, 1, -1, 2},
		{true, true, 9, 2000, 40, 1, 0, 0},
		{false, false, 3, 5, 7, 0, 0.5, 0},
		{false, false, 3, 5, 0, 1, 2, 0},
	}
	if testing.Short() {
		cases = cases[2:]
	}
	for _, kern := range allKernels() {
		for i, tc := range cases {
			checkGemmCase(t, kern, tc, uint64(100+i))
		}
	}
}

// TestSgemmBetaZeroIgnoresNaN checks the BLAS rule that beta = 0 overwrites C.
func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	r := newRand(7)
	m, n, k := 11, 29, 13
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	c := make([]float32, m*n)
	for i := range c {
		c[i] = float32(math.NaN())
	}
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	for i, v := range c {
		if v != v {
			t.Fatalf("C[%d] is NaN after beta = 0", i)
		}
	}
}

// TestIndirectKernels holds each assembly indirect tile (edge tiles
// included) to its Go twin, with B rows at scattered offsets.
func TestIndirectKernels(t *testing.T) {
	r := newRand(31)
	var ks []*microKernel
	for _, k := range asmKernels() {
		ks = append(ks, k)
		if k.edge != nil {
			ks = append(ks, k.edge)
		}
	}
	for _, kern := range ks {
		for _, kc := range []int{1, 2, 3, 17, 256} {
			for _, acc := range []bool{false, true} {
				ldc := kern.nr + 3
				a := randSlice(r, kern.mr*kc)
				b := randSlice(r, kc+kern.nr+40)
				offs := make([]int, kc)
				for p := range offs {
					offs[p] = r.IntN(40)
				}
				c := randSlice(r, kern.mr*ldc)
				want := slices.Clone(c)
				kern.ind(kc, a, b, offs, c, ldc, acc)
				kernelIndirectGo(kern.mr, kern.nr, kc, a, b, offs, want, ldc, acc)
				if err := closeTo(c, want, 1e-6*float64(kc+2)); err != nil {
					t.Fatalf("%s kc=%d acc=%v: %v", kern.name, kc, acc, err)
				}
			}
		}
	}
}

// TestMicroKernels holds each assembly kernel to its Go twin directly.
func TestMicroKernels(t *testing.T) {
	r := newRand(3)
	for _, kern := range asmKernels() {
		for _, kc := range []int{1, 2, 3, 17, 256} {
			for _, acc := range []bool{false, true} {
				ldb, ldc := kern.nr+5, kern.nr+3
				a := randSlice(r, kern.mr*kc)
				b := randSlice(r, kc*ldb)
				c := randSlice(r, kern.mr*ldc)
				want := slices.Clone(c)
				kern.fn(kc, a, b, ldb, c, ldc, acc)
				kernelGo(kern.mr, kern.nr, kc, a, b, ldb, want, ldc, acc)
				if err := closeTo(c, want, 1e-6*float64(kc+2)); err != nil {
					t.Fatalf("%s kc=%d acc=%v: %v", kern.name, kc, acc, err)
				}
			}
		}
	}
}

// TestSgemmDeterministic checks bit-identical output at GOMAXPROCS 1, 2, 4.
func TestSgemmDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := newRand(11)
	shapes := [][3]int{{61, 517, 301}, {700, 45, 290}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		var first []float32
		for _, procs := range []int{1, 2, 4} {
			runtime.GOMAXPROCS(procs)
			c := make([]float32, m*n)
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%dx%dx%d: GOMAXPROCS=%d differs at %d: %v vs %v", m, n, k, procs, i, c[i], first[i])
				}
			}
		}
	}
}

// gemmBenchShapes are the square sizes and the ResNet-20 batch-128 im2col
// shapes (M = Cout, N = 128·H·W, K = Cin·3·3) of anchors-perf.md §2.1.
var gemmBenchShapes = [][3]int{
	{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
	{16, 131072, 27}, {16, 131072, 144}, {32, 32768, 288}, {64, 8192, 576}, {10, 128, 64},
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			r := newRand(1)
			x, y, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			flops := 2 * float64(m) * float64(n) * float64(k)
			benchFlops(b, flops, "GFLOP/s", func() { Sgemm(false, false, m, n, k, 1, x, k, y, n, 0, c, n) })
		})
	}
}

// benchFlops runs f b.N times and reports its rate by wall time and, on
// Linux, by CPU time ("cpu-" + unit), which stays steady when other
// processes share the cores: the thread's at GOMAXPROCS=1, the process's
// (every goroutine, the runtime's spinning included) otherwise.
func benchFlops(b *testing.B, flops float64, unit string, f func()) {
	single := runtime.GOMAXPROCS(0) == 1
	cpu := processCPU
	if single {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu = threadCPU
	}
	f()
	c0, ok := cpu()
	b.ResetTimer()
	for b.Loop() {
		f()
	}
	b.StopTimer()
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, unit)
	if c1, ok1 := cpu(); ok && ok1 && c1 > c0 {
		b.ReportMetric(flops*float64(b.N)/(c1-c0).Seconds()/1e9, "cpu-"+unit)
	}
}
