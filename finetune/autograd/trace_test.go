package autograd

import (
	"math/rand/v2"
	"testing"
)

// oddNet records conv → BN → ReLU → BN+ReLU → conv → max pool → GAP →
// Gemm → loss on a batch of n images of 3×5 pixels, odd sizes whose codes
// and masks do not fill whole words.
func oddNet(t *testing.T, tp *Tape, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(8, 1))
	x := randTensor(r, -1, 1, n, 3, 3, 5)
	w1, w2 := Param([]int{5, 3, 3, 3}, randTensor(r, -1, 1, 135).Data), Param([]int{5, 5, 1, 1}, randTensor(r, -1, 1, 25).Data)
	g, b := Param([]int{5}, []float32{1, 2, 1, 1, 1}), Param([]int{5}, make([]float32, 5))
	fc := Param([]int{5, 3}, randTensor(r, -1, 1, 15).Data)
	pad := ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	y, err := tp.Conv(x, w1, nil, pad, true)
	must(t, err)
	y, _, err = tp.BatchNormTrain(y, g, b, 1e-5)
	must(t, err)
	y = tp.Relu(y)
	y, _, err = tp.BatchNormRelu(y, g, b, 1e-5)
	must(t, err)
	y, err = tp.Conv(y, w2, nil, ConvAttrs{}, true)
	must(t, err)
	y, err = tp.MaxPool(y, PoolAttrs{KH: 2, KW: 2, StrideH: 1, StrideW: 1})
	must(t, err)
	y, err = tp.GlobalAveragePool(y)
	must(t, err)
	y, err = tp.Gemm(tp.View(y, []int{n, 5}), fc, nil, GemmAttrs{Alpha: 1}, true)
	must(t, err)
	_, _, err = tp.CrossEntropy(y, make([]int, n), 1)
	must(t, err)
}

// TestSavedBytesAt: every buffer an op saves, recorded at batch 2, tells
// its size at batches 3 and 7 (bytesAt) as recording there gives it, in
// both modes and at every BN width.
func TestSavedBytesAt(t *testing.T) {
	for _, compress := range []bool{false, true} {
		for _, bits := range []int{1, 2, 4, 8} {
			saved := func(n int) []Saved {
				tp := &Tape{Compress: compress, BNBits: bits, Key: 1}
				oddNet(t, tp, n)
				var s []Saved
				for _, r := range tp.ops {
					s = append(s, r.op.saved()...)
				}
				return s
			}
			at2 := saved(2)
			for _, n := range []int{3, 7} {
				atN := saved(n)
				if len(atN) != len(at2) {
					t.Fatalf("compress=%v: %d saved buffers at batch 2, %d at %d", compress, len(at2), len(atN), n)
				}
				for i, s := range at2 {
					if got, want := savedBytesAt(s, 2, n), atN[i].Bytes(); got != want {
						t.Errorf("compress=%v bits=%d: saved buffer %d (%T) is %d B at batch %d, bytesAt says %d", compress, bits, i, s, want, n, got)
					}
				}
			}
		}
	}
}

// TestPlanArena: buffers live at the same time never share arena memory,
// every buffer fits, and the arena is no smaller than the most memory live
// at once (the greedy layout's floor), on random lifetimes.
func TestPlanArena(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for trial := range 50 {
		n := 1 + r.IntN(40)
		size, life := make([]int, n), make([]interval, n)
		for i := range n {
			size[i] = r.IntN(1000)
			b := r.IntN(100)
			life[i] = interval{b, b + r.IntN(30)}
		}
		p := planArena(size, life)
		liveMost := mostLive(size, life)
		for i := range n {
			if p.off[i]%arenaAlign != 0 || p.off[i]+size[i] > p.total {
				t.Fatalf("trial %d: buffer %d at %d (+%d) outside the arena of %d or unaligned", trial, i, p.off[i], size[i], p.total)
			}
			for j := range i {
				if life[i].overlaps(life[j]) && size[i] > 0 && size[j] > 0 &&
					p.off[i] < p.off[j]+size[j] && p.off[j] < p.off[i]+size[i] {
					t.Fatalf("trial %d: buffers %d and %d live together and overlap", trial, i, j)
				}
			}
		}
		if p.total < liveMost {
			t.Fatalf("trial %d: arena %d smaller than the %d live at once", trial, p.total, liveMost)
		}
	}
}

// TestPlanArenaShortcut: the buffers of a wide ResNet's evaluation pass
// around an option-A shortcut (elements, lifetimes in trace ticks): the
// shortcut's padded input, larger than the block's activations and live
// only across its first layers, takes the low offsets when placed by size
// first (an arena a third over the most live at once); the request order's
// layout, which planArena keeps when smaller, is within a tenth of it.
func TestPlanArenaShortcut(t *testing.T) {
	size := []int{81920, 81920, 81920, 81920, 81920, 40960, 40960, 92480}
	life := []interval{{1, 7}, {2, 4}, {3, 6}, {5, 14}, {8, 10}, {9, 12}, {11, 26}, {13, 16}}
	liveMost := mostLive(size, life)
	if p := planArena(size, life); p.total > liveMost+liveMost/10 {
		t.Fatalf("arena of %d elements for %d live at most", p.total, liveMost)
	}
}

// mostLive is the most memory (aligned lengths) the buffers have live at
// one tick.
func mostLive(size []int, life []interval) int {
	most := 0
	for _, at := range life {
		live := 0
		for i := range size {
			if life[i].overlaps(interval{at.born, at.born}) {
				live += roundUp(size[i])
			}
		}
		most = max(most, live)
	}
	return most
}
