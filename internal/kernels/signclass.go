package kernels

//go:generate go run ./internal/classgen

import (
	"sync"

	"github.com/bincompress/bincompress/internal/bits"
)

// Sign classes: a binary convolution with float activations in about a
// quarter of the additions of a float one.
//
// Take four output channels with sign rows b0..b3 ∈ {±1}^T over the taps.
// Each tap t has a sign pattern (b0[t], b1[t], b2[t], b3[t]); up to its
// overall sign, that pattern is one of 8 classes P_c = (+1, ±1, ±1, ±1).
// With S_c = Σ_{t in class c} b0[t]·x_t (each tap added or subtracted once),
//
//	Σ_t b_k[t]·x_t = Σ_c P_c[k]·S_c   for k = 0..3,
//
// so the four sums cost T additions plus 8·4 to combine (per output
// position), against 4T multiply-adds: every tap is read once for four
// channels instead of once per channel. It is the idea of the "method of
// Four Russians" for Boolean matrix products (share the partial sums of rows
// with the same bit pattern). A vector FMA and a vector add cost the same,
// so sharing work, not cheaper instructions, is how 1-bit weights cut the
// arithmetic while the activations stay float (docs/BENCHMARKS.md).
//
// The taps of each group of four channels are sorted, per block of classBlock
// taps, into 16 lists (8 classes × the sign b0[t]); the kernel walks the
// lists over the indirect windows of conv_shift.go.

// classRows is the number of output channels one sign class covers.
const classRows = 4

// classLists is the number of tap lists per quad and block: 8 classes, each
// split by the sign b0[t].
const classLists = 16

// SignClasses are a binary convolution's signs sorted into tap lists per
// quad of output channels (see above). A model run many times sorts them
// once (NewSignClasses); the offsets into a geometry's phase images are
// computed on the first run of each input size and kept.
type SignClasses struct {
	shape  classShape
	quads  int     // per group: ⌈K/G/4⌉
	counts []int32 // [group][quad][block][classLists]
	taps   []int32 // [group][quad] all taps, block-major, list-major inside a block

	mu      sync.Mutex
	geoKey  classKey // the layout the offsets were made for
	offsets []int32  // taps mapped through that layout's tap offsets
}

type classShape struct{ k, cg, kh, kw, groups int }

// classKey identifies a layout: the convolution but its batch size.
type classKey struct {
	p      ConvParams
	copies int
}

// NewSignClasses sorts the packed signs wbits of the convolution p (K rows
// of bits.WordsPerRow(C/G·KH·KW) words; N, H, W, strides and pads do not
// matter) into sign-class lists.
func NewSignClasses(p ConvParams, wbits []uint64) *SignClasses {
	cg, kg := p.C/p.Groups, p.K/p.Groups
	taps := cg * p.KH * p.KW
	p.mustCheck("NewSignClasses", namedLen{"wbits", len(wbits), p.K * bits.WordsPerRow(taps)})
	sc := &SignClasses{shape: classShape{p.K, cg, p.KH, p.KW, p.Groups}, quads: (kg + classRows - 1) / classRows}
	blocks := (taps + classBlock - 1) / classBlock
	sc.counts = make([]int32, p.Groups*sc.quads*blocks*classLists)
	sc.taps = make([]int32, p.Groups*sc.quads*taps)
	wpr := bits.WordsPerRow(taps)
	for g := range p.Groups {
		for q := range sc.quads {
			// The sign bit (1 = +1) of row r of the quad at tap t; rows
			// past the group's channels read +1 (their output is dropped).
			bit := func(r, t int) int {
				k := q*classRows + r
				if k >= kg {
					return 1
				}
				return int(wbits[(g*kg+k)*wpr+t/64] >> (t % 64) & 1)
			}
			gq := g*sc.quads + q
			out := sc.taps[gq*taps : (gq+1)*taps]
			for b := range blocks {
				lo, hi := b*classBlock, min(taps, (b+1)*classBlock)
				counts := sc.counts[(gq*blocks+b)*classLists:][:classLists]
				list := make([]int, hi-lo)
				for t := lo; t < hi; t++ {
					b0 := bit(0, t)
					flip := 1 - b0 // normalize so that row 0 reads +1
					class := (bit(1, t) ^ flip) | (bit(2, t)^flip)<<1 | (bit(3, t)^flip)<<2
					list[t-lo] = 2*class + flip // list 2c: b0 = +1, 2c+1: b0 = −1
					counts[list[t-lo]]++
				}
				var start [classLists]int
				for l := 1; l < classLists; l++ {
					start[l] = start[l-1] + int(counts[l-1])
				}
				for t := lo; t < hi; t++ {
					l := list[t-lo]
					out[lo+start[l]] = int32(t)
					start[l]++
				}
			}
		}
	}
	return sc
}

