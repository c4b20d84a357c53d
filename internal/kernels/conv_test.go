package kernels

import (
	"fmt"
	"math"
	"runtime"
	"testing"
)

// convSweep is a sweep of convolution shapes: odd sizes, strides, dilations,
// asymmetric pads, groups (including depthwise and channel multipliers),
// 1×1 and a kernel as large as the padded input.
func convSweep() []ConvParams {
	base := []ConvParams{
		{N: 1, C: 1, H: 1, W: 1, K: 1, KH: 1, KW: 1},
		{N: 2, C: 3, H: 5, W: 7, K: 4, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 4, H: 9, W: 6, K: 6, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadTop: 2, PadRight: 1},
		{N: 3, C: 6, H: 7, W: 7, K: 9, KH: 3, KW: 3, Groups: 3, DilationH: 2, DilationW: 2, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2},
		{N: 2, C: 5, H: 6, W: 6, K: 5, KH: 3, KW: 3, Groups: 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 2, C: 4, H: 5, W: 5, K: 8, KH: 3, KW: 3, Groups: 4, StrideH: 2, StrideW: 2},
		{N: 2, C: 16, H: 8, W: 8, K: 33, KH: 1, KW: 1},
		{N: 1, C: 8, H: 9, W: 9, K: 16, KH: 1, KW: 1, StrideH: 2, StrideW: 2},
		{N: 2, C: 6, H: 7, W: 10, K: 4, KH: 1, KW: 1, StrideH: 2, StrideW: 3, Groups: 2},
		{N: 1, C: 3, H: 4, W: 5, K: 2, KH: 6, KW: 5, PadTop: 1, PadBottom: 1},
		{N: 0, C: 3, H: 4, W: 4, K: 2, KH: 3, KW: 3},
		{N: 2, C: 16, H: 17, W: 13, K: 50, KH: 3, KW: 3, PadTop: 1, PadLeft: 0, PadBottom: 2, PadRight: 1},
		{N: 3, C: 32, H: 8, W: 8, K: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 2, C: 40, H: 6, W: 5, K: 12, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 2, H: 4, W: 4, K: 3, KH: 3, KW: 3, PadTop: 3, PadLeft: 0, PadBottom: 1, PadRight: 2},
		{N: 1, C: 2, H: 5, W: 70, K: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadLeft: 1, PadRight: 2},
		{N: 2, C: 3, H: 33, W: 31, K: 10, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadTop: 3, PadLeft: 3, PadBottom: 3, PadRight: 3},
		// Unequal strides: one column phase under several row phases, and back.
		{N: 3, C: 6, H: 9, W: 7, K: 10, KH: 3, KW: 3, StrideH: 2, StrideW: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 2, C: 4, H: 7, W: 9, K: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 2, PadTop: 1, PadLeft: 1},
		{N: 1, C: 3, H: 10, W: 6, K: 4, KH: 2, KW: 3, StrideH: 3, StrideW: 1, PadTop: 2, PadRight: 1},
		// Padded rows of 16 or 32 columns: the sign-class kernel's shifted,
		// aligned copies (3×3; stride 2; dilation 2; 7×7 stride 2).
		{N: 2, C: 5, H: 6, W: 14, K: 7, KH: 3, KW: 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 3, H: 9, W: 30, K: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1},
		{N: 1, C: 4, H: 5, W: 28, K: 5, KH: 3, KW: 3, DilationH: 2, DilationW: 2, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2},
		{N: 2, C: 3, H: 12, W: 26, K: 9, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadTop: 3, PadLeft: 3, PadBottom: 3, PadRight: 3},
	}
	for i := range base {
		p := &base[i]
		p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
		p.DilationH, p.DilationW = max(p.DilationH, 1), max(p.DilationW, 1)
		p.Groups = max(p.Groups, 1)
	}
	return base
}

func TestConvSweep(t *testing.T) {
	for i, p := range convSweep() {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			checkConv(t, p, uint64(i))
		})
	}
}

