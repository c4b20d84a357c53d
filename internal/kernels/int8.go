package kernels

import (
	"encoding/binary"
	"math"
	mbits "math/bits"
	"slices"
	"unsafe"

	"github.com/bincompress/bincompress/internal/bits"
)

// BinaryConv2DInt8 is BinaryConv2D with the activations quantized to int8
// at run time, per tensor: actScale = max|x|/127, q = round-to-even(x/actScale)
// clamped to ±127 (see quantize), and
//
//	y[n,k,·] = (scale[k]·actScale)·Σ(±1)·q + bias[k]
//
// with the sum exact in int32. On amd64 the products run on AVX-512 VNNI
// (VPDPBUSD) or AVX2 (VPMADDUBSW/VPMADDWD). BinaryConv2DInt8Ref defines it;
// the fast path matches it bit for bit. A NaN or an infinity in x has no
// int8 value: then it returns false and leaves y alone (callers fall back
// to BinaryConv2D); otherwise true.
func BinaryConv2DInt8(p ConvParams, x []float32, wbits []uint64, scale, bias, y []float32) bool {
	return BinaryConv2DInt8Epilogue(p, x, wbits, scale, bias, y, Epilogue{})
}

// BinaryConv2DInt8Epilogue is BinaryConv2DInt8 followed by ep on y.
func BinaryConv2DInt8Epilogue(p ConvParams, x []float32, wbits []uint64, scale, bias, y []float32, ep Epilogue) bool {
	taps := p.C / max(p.Groups, 1) * p.KH * p.KW
	p.mustCheck("BinaryConv2DInt8", namedLen{"wbits", len(wbits), p.K * bits.WordsPerRow(taps)})
	a := u32Pool.get(int8PanelLen(p)) // a single call packs into scratch
	rowsum := i32Pool.get(p.K)
	defer u32Pool.Put(a)
	defer i32Pool.Put(rowsum)
	return BinaryConv2DInt8Packed(p, x, packInt8(p, wbits, *a, *rowsum), scale, bias, y, ep)
}

// Int8Weights are a binary convolution's signs laid out for the int8
// kernel: a byte ±1 per tap in the kernel's row panels. A model run batch
// after batch packs them once (PackInt8Weights) instead of on every call.
type Int8Weights struct {
	shape  int8Shape
	a      []uint32 // per group, mrows×steps words
	rowsum []int32  // per output channel, Σ±1
}

// int8Shape is what the packed layout depends on.
type int8Shape struct{ k, cg, kh, kw, groups, mr int }

func int8ShapeOf(p ConvParams, kern *int8Kernel) int8Shape {
	return int8Shape{p.K, p.C / p.Groups, p.KH, p.KW, p.Groups, kern.mr}
}

// PackInt8Weights lays out the packed signs wbits of the convolution p (its
// N, H, W, strides and pads do not matter) for BinaryConv2DInt8Packed.
func PackInt8Weights(p ConvParams, wbits []uint64) *Int8Weights {
	taps := p.C / max(p.Groups, 1) * p.KH * p.KW
	p.mustCheck("PackInt8Weights", namedLen{"wbits", len(wbits), p.K * bits.WordsPerRow(taps)})
	return packInt8(p, wbits, make([]uint32, int8PanelLen(p)), make([]int32, p.K))
}

// int8PanelLen is the length of the packed weight panels of p.
func int8PanelLen(p ConvParams) int {
	mr := int8KernelFor().mr
	mrows := (p.K/p.Groups + mr - 1) / mr * mr
	return p.Groups * mrows * p.steps()
}

// packInt8 packs wbits into a (int8PanelLen(p) words) and rowsum (K).
func packInt8(p ConvParams, wbits []uint64, a []uint32, rowsum []int32) *Int8Weights {
	kern := int8KernelFor()
	offs := getIntBuf(p.steps())
	defer intPool.Put(offs)
	geo := newInt8Geom(p, kern, *offs)
	w := &Int8Weights{shape: int8ShapeOf(p, kern), a: a, rowsum: rowsum}
	geo.packWeights(w.a, w.rowsum, wbits)
	return w
}

