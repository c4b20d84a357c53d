package kernels

import (
	"fmt"
	"slices"
	"testing"
)

// TestFilterTiles holds every assembly filter-gradient tile to its Go twin,
// with pixel counts on and off the unroll and several images.
func TestFilterTiles(t *testing.T) {
	r := newRand(21)
	for _, fk := range asmFilterKernels() {
		for nv := 1; nv <= 4; nv++ {
			for cb := 1; cb <= fk.maxCb[nv]; cb++ {
				for _, steps := range []int{0, 1, 2, 3, 5, 8, 37} {
					for _, nimg := range []int{1, 3} {
						plane, dstep, astride := steps+7, 16*nv+16, 16*nv+5
						ximg, dimg := cb*plane+3, steps*dstep+9
						x, dy := randSlice(r, nimg*ximg), randSlice(r, nimg*dimg)
						got := randSlice(r, cb*astride)
						want := append([]float32(nil), got...)
						fk.tile(cb, nv, steps, nimg, x, plane, ximg, dy, dstep, dimg, got, astride)
						filterTileGo(cb, nv, steps, nimg, x, plane, ximg, dy, dstep, dimg, want, astride)
						if err := closeTo(got, want, 1e-6*float64(nimg*steps+2)); err != nil {
							t.Fatalf("%s %dx%d steps=%d nimg=%d: %v", fk.name, cb, nv, steps, nimg, err)
						}
					}
				}
			}
		}
	}
}

