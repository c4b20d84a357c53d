package gpu

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/gpu/emu"
)

// fakeAlloc hands out increasing addresses and can run out of memory.
type fakeAlloc struct {
	next, limit, used uint64
	live              map[uint64]uint64
	frees             int
}

func (f *fakeAlloc) alloc(n uint64) (uint64, error) {
	if f.used+n > f.limit {
		return 0, errOutOfMemory
	}
	if f.live == nil {
		f.live = map[uint64]uint64{}
	}
	f.next += 1 << 20
	f.live[f.next] = n
	f.used += n
	return f.next, nil
}

func (f *fakeAlloc) free(p uint64) error {
	n, ok := f.live[p]
	if !ok {
		return errors.New("double free")
	}
	delete(f.live, p)
	f.used -= n
	f.frees++
	return nil
}

func TestSizeClass(t *testing.T) {
	prev := uint64(0)
	for n := uint64(1); n < 1<<20; n = n*9/8 + 1 {
		c := sizeClass(n)
		if c < n || c < 256 || (n > 256 && float64(c) > 1.25*float64(n)+1) || c < prev {
			t.Fatalf("sizeClass(%d) = %d", n, c)
		}
		if sizeClass(c) != c {
			t.Fatalf("sizeClass(%d) = %d is not a fixed point", c, sizeClass(c))
		}
		prev = c
	}
}

func TestPoolReusesAcrossSteps(t *testing.T) {
	a := &fakeAlloc{limit: 1 << 30}
	p := NewPool(a)
	sizes := []uint64{1000, 4096, 70000, 1000, 12}
	for step := range 3 {
		var bufs []Buffer
		for _, s := range sizes {
			b, err := p.Get(s)
			if err != nil || b.Size != s || b.Ptr == 0 {
				t.Fatalf("Get(%d) = %+v, %v", s, b, err)
			}
			bufs = append(bufs, b)
		}
		for _, b := range bufs {
			if err := p.Put(b); err != nil {
				t.Fatal(err)
			}
		}
		if st := p.Stats(); st.Allocs != len(sizes) || st.InUse != 0 {
			t.Fatalf("step %d: %+v: want %d device allocations in all and nothing in use", step, st, len(sizes))
		}
	}
	if st := p.Stats(); st.Peak != st.Reserved || st.Reserved != a.used {
		t.Errorf("stats %+v disagree with the device's %d bytes", st, a.used)
	}
	p.Release()
	if a.used != 0 || p.Stats().Reserved != 0 {
		t.Errorf("after Release: device holds %d, pool reserves %d", a.used, p.Stats().Reserved)
	}
}

func TestPoolOutOfMemoryReleasesCache(t *testing.T) {
	a := &fakeAlloc{limit: 4096}
	p := NewPool(a)
	b, _ := p.Get(3000) // class 3072
	p.Put(b)
	c, err := p.Get(2000) // needs 2048 more: the cached 3072 must go
	if err != nil || a.frees != 1 {
		t.Fatalf("Get after OOM: %v (frees %d)", err, a.frees)
	}
	if _, err := p.Get(4000); !errors.Is(err, errOutOfMemory) {
		t.Errorf("want out of memory, got %v", err)
	}
	if err := p.Put(c); err != nil {
		t.Fatal(err)
	}
	if err := p.Put(c); err == nil {
		t.Error("second Put of the same buffer accepted")
	}
	if b, err := p.Get(0); err != nil || b.Ptr != 0 || p.Put(b) != nil {
		t.Errorf("zero-size buffer: %+v, %v", b, err)
	}
}