// BinaryConv2DInt8Packed is BinaryConv2DInt8Epilogue with the weights
// packed by PackInt8Weights for a convolution of the same shape.
func BinaryConv2DInt8Packed(p ConvParams, x []float32, w *Int8Weights, scale, bias, y []float32, ep Epilogue) bool {
	p.mustCheck("BinaryConv2DInt8", namedLen{"x", len(x), p.XLen()}, namedLen{"y", len(y), p.YLen()},
		namedLen{"scale", len(scale), p.K})
	if bias != nil && len(bias) < p.K {
		panic("kernels: BinaryConv2DInt8: bias shorter than K")
	}
	kern := int8KernelFor()
	if w.shape != int8ShapeOf(p, kern) {
		panic("kernels: BinaryConv2DInt8: weights packed for another convolution shape")
	}
	ep.check("BinaryConv2DInt8", p.YLen(), -1)
	if p.N == 0 {
		return true
	}
	actScale, inv, finite := quantScale(x[:p.XLen()])
	if !finite {
		return false
	}
	offs := getIntBuf(p.steps())
	defer intPool.Put(offs)
	geo := newInt8Geom(p, kern, *offs)
	hw, ohw := p.H*p.W, geo.oh*geo.ow
	forTasks(p.N*p.Groups, p.flops(), func(t, workers int) {
		n, g := t/p.Groups, t%p.Groups
		mult := func(k int) (float32, float32, int32) {
			var b float32
			if bias != nil {
				b = bias[g*geo.kg+k]
			}
			return scale[g*geo.kg+k] * actScale, b, 128 * w.rowsum[g*geo.kg+k]
		}
		yoff := (n*p.K + g*geo.kg) * ohw
		geo.run(w.a[g*geo.mrows*geo.steps:], x[(n*p.C+g*geo.cg)*hw:], inv, mult, y, yoff, ep, workers)
	})
	return true
}

// quantScale is the per-tensor activation scale max|x|/127 and its inverse
// (1 and 1 when x is all zeros), and whether x is finite.
func quantScale(x []float32) (scale, inv float32, finite bool) {
	bits := maxAbsBitsParallel(x)
	m := math.Float32frombits(bits)
	if bits == 0 {
		return 1, 1, true
	}
	return m / 127, 127 / m, bits < notFinite
}