func checkConv(t *testing.T, p ConvParams, seed uint64) {
	t.Helper()
	r := newRand(seed)
	x, w, bias, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.K), randSlice(r, p.YLen())
	tol := 3e-6 * float64(p.C/p.Groups*p.KH*p.KW+p.N*p.OutH()*p.OutW()+p.K+4)

	for _, b := range [][]float32{bias, nil} {
		y, want := newGuarded(p.YLen()), make([]float32, p.YLen())
		Conv2D(p, x, w, b, y.data())
		Conv2DRef(p, x, w, b, want)
		y.check(t, "Conv2D")
		if err := closeTo(y.data(), want, tol); err != nil {
			t.Fatalf("Conv2D %+v: %v", p, err)
		}
	}
	dx, wantDx := newGuarded(p.XLen()), make([]float32, p.XLen())
	fillSentinel(dx.data())
	Conv2DBackwardData(p, dy, w, dx.data())
	Conv2DBackwardDataRef(p, dy, w, wantDx)
	dx.check(t, "Conv2DBackwardData")
	if err := closeTo(dx.data(), wantDx, tol); err != nil {
		t.Fatalf("Conv2DBackwardData %+v: %v", p, err)
	}
	dw, wantDw := newGuarded(p.WLen()), make([]float32, p.WLen())
	fillSentinel(dw.data())
	Conv2DBackwardFilter(p, x, dy, dw.data())
	Conv2DBackwardFilterRef(p, x, dy, wantDw)
	dw.check(t, "Conv2DBackwardFilter")
	if err := closeTo(dw.data(), wantDw, tol); err != nil {
		t.Fatalf("Conv2DBackwardFilter %+v: %v", p, err)
	}
}

func fillSentinel(s []float32) {
	for i := range s {
		s[i] = sentinel
	}
}

// TestConvRefAdjoint checks the three references against one another:
// <conv(x, w), dy> = <x, backData(dy, w)> = <w, backFilter(x, dy)>.
func TestConvRefAdjoint(t *testing.T) {
	for i, p := range convSweep() {
		r := newRand(uint64(50 + i))
		x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
		y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
		Conv2DRef(p, x, w, nil, y)
		Conv2DBackwardDataRef(p, dy, w, dx)
		Conv2DBackwardFilterRef(p, x, dy, dw)
		a, b, c := dot64(y, dy), dot64(x, dx), dot64(w, dw)
		scale := 1e-5 * (1 + math.Abs(a)) * float64(1+p.YLen())
		if math.Abs(a-b) > scale || math.Abs(a-c) > scale {
			t.Fatalf("%+v: <y,dy>=%g <x,dx>=%g <w,dw>=%g", p, a, b, c)
		}
	}
}

func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestConvValidate(t *testing.T) {
	good := ConvParams{N: 1, C: 4, H: 5, W: 5, K: 2, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 2}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*ConvParams){
		func(p *ConvParams) { p.StrideH = 0 },
		func(p *ConvParams) { p.Groups = 3 },
		func(p *ConvParams) { p.KH = 7 },
		func(p *ConvParams) { p.PadLeft = -1 },
		func(p *ConvParams) { p.N = -1 },
		func(p *ConvParams) { p.DilationW = 3 },
	}
	for i, f := range bad {
		p := good
		f(&p)
		if p.Validate() == nil {
			t.Errorf("case %d: %+v validated", i, p)
		}
	}
}

// TestConvDeterministic checks bit-identical results of every convolution
// kernel at GOMAXPROCS 1, 2 and 4.
func TestConvDeterministic(t *testing.T) {
	params := []ConvParams{
		{N: 5, C: 16, H: 16, W: 16, K: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1},
		{N: 3, C: 12, H: 15, W: 17, K: 18, KH: 3, KW: 3, StrideH: 2, StrideW: 2,
			PadTop: 1, PadLeft: 0, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 3},
		// One image: the output channels are split across goroutines.
		{N: 1, C: 32, H: 24, W: 24, K: 50, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1},
	}
	for pi, p := range params {
		r := newRand(uint64(9 + pi))
		x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
		scale := randSlice(r, p.K)
		wb := randBits(r, p.K, p.C/p.Groups*p.KH*p.KW)
		sameAtAnyProcs(t, fmt.Sprint("params ", pi), func() [][]float32 {
			out := [][]float32{make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen()),
				make([]float32, p.YLen()), make([]float32, p.YLen()), make([]float32, p.YLen())}
			Conv2D(p, x, w, nil, out[0])
			Conv2DBackwardData(p, dy, w, out[1])
			Conv2DBackwardFilter(p, x, dy, out[2])
			BinaryConv2D(p, x, wb, scale, nil, out[3])
			BinaryConv2DInt8(p, x, wb, scale, nil, out[4])
			BinaryConv2DClasses(p, x, NewSignClasses(p, wb), scale, nil, out[5], Epilogue{})
			return out
		})
	}
}

// sameAtAnyProcs runs f at GOMAXPROCS 1, 2 and 4 and fails unless every
// run returns the same bits.
func sameAtAnyProcs(t *testing.T, name string, f func() [][]float32) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first [][]float32
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		out := f()
		if first == nil {
			first = out
			continue
		}
		for o := range out {
			for i := range out[o] {
				if math.Float32bits(out[o][i]) != math.Float32bits(first[o][i]) {
					t.Fatalf("%s: output %d differs at GOMAXPROCS=%d, element %d", name, o, procs, i)
				}
			}
		}
	}
}