// TestPoolLimitFreesCache: with a limit, a request of a new size that
// would take the reservation past it first frees the cached blocks (the
// device never sees more than the limit while what is in use fits), and
// without one the cache grows.
func TestPoolLimitFreesCache(t *testing.T) {
	for _, limit := range []uint64{0, 8192} {
		a := &fakeAlloc{limit: 1 << 30}
		p := NewPool(a)
		p.Limit(limit)
		b, _ := p.Get(6144) // a full batch's buffer
		p.Put(b)
		c, _ := p.Get(5000) // a partial batch's: a class of its own
		p.Put(c)
		d, _ := p.Get(6144)
		p.Put(d)
		s := p.Stats()
		if limit == 0 && s.Peak != 6144+5120 {
			t.Errorf("no limit: peak %d, want both classes cached (%d)", s.Peak, 6144+5120)
		}
		if limit > 0 && (s.Peak > limit || a.used > limit || s.Reserved != a.used) {
			t.Errorf("limit %d: peak %d, device holds %d, pool reserves %d", limit, s.Peak, a.used, s.Reserved)
		}
	}
}

// TestPlanPeakReplaysTrace: PlanPeak, replaying the requests a pool
// recorded, reaches the pool's own peak reservation, byte for byte, over
// random interleavings of requests and releases; a block taken before the
// trace and given back during it is no event; the trace's sizes are the
// sizes asked for.
func TestPlanPeakReplaysTrace(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		p := NewPool(&fakeAlloc{limit: 1 << 40})
		early, _ := p.Get(5000)
		p.ResetPeak()
		p.Trace()
		var live []Buffer
		asked := map[uint64]bool{}
		for range 300 {
			if len(live) > 0 && r.IntN(3) == 0 {
				i := r.IntN(len(live))
				p.Put(live[i])
				live = append(live[:i], live[i+1:]...)
				continue
			}
			n := uint64(r.IntN(1 << uint(4+r.IntN(16))))
			b, _ := p.Get(n)
			if n > 0 {
				live, asked[n] = append(live, b), true
			}
			if round == 0 && early.Ptr != 0 {
				p.Put(early)
				early = Buffer{}
			}
		}
		ev := p.Traced()
		for _, e := range ev {
			if !e.Free && !asked[e.Bytes] {
				t.Fatalf("round %d: the trace has a request of %d bytes, never asked for", round, e.Bytes)
			}
		}
		for i, e := range ev {
			if e.Free && (e.Of >= i || ev[e.Of].Free) {
				t.Fatalf("round %d: event %d frees event %d", round, i, e.Of)
			}
		}
		got, want := PlanPeak(ev), p.Stats().Peak
		if early.Ptr != 0 {
			want -= sizeClass(5000) // live before the trace and after: in the pool's peak, not in the replay's
		} else if got <= want { // its block, given back during the trace, may have served a request
			continue
		}
		if got != want {
			t.Errorf("round %d: replayed peak %d, the pool's %d (%d events)", round, got, want, len(ev))
		}
	}
}

// TestConvScratchBound: a convolution's column scratch, taken a chunk of
// images at a time, is traced with the most it takes at any batch (the
// chunk's bound), so that a plan replayed at a large batch does not scale
// it past what the backend asks for.
func TestConvScratchBound(t *testing.T) {
	t.Setenv("BINCOMPRESS_CUDA_LIBS", emu.Lib(t))
	d := openOrSkip(t)
	defer d.Close()
	b := d.Backend()
	// 3·3·3 rows over a 100×100 plane: at most 124 images per chunk.
	p := backend.Conv{N: 2, C: 3, H: 100, W: 100, K: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1,
		PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1}
	d.TraceMemory()
	col, out := b.convScratch(planConv(p))
	b.drop(col, out)
	ev := d.TracedMemory()
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	most := colLimit / (27 * 100 * 100)
	want := []backend.MemoryEvent{{Bytes: 4 * 27 * 2 * 1e4, Most: 4 * 27 * uint64(most) * 1e4}, {Bytes: 4 * 8 * 2 * 1e4, Most: 4 * 8 * uint64(most) * 1e4}}
	if len(ev) != 4 || ev[0] != want[0] || ev[1] != want[1] {
		t.Errorf("traced %+v, want %+v and their releases", ev, want)
	}
}