// TestTranspose16 holds the assembly transpose to its Go twin for every
// width, with sentinels where nothing may be written.
func TestTranspose16(t *testing.T) {
	r := newRand(22)
	for _, fk := range asmFilterKernels() {
		for n := 1; n <= 16; n++ {
			sstride, dstride := 21, 19
			src := randSlice(r, 16*sstride)
			got, want := make([]float32, 17*dstride), make([]float32, 17*dstride)
			fillSentinel(got)
			fillSentinel(want)
			fk.transpose(got, dstride, src, sstride, n)
			transpose16Go(want, dstride, src, sstride, n)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s n=%d: [%d] = %v, want %v", fk.name, n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestChannelBackwardFilter runs the lane-filter driver with every tile set
// (the Go one in every build) over the convolution sweep, against the
// reference.
func TestChannelBackwardFilter(t *testing.T) {
	sets := append([]*filterKernels{&goFilterKernels}, asmFilterKernels()...)
	for i, p := range append(convSweep(), resnet20Convs(3)...) {
		r := newRand(uint64(300 + i))
		x, dy := randSlice(r, p.XLen()), randSlice(r, p.YLen())
		want := make([]float32, p.WLen())
		Conv2DBackwardFilterRef(p, x, dy, want)
		tol := 3e-6 * float64(p.C/p.Groups*p.KH*p.KW+p.N*p.OutH()*p.OutW()+p.K+4)
		for _, fk := range sets {
			got := newGuarded(p.WLen())
			fillSentinel(got.data())
			channelBackwardFilter(p, x, dy, got.data(), fk)
			got.check(t, fk.name)
			if err := closeTo(got.data(), want, tol); err != nil {
				t.Fatalf("%s %+v: %v", fk.name, p, err)
			}
		}
	}
}

// TestUseLaneFilter pins which shapes take channelBackwardFilter: output
// channels per group filling at least ¾ of their vectors.
func TestUseLaneFilter(t *testing.T) {
	for _, c := range []struct {
		k, groups int
		want      bool
	}{{16, 1, true}, {12, 1, true}, {11, 1, false}, {8, 1, false}, {32, 1, true}, {50, 1, true}, {36, 1, true}, {35, 1, false}, {64, 4, true}, {64, 8, false}} {
		p := ConvParams{K: c.k, Groups: c.groups}
		if got := p.useLaneFilter(); got != c.want {
			t.Errorf("K=%d groups=%d: useLaneFilter = %v, want %v", c.k, c.groups, got, c.want)
		}
	}
}

// BenchmarkBackwardFilter compares the two filter gradients on the
// ResNet-20 shapes: output channels in the lanes (channelBackwardFilter)
// and pixels in the lanes (shiftBackwardFilter).
func BenchmarkBackwardFilter(b *testing.B) {
	for _, p := range resnet20Convs(32) {
		name := fmt.Sprintf("C%dH%dK%dS%dk%d", p.C, p.H, p.K, p.StrideH, p.KH)
		r := newRand(1)
		x, dy, dw := randSlice(r, p.XLen()), randSlice(r, p.YLen()), make([]float32, p.WLen())
		if fk := filterKernelsFor(); fk != nil {
			b.Run("lanes/"+name, func(b *testing.B) {
				benchFlops(b, p.flops(), "GFLOP/s", func() { channelBackwardFilter(p, x, dy, dw, fk) })
			})
		}
		b.Run("pixels/"+name, func(b *testing.B) {
			benchFlops(b, p.flops(), "GFLOP/s", func() { shiftBackwardFilter(p, xSource(p, x), dy, dw) })
		})
	}
}

// TestConv2DBackwardFilterFrom: the filter gradient with x given image by
// image is the one from the whole x, bit for bit, on every path.
func TestConv2DBackwardFilterFrom(t *testing.T) {
	for i, p := range append(convSweep(), resnet20Convs(3)...) {
		r := newRand(uint64(400 + i))
		x, dy := randSlice(r, p.XLen()), randSlice(r, p.YLen())
		want, got := make([]float32, p.WLen()), make([]float32, p.WLen())
		Conv2DBackwardFilter(p, x, dy, want)
		chw := p.C * p.H * p.W
		Conv2DBackwardFilterFrom(p, func(n int, dst []float32) { copy(dst[:chw], x[n*chw:]) }, dy, got)
		if !slices.Equal(got, want) {
			t.Fatalf("%+v: the gradient from images differs from the one from x", p)
		}
	}
}

// TestFilterWaves: summing the chunks' partial gradients in waves gives,
// bit for bit, what one partial per chunk gives (the same adds in the same
// order), with a last wave shorter than the others, for a layer and its
// strided 1×1 shortcut taken image by image; and both match the reference.
func TestFilterWaves(t *testing.T) {
	fk := filterKernelsFor()
	if fk == nil {
		fk = &goFilterKernels
	}
	for i, p := range []ConvParams{
		{N: 24, C: 16, H: 32, W: 32, K: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1},
		{N: 40, C: 16, H: 32, W: 32, K: 32, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, Groups: 1},
	} {
		r := newRand(uint64(500 + i))
		x, dy := randSlice(r, p.XLen()), randSlice(r, p.YLen())
		ref := make([]float32, p.WLen())
		Conv2DBackwardFilterRef(p, x, dy, ref)
		q, strided := p.strided1x1()
		if !strided {
			q = p
		}
		var got [2][]float32
		for j, wave := range []int{1 << 20, 3} {
			defer func(w int) { filterWave = w }(filterWave)
			filterWave = wave
			got[j] = make([]float32, p.WLen())
			chw := p.C * p.H * p.W
			src := imageSource{scratch: chw, at: func(n, g int, s []float32) []float32 { copy(s, x[n*chw:(n+1)*chw]); return s }}
			if strided {
				sub := p.C * q.H * q.W
				src = imageSource{scratch: sub, at: func(n, g int, s []float32) []float32 {
					p.subsample(s, x[n*chw:], p.C)
					return s
				}}
			}
			laneBackwardFilter(q, src, dy, got[j], fk)
		}
		if !slices.Equal(got[0], got[1]) {
			t.Fatalf("%+v: the gradient summed in waves of 3 chunks differs from one wave", p)
		}
		if err := closeTo(got[1], ref, 3e-6*float64(p.C*p.KH*p.KW+p.N*p.OutH()*p.OutW())); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		for _, from := range []bool{false, true} {
			if filterKernelsFor() == nil {
				break // the entry points take the pixel-lane gradient
			}
			dw := make([]float32, p.WLen())
			if from {
				chw := p.C * p.H * p.W
				Conv2DBackwardFilterFrom(p, func(n int, dst []float32) { copy(dst[:chw], x[n*chw:]) }, dy, dw)
			} else {
				Conv2DBackwardFilter(p, x, dy, dw)
			}
			if !slices.Equal(dw, got[1]) {
				t.Fatalf("%+v (from images %v): the entry point differs from the lane gradient", p, from)
			}
		}
	}
}

// TestShiftFilterBlocks: the pixel-lane filter gradient laid out one
// L2-sized block of images at a time gives, bit for bit, what laying out
// the whole batch at once gives (each tile sums the blocks in the same
// order), for a layer with too few output channels for the lanes and for
// a strided 1×1 shortcut, from x and image by image; both match the
// reference.
func TestShiftFilterBlocks(t *testing.T) {
	for i, p := range []ConvParams{
		{N: 40, C: 8, H: 32, W: 32, K: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1},
		{N: 40, C: 8, H: 32, W: 32, K: 8, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, Groups: 1},
	} {
		r := newRand(uint64(600 + i))
		x, dy := randSlice(r, p.XLen()), randSlice(r, p.YLen())
		ref := make([]float32, p.WLen())
		Conv2DBackwardFilterRef(p, x, dy, ref)
		var got [3][]float32
		for j, blocks := range []int{1 << 20, 1, 1} {
			defer func(b int) { shiftFilterBlocks = b }(shiftFilterBlocks)
			shiftFilterBlocks = blocks
			got[j] = make([]float32, p.WLen())
			if j < 2 {
				Conv2DBackwardFilter(p, x, dy, got[j])
			} else {
				chw := p.C * p.H * p.W
				Conv2DBackwardFilterFrom(p, func(n int, dst []float32) { copy(dst[:chw], x[n*chw:]) }, dy, got[j])
			}
		}
		if !slices.Equal(got[0], got[1]) || !slices.Equal(got[0], got[2]) {
			t.Fatalf("%+v: the gradient laid out block by block differs from the whole batch's", p)
		}
		if err := closeTo(got[0], ref, 3e-6*float64(p.C*p.KH*p.KW+p.N*p.OutH()*p.OutW())); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
	}
}
