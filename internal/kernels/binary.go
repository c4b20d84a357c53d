package kernels

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/bits"
)

// BinaryConv2D is Conv2D with binary weights: w[k] = scale[k]·(±1), the
// signs packed per output channel as package internal/bits lays them out
// (K rows of bits.WordsPerRow(C/Groups·KH·KW) words over the (c, i, j)
// flattening). bias may be nil; y is overwritten. The bits are unpacked
// into the GEMM's packed weight panels a cache-sized block at a time,
// never into a whole float weight tensor. BinaryConv2DRef defines it.
func BinaryConv2D(p ConvParams, x []float32, wbits []uint64, scale, bias, y []float32) {
	BinaryConv2DEpilogue(p, x, wbits, scale, bias, y, Epilogue{})
}

// BinaryConv2DEpilogue is BinaryConv2D followed by ep on y.
func BinaryConv2DEpilogue(p ConvParams, x []float32, wbits []uint64, scale, bias, y []float32, ep Epilogue) {
	taps := p.C / max(p.Groups, 1) * p.KH * p.KW
	p.mustCheck("BinaryConv2D", namedLen{"x", len(x), p.XLen()}, namedLen{"y", len(y), p.YLen()},
		namedLen{"wbits", len(wbits), p.K * bits.WordsPerRow(taps)}, namedLen{"scale", len(scale), p.K})
	if bias != nil && len(bias) < p.K {
		panic("kernels: BinaryConv2D: bias shorter than K")
	}
	ep.check("BinaryConv2D", p.YLen(), -1)
	kg := p.K / p.Groups
	wpr := bits.WordsPerRow(taps)
	conv2DWith(p, func(g int) operandA {
		return binA{bits: wbits[g*kg*wpr:], wpr: wpr, scale: scale[g*kg:]}
	}, x, bias, y, ep)
}

// BinaryGemm computes the dense layer y = x·wᵀ + bias with binary weights:
// x is m×k (row-major), w is n×k with w[j] = scale[j]·(±1) packed as n rows
// of bits.WordsPerRow(k) words, bias [n] may be nil, y is m×n (overwritten).
// BinaryGemmRef defines it.
func BinaryGemm(m, n, k int, x []float32, wbits []uint64, scale, bias, y []float32) {
	checkBinaryGemm(m, n, k, x, wbits, scale, bias, y)
	if m == 0 || n == 0 {
		return
	}
	b := binBT{bits: wbits, wpr: bits.WordsPerRow(k), scale: scale}
	runGemm(gemmJob{m: m, n: n, k: k, a: matA{x, k, false, 1}, b: b, c: y, ldc: n}, gemmKernel(), gomaxprocs())
	if bias != nil {
		for i := range m {
			row := y[i*n : (i+1)*n]
			for j := range row {
				row[j] += bias[j]
			}
		}
	}
}

func checkBinaryGemm(m, n, k int, x []float32, wbits []uint64, scale, bias, y []float32) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: BinaryGemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	for _, s := range []namedLen{{"x", len(x), m * k}, {"y", len(y), m * n}, {"scale", len(scale), n},
		{"wbits", len(wbits), n * bits.WordsPerRow(k)}} {
		if s.have < s.want {
			panic(fmt.Sprintf("kernels: BinaryGemm: %s has %d elements, want %d", s.name, s.have, s.want))
		}
	}
	if bias != nil && len(bias) < n {
		panic("kernels: BinaryGemm: bias shorter than n")
	}
}

// sign is ±s for bit t of a packed row.
func sign(row []uint64, t int, s float32) float32 {
	if row[t/64]>>(t%64)&1 != 0 {
		return s
	}
	return -s
}

// binA is packed binary rows as the left operand: element (i, t) =
// scale[i]·(±1) from bit t of row i.
type binA struct {
	bits  []uint64
	wpr   int
	scale []float32
}

func (o binA) packA(dst []float32, ic, mc, pc, kc, mr int) {
	for q := 0; q < mc; q += mr {
		panel := dst[q*kc : (q+mr)*kc]
		rows := min(mr, mc-q)
		if rows < mr {
			clear(panel)
		}
		for r := range rows {
			i := ic + q + r
			row, s := o.bits[i*o.wpr:(i+1)*o.wpr], o.scale[i]
			pm := [2]float32{-s, s}
			for p := range kc {
				t := pc + p
				panel[p*mr+r] = pm[row[t>>6]>>(t&63)&1]
			}
		}
	}
}

// binBT is packed binary rows transposed, as the right operand: element
// (t, j) = scale[j]·(±1) from bit t of row j.
type binBT binA

func (o binBT) packB(dst []float32, pc, kc, jc, nc, nr int) {
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		if cols < nr {
			clear(panel)
		}
		for x := range cols {
			j := jc + q + x
			row, s := o.bits[j*o.wpr:(j+1)*o.wpr], o.scale[j]
			pm := [2]float32{-s, s}
			for p := range kc {
				t := pc + p
				panel[p*nr+x] = pm[row[t>>6]>>(t&63)&1]
			}
		}
	}
}
