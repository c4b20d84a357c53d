package kernels

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// winoOn runs f with Winograd taken for every 3×3 stride-1 shape (from one
// channel, on any CPU) and chunks of at most chunkBytes.
func winoOn(chunkBytes int, f func()) {
	defer func(m, c int, a, t bool) {
		winoMinChannels, winoChunkBytes, winoAnyCPU, winoTilesAny = m, c, a, t
	}(winoMinChannels, winoChunkBytes, winoAnyCPU, winoTilesAny)
	winoMinChannels, winoChunkBytes, winoAnyCPU, winoTilesAny = 1, chunkBytes, true, true
	f()
}

// winoSweep is a sweep of Winograd shapes: planes from 1×1 (output tiles
// cut by the plane on both sides), pads 0 to 2 on each side, channel
// counts around a vector, one to five images.
func winoSweep() []ConvParams {
	var ps []ConvParams
	mk := func(n, c, h, w, k, pt, pl, pb, pr int) {
		ps = append(ps, ConvParams{N: n, C: c, H: h, W: w, K: k, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadTop: pt, PadLeft: pl, PadBottom: pb, PadRight: pr, DilationH: 1, DilationW: 1, Groups: 1})
	}
	for _, hw := range [][2]int{{1, 1}, {2, 5}, {3, 3}, {4, 4}, {5, 7}, {8, 8}, {9, 6}, {13, 17}, {20, 4}} {
		for _, pad := range [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 1, 0, 2}, {0, 2, 2, 0}} {
			if hw[0]+pad[0]+pad[2] < 3 || hw[1]+pad[1]+pad[3] < 3 {
				continue
			}
			mk(1+hw[0]%3, 3+hw[1]%5, hw[0], hw[1], 17+hw[0]%4, pad[0], pad[1], pad[2], pad[3])
		}
	}
	mk(5, 64, 20, 20, 48, 1, 1, 1, 1)
	mk(3, 33, 7, 7, 70, 1, 1, 1, 1)
	return ps
}

// TestWinograd holds the Winograd forward (with bias and moments), input
// gradient and filter gradient (from x and image by image) to the
// references over winoSweep, in one chunk and in chunks of one or two
// images, and checks that they are taken.
func TestWinograd(t *testing.T) {
	for _, chunkBytes := range []int{8 << 20, 1} {
		winoOn(chunkBytes, func() {
			for i, p := range winoSweep() {
				if !p.winograd() {
					t.Fatalf("%+v: not taken by Winograd", p)
				}
				name := fmt.Sprintf("%+v chunk %d", p, newWinoGeom(p).chunk)
				r := newRand(uint64(700 + i))
				x, w, bias, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.K), randSlice(r, p.YLen())
				tol := 3e-6 * float64(p.C*9+p.N*p.OutH()*p.OutW()+p.K+4)
				y, want := newGuarded(p.YLen()), make([]float32, p.YLen())
				ep := Epilogue{Moments: make([]PlaneMoments, p.N*p.K)}
				Conv2DEpilogue(p, x, w, bias, y.data(), ep)
				Conv2DRef(p, x, w, bias, want)
				y.check(t, name)
				if err := closeTo(y.data(), want, tol); err != nil {
					t.Fatalf("Conv2D %s: %v", name, err)
				}
				plane := p.OutH() * p.OutW()
				for j, got := range ep.Moments {
					if got != planeMoments(y.data()[j*plane:(j+1)*plane]) {
						t.Fatalf("Conv2D %s: moments of plane %d", name, j)
					}
				}
				dx, wantDx := newGuarded(p.XLen()), make([]float32, p.XLen())
				fillSentinel(dx.data())
				Conv2DBackwardData(p, dy, w, dx.data())
				Conv2DBackwardDataRef(p, dy, w, wantDx)
				dx.check(t, name)
				if err := closeTo(dx.data(), wantDx, tol); err != nil {
					t.Fatalf("Conv2DBackwardData %s: %v", name, err)
				}
				dw, from, wantDw := newGuarded(p.WLen()), make([]float32, p.WLen()), make([]float32, p.WLen())
				fillSentinel(dw.data())
				Conv2DBackwardFilter(p, x, dy, dw.data())
				Conv2DBackwardFilterRef(p, x, dy, wantDw)
				dw.check(t, name)
				if err := closeTo(dw.data(), wantDw, tol); err != nil {
					t.Fatalf("Conv2DBackwardFilter %s: %v", name, err)
				}
				chw := p.C * p.H * p.W
				var made atomic.Int64
				Conv2DBackwardFilterFrom(p, func(n int, dst []float32) { made.Add(1); copy(dst[:chw], x[n*chw:]) }, dy, from)
				if !slices.Equal(from, dw.data()) {
					t.Fatalf("Conv2DBackwardFilterFrom %s: differs from the gradient from x", name)
				}
				if made.Load() != int64(p.N) { // images are decoded codes: once each
					t.Fatalf("Conv2DBackwardFilterFrom %s: %d images made for %d", name, made.Load(), p.N)
				}
			}
		})
	}
}

// TestWinogradDeterministic: the three Winograd passes give the same bits
// at GOMAXPROCS 1, 2 and 4, over several chunks.
func TestWinogradDeterministic(t *testing.T) {
	p := ConvParams{N: 7, C: 24, H: 11, W: 13, K: 40, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
		PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1}
	r := newRand(77)
	x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
	winoOn(400<<10, func() {
		if g := newWinoGeom(p); g.chunk >= p.N {
			t.Fatalf("one chunk of %d images: the test wants several", g.chunk)
		}
		sameAtAnyProcs(t, "winograd", func() [][]float32 {
			out := [][]float32{make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())}
			Conv2D(p, x, w, nil, out[0])
			Conv2DBackwardData(p, dy, w, out[1])
			Conv2DBackwardFilter(p, x, dy, out[2])
			return out
		})
	})
}