// maxAbsBitsParallel is maxAbsBits split across goroutines for tensors
// large enough to pay for them (a max does not depend on the split).
func maxAbsBitsParallel(x []float32) uint32 {
	const grain = 1 << 18
	workers := max(1, min(gomaxprocs(), len(x)/grain))
	part := make([]uint32, workers)
	splitRange(workers, workers, func(w, _ int) {
		part[w] = maxAbsBits(x[len(x)*w/workers : len(x)*(w+1)/workers])
	})
	return slices.Max(part)
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// quantize is the int8 value of v: v·inv rounded to nearest even (as
// VCVTPS2DQ does), clamped to ±127.
func quantize(v, inv float32) int32 {
	r := math.RoundToEven(float64(v * inv))
	return int32(max(-127, min(127, r)))
}

// dequant is the float output m·v + b of an integer sum v, rounded after
// the product (the conversion forbids fusing it into an FMA, as the
// assembly does not fuse either).
func dequant(m, v, b float32) float32 { return float32(m*v) + b }

// steps is the number of 4-channel reduction steps: ⌈C/G/4⌉·KH·KW.
func (p ConvParams) steps() int { return (p.C/p.Groups + 3) / 4 * p.KH * p.KW }

// int8Geom lays out one convolution for the int8 kernel, the indirect
// scheme of conv_shift.go on uint32 words of 4 channels (q+128 each, so
// padding is 128, the zero point): the padded image split into its stride
// phases is [phase][⌈Cg/4⌉][Hq][Wq] words, and reduction step (c4, i, j)
// covers channels 4c4..4c4+3 of tap (i, j) through one offset.
type int8Geom struct {
	p              ConvParams
	cg, kg, c4     int
	steps          int
	hp, wp, hq, wq int
	phases         int
	oh, ow         int
	ncols, mrows   int // kernel output, rounded up to whole tiles
	imgLen, bLen   int // words of the phase images, and with the slack the kernel reads
	offs           []int
	kern           *int8Kernel
}

func newInt8Geom(p ConvParams, kern *int8Kernel, offs []int) int8Geom {
	g := int8Geom{p: p}
	g.cg, g.kg = p.C/p.Groups, p.K/p.Groups
	g.c4 = (g.cg + 3) / 4
	g.steps = p.steps()
	g.hp, g.wp = p.H+p.PadTop+p.PadBottom, p.W+p.PadLeft+p.PadRight
	g.hq, g.wq = (g.hp+p.StrideH-1)/p.StrideH, (g.wp+p.StrideW-1)/p.StrideW
	g.phases = p.StrideH * p.StrideW
	g.oh, g.ow = p.OutH(), p.OutW()
	kern = kern.forColumns(g.oh * g.wq)
	g.kern = kern
	g.imgLen = g.phases * g.c4 * g.hq * g.wq
	g.mrows = (g.kg + kern.mr - 1) / kern.mr * kern.mr
	g.ncols = (g.oh*g.wq + kern.nr - 1) / kern.nr * kern.nr
	g.bLen = g.imgLen + (p.KW-1)*p.DilationW/p.StrideW + g.ncols - g.oh*g.wq + kern.nr
	g.offs = offs[:g.steps]
	for s := range g.offs {
		j := s % p.KW * p.DilationW
		i := s / p.KW % p.KH * p.DilationH
		c4 := s / (p.KW * p.KH)
		phase := i%p.StrideH*p.StrideW + j%p.StrideW
		g.offs[s] = ((phase*g.c4+c4)*g.hq+i/p.StrideH)*g.wq + j/p.StrideW
	}
	checkWindows("int8", g.offs, g.ncols, g.bLen)
	return g
}

// signBytes[v] holds the 8 sign bytes of the bits of v, LSB first: 0x01
// (+1) for a 1 bit, 0xFF (−1) for a 0 bit.
var signBytes = func() (t [256]uint64) {
	for v := range t {
		for i := range 8 {
			b := uint64(0xFF)
			if v>>i&1 != 0 {
				b = 0x01
			}
			t[v] |= b << (8 * i)
		}
	}
	return t
}()

// packWeights writes each group's weights as mr-row panels of 4-byte steps
// (bytes +1, −1, or 0 past the group's channels) and each output channel's
// Σ±1 into rowsum. Each row's bits are first expanded to sign bytes in tap
// order, from which each step gathers its 4 channels.
func (g int8Geom) packWeights(dst []uint32, rowsum []int32, wbits []uint64) {
	p, mr := g.p, g.kern.mr
	taps := g.cg * p.KH * p.KW
	wpr := bits.WordsPerRow(taps)
	// tap[s·4+b] is the tap of channel 4c4+b of step s = (c4, i, j); taps
	// past the group's channels point at a 0 byte after the row.
	tapBuf := getIntBuf(4 * g.steps)
	rowBuf := u32Pool.get(wpr*16 + 1) // wpr·64 sign bytes and the zero byte
	defer intPool.Put(tapBuf)
	defer u32Pool.Put(rowBuf)
	tap := *tapBuf
	for s := range g.steps {
		j, i, c4 := s%p.KW, s/p.KW%p.KH, s/(p.KW*p.KH)
		for b := range 4 {
			tap[4*s+b] = wpr * 64 // the zero byte
			if c := 4*c4 + b; c < g.cg {
				tap[4*s+b] = (c*p.KH+i)*p.KW + j
			}
		}
	}
	signs := unsafe.Slice((*byte)(unsafe.Pointer(&(*rowBuf)[0])), 4*len(*rowBuf))
	signs[wpr*64] = 0
	for gi := range p.Groups {
		for k := range g.mrows {
			panel := dst[(gi*g.mrows+k/mr*mr)*g.steps:]
			if k >= g.kg {
				for s := range g.steps {
					panel[s*mr+k%mr] = 0
				}
				continue
			}
			row := wbits[(gi*g.kg+k)*wpr : (gi*g.kg+k+1)*wpr]
			ones := 0
			for wi, word := range row {
				if wi == wpr-1 {
					word &= bits.PaddingMask(taps)
				}
				ones += mbits.OnesCount64(word)
				for q := range 8 {
					binary.LittleEndian.PutUint64(signs[wi*64+8*q:], signBytes[byte(word>>(8*q))])
				}
			}
			rowsum[gi*g.kg+k] = int32(2*ones - taps)
			for s := range g.steps {
				t := tap[4*s : 4*s+4]
				panel[s*mr+k%mr] = uint32(signs[t[0]]) | uint32(signs[t[1]])<<8 | uint32(signs[t[2]])<<16 | uint32(signs[t[3]])<<24
			}
		}
	}
}

// quantImage writes the group's channels of one image, quantized, offset
// by 128, padded with 128 and split into stride phases, into img.
func (g int8Geom) quantImage(img []uint32, x []float32, inv float32) {
	p := g.p
	for i := range img {
		img[i] = 0x80808080
	}
	zeros := getBuf(p.W)
	row := u32Pool.get(p.W)
	defer bufPool.Put(zeros)
	defer u32Pool.Put(row)
	clear(*zeros)
	var rows [4][]float32
	for c4 := range g.c4 {
		for h := range p.H {
			for b := range rows {
				rows[b] = *zeros
				if c := 4*c4 + b; c < g.cg {
					rows[b] = x[(c*p.H+h)*p.W : (c*p.H+h+1)*p.W]
				}
			}
			y := h + p.PadTop
			if g.phases == 1 {
				dst := img[(c4*g.hq+y)*g.wq+p.PadLeft:][:p.W]
				quantRows4(rows[0], rows[1], rows[2], rows[3], inv, dst)
				continue
			}
			quantRows4(rows[0], rows[1], rows[2], rows[3], inv, *row)
			rowAt := func(b, w0 int) []uint32 { // phase b's row, from input column w0
				phase := y%p.StrideH*p.StrideW + b
				return img[((phase*g.c4+c4)*g.hq+y/p.StrideH)*g.wq+(w0+p.PadLeft)/p.StrideW:]
			}
			if p.StrideW == 2 {
				be := p.PadLeft % 2 // the phase of the even input columns
				even, odd := rowAt(be, 0), rowAt(1-be, 1)
				deinterleave2(wordsAsFloats(*row), wordsAsFloats(even[:(p.W+1)/2]), wordsAsFloats(odd[:p.W/2]))
				continue
			}
			for b := range p.StrideW {
				w0 := ((b-p.PadLeft)%p.StrideW + p.StrideW) % p.StrideW
				phase := y%p.StrideH*p.StrideW + b
				dst := img[((phase*g.c4+c4)*g.hq+y/p.StrideH)*g.wq+(w0+p.PadLeft)/p.StrideW:]
				for q, w := 0, w0; w < p.W; q, w = q+1, w+p.StrideW {
					dst[q] = (*row)[w]
				}
			}
		}
	}
}

// run computes one image and group: y[yoff:] [Kg, OH·OW] from x (the
// group's first input channel), then ep; mult(k) gives channel k's
// multiplier, bias and zero-point correction. With workers > 1 the output channels are split
// across goroutines by whole row panels.
func (g int8Geom) run(a []uint32, x []float32, inv float32, mult func(k int) (float32, float32, int32), y []float32, yoff int, ep Epilogue, workers int) {
	b := u32Pool.get(g.bLen)
	out := i32Pool.get(g.mrows * g.ncols)
	defer u32Pool.Put(b)
	defer i32Pool.Put(out)
	g.quantImage((*b)[:g.imgLen], x, inv)
	clear((*b)[g.imgLen:])
	splitRange(g.mrows/g.kern.mr, workers, func(p0, p1 int) {
		g.runRows(a, *b, *out, p0, p1, mult, y, yoff, ep)
	})
}

// runRows computes the row panels [p0, p1) of run.
func (g int8Geom) runRows(a, b []uint32, out []int32, p0, p1 int, mult func(k int) (float32, float32, int32), y []float32, yoff int, ep Epilogue) {
	mr, nr := g.kern.mr, g.kern.nr
	for jr := 0; jr < g.ncols; jr += nr {
		for ir := p0 * mr; ir < p1*mr; ir += mr {
			g.kern.fn(g.steps, a[ir*g.steps:], b[jr:], g.offs, out[ir*g.ncols+jr:], g.ncols, false)
		}
	}
	for k := p0 * mr; k < min(g.kg, p1*mr); k++ {
		m, bias, corr := mult(k)
		src := out[k*g.ncols:]
		for oh := range g.oh {
			off := yoff + (k*g.oh+oh)*g.ow
			dequantRow(src[oh*g.wq:], corr, m, bias, y[off:off+g.ow])
			if !ep.none() {
				ep.apply(y[off:off+g.ow], off)
			}
		}
	}
}

// wordsAsFloats views words as float32s, for the helpers that only move
// 32-bit lanes (no arithmetic, so every bit pattern survives).
func wordsAsFloats(w []uint32) []float32 {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&w[0])), len(w))
}