// resnet20Convs are the convolutions of ResNet-20 at the given batch: a 3×3
// of each stage (stride-2 entries are the stage transitions) and the 1×1
// stride-2 shortcut of the first transition.
func resnet20Convs(batch int) []ConvParams {
	mk := func(c, hw, k, s int) ConvParams {
		return ConvParams{N: batch, C: c, H: hw, W: hw, K: k, KH: 3, KW: 3, StrideH: s, StrideW: s,
			PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1}
	}
	shortcut := ConvParams{N: batch, C: 16, H: 32, W: 32, K: 32, KH: 1, KW: 1, StrideH: 2, StrideW: 2,
		DilationH: 1, DilationW: 1, Groups: 1}
	return []ConvParams{mk(3, 32, 16, 1), mk(16, 32, 16, 1), mk(16, 32, 32, 2), mk(32, 16, 32, 1), mk(64, 8, 64, 1), shortcut}
}

func BenchmarkConv(b *testing.B) {
	for _, p := range resnet20Convs(32) {
		name := fmt.Sprintf("C%dH%dK%dS%dk%d", p.C, p.H, p.K, p.StrideH, p.KH)
		r := newRand(1)
		x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
		y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
		run := func(what string, f func()) {
			b.Run(what+"/"+name, func(b *testing.B) {
				benchFlops(b, p.flops(), "GFLOP/s", f)
			})
		}
		run("fwd", func() { Conv2D(p, x, w, nil, y) })
		run("bwdData", func() { Conv2DBackwardData(p, dy, w, dx) })
		run("bwdFilter", func() { Conv2DBackwardFilter(p, x, dy, dw) })
	}
}

// TestDotKernels holds each assembly dot-product tile to its Go twin.
func TestDotKernels(t *testing.T) {
	r := newRand(12)
	for _, dk := range asmDotKernels() {
		for _, steps := range []int{0, 1, 3, 40} {
			for _, nimg := range []int{1, 3} {
				n := steps * dk.lanes
				lda := n + 5
				astride, bstride := dk.mr*lda+7, n+61
				a := randSlice(r, nimg*astride)
				b := randSlice(r, nimg*bstride)
				offs := make([]int, dk.nq)
				for i := range offs {
					offs[i] = r.IntN(50)
				}
				got := randSlice(r, dk.mr*dk.nq*dk.lanes)
				want := append([]float32(nil), got...)
				dk.fn(steps, nimg, a, lda, astride, b, bstride, offs, got)
				dotNTGo(dk.mr, dk.nq, dk.lanes, steps, nimg, a, lda, astride, b, bstride, offs, want)
				if err := closeTo(got, want, 1e-6*float64(nimg*steps+2)); err != nil {
					t.Fatalf("%s steps=%d nimg=%d: %v", dk.name, steps, nimg, err)
				}
			}
		}
	}
}

// TestDeinterleave2 holds the vector body of deinterleave2 to its loop.
func TestDeinterleave2(t *testing.T) {
	r := newRand(13)
	for n := range 100 {
		src := randSlice(r, n)
		even, odd := make([]float32, (n+1)/2+1), make([]float32, n/2+1)
		deinterleave2(src, even, odd)
		for i, v := range src {
			got := odd[i/2]
			if i%2 == 0 {
				got = even[i/2]
			}
			if got != v {
				t.Fatalf("n=%d: element %d = %v, want %v", n, i, got, v)
			}
		}
		if even[(n+1)/2] != 0 || odd[n/2] != 0 {
			t.Fatalf("n=%d: wrote past the end", n)
		}
	}
}

// TestRowHelpers holds the vector bodies of copyRows and addConstRows to
// their loops, with sentinels after each row and gaps of every width the
// vector bodies take.
func TestRowHelpers(t *testing.T) {
	r := newRand(14)
	for n := range 70 {
		rows, ss, ds := 3, n+2, n+n%17 // gaps of 0 to 16
		src := randSlice(r, rows*ss)
		dst := make([]float32, rows*ds)
		fillSentinel(dst)
		copyRows(dst, ds, src, ss, rows, n, ds-n)
		for i := range rows {
			for j := range ds {
				want := sentinel
				if j < n {
					want = src[i*ss+j]
				} else if i < rows-1 {
					want = 0 // the gap between rows
				}
				if dst[i*ds+j] != want {
					t.Fatalf("copyRows n=%d: row %d [%d] = %v, want %v", n, i, j, dst[i*ds+j], want)
				}
			}
		}
		out := make([]float32, rows*ds)
		fillSentinel(out)
		addConstRows(out, ds, src, ss, rows, n, 0.25)
		for i := range rows {
			for j := range ds {
				want := sentinel
				if j < n {
					want = src[i*ss+j] + 0.25
				}
				if out[i*ds+j] != want {
					t.Fatalf("addConstRows n=%d: row %d [%d] = %v, want %v", n, i, j, out[i*ds+j], want)
				}
			}
		}
	}
}