// TestWinogradScratch: each Winograd pass, from empty pools, allocates no
// more than winoScratch (a quarter more for the pools' size classes, and
// a little for closures), at a batch of 4 and of 48: its scratch follows
// the layer and its chunk, which grows with the batch up to winoChunkBytes,
// as the memory plan counts it (FilterScratch).
func TestWinogradScratch(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	winoOn(512<<10, func() { // two images' transforms
		for _, n := range []int{4, 48} {
			p := ConvParams{N: n, C: 40, H: 16, W: 16, K: 48, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
				PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1}
			bound := winoScratch(p)
			if bound == 0 || FilterScratch(p) < bound {
				t.Fatalf("winoScratch %d, FilterScratch %d", bound, FilterScratch(p))
			}
			r := newRand(9)
			x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
			y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
			chw := p.C * p.H * p.W
			for name, f := range map[string]func(){
				"forward":              func() { Conv2D(p, x, w, nil, y) },
				"input gradient":       func() { Conv2DBackwardData(p, dy, w, dx) },
				"filter gradient":      func() { Conv2DBackwardFilter(p, x, dy, dw) },
				"filter gradient from": func() { Conv2DBackwardFilterFrom(p, func(i int, d []float32) { copy(d, x[i*chw:]) }, dy, dw) },
			} {
				emptyPools()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				f()
				runtime.ReadMemStats(&after)
				if got := int64(after.TotalAlloc - before.TotalAlloc); got > bound+bound/4+64<<10 {
					t.Errorf("batch %d, %s: %d bytes allocated, winoScratch %d", n, name, got, bound)
				}
			}
		}
	})
}

// TestFilterScratchFollowsTheLayer: FilterScratch of a layer at its own
// spatial size and batch (a 64×64 ResNet's 2×2, 4×4 and 8×8 stages at
// batch 32) bounds what its training passes allocate from empty pools,
// with the memory plan's allowance around it (a quarter for the pools'
// size classes, 8 MiB a goroutine for the chunks of images), and is well
// under the bound for an unknown shape: the plan took that bound, the
// 16 MiB Winograd chunk a 2×2 layer never reaches, and was 12 % over a
// ResNet-18's measured peak.
func TestFilterScratchFollowsTheLayer(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	for _, c := range []struct{ ch, size, n int }{{512, 2, 32}, {256, 4, 32}, {128, 8, 32}, {64, 16, 8}} {
		p := ConvParams{N: c.n, C: c.ch, H: c.size, W: c.size, K: c.ch, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1}
		shapeFree := p
		shapeFree.N, shapeFree.H, shapeFree.W = 0, 0, 0
		got, bound := FilterScratch(p), FilterScratch(shapeFree)
		// Where the lanes serve, a small layer's scratch is well under the
		// shape-free bound; shiftBackwardFilter's lane sums (no assembly)
		// do not shrink with the layer, so there it is only under it.
		small := c.size <= 4 && p.laneFilterKernels() != nil
		if got <= 0 || got > bound || 2*got > bound && small {
			t.Errorf("%d channels at %d×%d, batch %d: FilterScratch %d, the bound for any shape %d", c.ch, c.size, c.size, c.n, got, bound)
		}
		r := newRand(3)
		x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
		y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
		allowance := got + got/4 + int64(gomaxprocs())*8<<20
		for name, f := range map[string]func(){
			"forward":         func() { Conv2D(p, x, w, nil, y) },
			"input gradient":  func() { Conv2DBackwardData(p, dy, w, dx) },
			"filter gradient": func() { Conv2DBackwardFilter(p, x, dy, dw) },
		} {
			emptyPools()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f()
			runtime.ReadMemStats(&after)
			if alloc := int64(after.TotalAlloc - before.TotalAlloc); alloc > allowance {
				t.Errorf("%d channels at %d×%d, batch %d, %s (winograd %v): %d bytes allocated, allowance %d (FilterScratch %d)",
					c.ch, c.size, c.size, c.n, name, p.winograd(), alloc, allowance, got)
			}
		}
	}
}

// emptyPools drops the float scratch the pools hold.
func emptyPools() {
	runtime.GC()
	runtime.GC() // a sync.Pool keeps its victims through one collection
	bufPool.mu.Lock()
	bufPool.kept = [poolClasses]*[]float32{}
	bufPool.mu.Unlock()
}

// TestWinogradNeedsTiles: a 3×3 layer runs by Winograd only with at least
// one GEMM column tile of 4×4 output tiles over the batch, so ResNet-18's
// 7×7 layers at batch 1 (4 tiles) run directly and at batch 32 by Winograd.
func TestWinogradNeedsTiles(t *testing.T) {
	if !useAVX512 && !winoAVX2 {
		t.Skip("no vector Winograd transforms on this CPU")
	}
	p := ConvParams{N: 1, C: 64, H: 7, W: 7, K: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
		PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1}
	nr := gemmKernel().nr
	for _, n := range []int{1, (nr+3)/4 - 1, (nr + 3) / 4, 32} {
		p.N = n
		if want := 4*n >= nr; p.winograd() != want {
			t.Errorf("batch %d (%d tiles, microkernel columns %d): winograd %v, want %v", n, 4*n, nr, p.winograd(), want)
		}
	}
	if winoScratch(p) == 0 {
		t.Error("winoScratch is 0 for a shape that runs by Winograd at larger batches")
	}
}