// blocks is the number of classBlock tap blocks.
func (sc *SignClasses) blocks() int {
	return (sc.shape.cg*sc.shape.kh*sc.shape.kw + classBlock - 1) / classBlock
}

// offsetsFor is sc.taps mapped through lay.tapOffs, made once per layout.
func (sc *SignClasses) offsetsFor(lay classLayout) []int32 {
	key := classKey{lay.geo.p, lay.copies}
	key.p.N = 0
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.offsets != nil && sc.geoKey == key {
		return sc.offsets
	}
	offs := make([]int32, len(sc.taps))
	for i, t := range sc.taps {
		offs[i] = int32(lay.tapOffs[t])
	}
	sc.geoKey, sc.offsets = key, offs
	return offs
}

// classSign[c][k] is P_c[k]: +1 (true) or −1 (false).
func classSign(c, k int) bool { return k == 0 || c>>(k-1)&1 != 0 }

// classSumGo is the portable sign-class kernel and the definition of the
// assembly one: for the 16 lists of one quad and block (list 2c holds the
// taps of class c with b0 = +1, list 2c+1 those with b0 = −1, as offsets
// into b), with nr columns,
//
//	y[k] = 0 for k < 4
//	for c < 8:
//		P0..P3 = 0
//		for i, o in list 2c:   P(i mod 4) += b[o : o+nr]
//		for i, o in list 2c+1: P(i mod 4) −= b[o : o+nr]
//		S = (P0 + P1) + (P2 + P3)
//		y[k] = y[k] + S if P_c[k] = +1, else y[k] − S
//	C[k·ldc : k·ldc+nr] = (acc ? C : 0) + y[k]
//
// Four partial sums keep the additions of consecutive taps independent.
func classSumGo(nr int, counts []int32, list []int32, b []float32, c []float32, ldc int, acc bool) {
	var ybuf [classRows * maxNR]float32
	var pbuf [4][maxNR]float32
	y := ybuf[:classRows*nr]
	for class := range 8 {
		pbuf = [4][maxNR]float32{}
		for sign := range 2 {
			n := int(counts[2*class+sign])
			for i, o := range list[:n] {
				pi := pbuf[i%4][:nr]
				src := b[o : int(o)+nr]
				if sign == 0 {
					for j, v := range src {
						pi[j] += v
					}
				} else {
					for j, v := range src {
						pi[j] -= v
					}
				}
			}
			list = list[n:]
		}
		for k := range classRows {
			row := y[k*nr : (k+1)*nr]
			plus := classSign(class, k)
			for j := range row {
				s := (pbuf[0][j] + pbuf[1][j]) + (pbuf[2][j] + pbuf[3][j])
				if plus {
					row[j] += s
				} else {
					row[j] -= s
				}
			}
		}
	}
	for k := range classRows {
		dst := c[k*ldc : k*ldc+nr]
		for j, v := range y[k*nr : (k+1)*nr] {
			if acc {
				v = dst[j] + v
			}
			dst[j] = v
		}
	}
}

// classKernel is a sign-class tile: classRows output rows by nr columns.
type classKernel struct {
	nr   int
	name string
	fn   func(counts []int32, list []int32, b []float32, c []float32, ldc int, acc bool)
	// narrow, when not nil, is a kernel with fewer columns for outputs
	// that would leave much of the last tile empty.
	narrow *classKernel
}

// forColumns is k, or its narrow twin when that computes a tenth fewer
// columns (a wide tile does more work per listed tap).
func (k *classKernel) forColumns(cols int) *classKernel {
	pad := func(nr int) int { return (cols + nr - 1) / nr * nr }
	if k.narrow != nil && 10*pad(k.narrow.nr) < 9*pad(k.nr) {
		return k.narrow
	}
	return k
}

var goClassKernel = classKernel{nr: 16, name: "go-class-4x16",
	fn: func(counts []int32, list []int32, b []float32, c []float32, ldc int, acc bool) {
		classSumGo(16, counts, list, b, c, ldc, acc)
	}}

// classBlock is the taps per block: the B tile a block reads (classBlock
// windows of nr columns) stays in L1 while every quad walks it.
const classBlock = 256
