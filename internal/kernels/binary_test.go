package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bincompress/bincompress/internal/bits"
)

// randBits packs rows×cols random signs and sets every padding bit to 1,
// which the convention says no kernel reads.
func randBits(r *rand.Rand, rows, cols int) []uint64 {
	wpr := bits.WordsPerRow(cols)
	w := make([]uint64, rows*wpr)
	bits.PackRows(w, randSlice(r, rows*cols), rows, cols)
	if wpr > 0 {
		for i := range rows {
			w[i*wpr+wpr-1] |= ^bits.PaddingMask(cols)
		}
	}
	return w
}

func TestBinaryConv2DSweep(t *testing.T) {
	for i, p := range convSweep() {
		r := newRand(uint64(200 + i))
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale, bias := randSlice(r, p.XLen()), randSlice(r, p.K), randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		for _, b := range [][]float32{bias, nil} {
			y, want := newGuarded(p.YLen()), make([]float32, p.YLen())
			BinaryConv2D(p, x, wb, scale, b, y.data())
			BinaryConv2DRef(p, x, wb, scale, b, want)
			y.check(t, "BinaryConv2D")
			if err := closeTo(y.data(), want, 3e-6*float64(taps+4)); err != nil {
				t.Fatalf("BinaryConv2D %+v: %v", p, err)
			}
		}
	}
}

func TestBinaryGemmSweep(t *testing.T) {
	dims := []int{0, 1, 3, 8, 17, 48, 63, 64, 65, 130}
	seed := uint64(300)
	for _, m := range dims {
		for _, n := range dims {
			k := dims[(m+2*n)%len(dims)]
			seed++
			r := newRand(seed)
			x, scale, bias := randSlice(r, m*k), randSlice(r, n), randSlice(r, n)
			wb := randBits(r, n, k)
			y, want := newGuarded(m*n), make([]float32, m*n)
			fillSentinel(y.data())
			BinaryGemm(m, n, k, x, wb, scale, bias, y.data())
			BinaryGemmRef(m, n, k, x, wb, scale, bias, want)
			y.check(t, "BinaryGemm")
			if err := closeTo(y.data(), want, 3e-6*float64(k+4)); err != nil {
				t.Fatalf("BinaryGemm m=%d n=%d k=%d: %v", m, n, k, err)
			}
		}
	}
}

func BenchmarkBinaryConv2D(b *testing.B) {
	for _, p := range resnet20Convs(32) {
		r := newRand(1)
		taps := p.C / p.Groups * p.KH * p.KW
		x, scale, y := randSlice(r, p.XLen()), randSlice(r, p.K), make([]float32, p.YLen())
		wb := randBits(r, p.K, taps)
		b.Run(fmt.Sprintf("C%dH%dK%dS%d", p.C, p.H, p.K, p.StrideH), func(b *testing.B) {
			benchFlops(b, p.flops(), "GFLOP/s", func() { BinaryConv2D(p, x, wb, scale, nil, y) })
		})
	}
}

func BenchmarkBinaryGemm(b *testing.B) {
	for _, s := range [][3]int{{128, 10, 64}, {32, 1000, 512}, {256, 512, 512}} {
		m, n, k := s[0], s[1], s[2]
		r := newRand(1)
		x, scale, y := randSlice(r, m*k), randSlice(r, n), make([]float32, m*n)
		wb := randBits(r, n, k)
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			benchFlops(b, 2*float64(m*n*k), "GFLOP/s", func() { BinaryGemm(m, n, k, x, wb, scale, nil, y) })
		})
	}
}
