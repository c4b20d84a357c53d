package kernels

// matA is a stored row-major matrix as the left operand: op(A)·alpha.
type matA struct {
	a     []float32
	lda   int
	trans bool
	alpha float32
}

func (o matA) packA(dst []float32, ic, mc, pc, kc, mr int) {
	for q := 0; q < mc; q += mr {
		panel := dst[q*kc : (q+mr)*kc]
		rows := min(mr, mc-q)
		if rows < mr {
			clear(panel)
		}
		for r := range rows {
			i := ic + q + r
			if o.trans {
				for p := range kc {
					panel[p*mr+r] = o.alpha * o.a[(pc+p)*o.lda+i]
				}
				continue
			}
			src := o.a[i*o.lda+pc : i*o.lda+pc+kc]
			for p, v := range src {
				panel[p*mr+r] = o.alpha * v
			}
		}
	}
}

// matB is a stored row-major matrix as the right operand: op(B).
type matB struct {
	b     []float32
	ldb   int
	trans bool
}

func (o matB) packB(dst []float32, pc, kc, jc, nc, nr int) {
	if o.trans {
		for q := 0; q < nc; q += nr {
			panel := dst[q*kc : (q+nr)*kc]
			cols := min(nr, nc-q)
			if cols < nr {
				clear(panel)
			}
			for x := range cols {
				row := o.b[(jc+q+x)*o.ldb+pc : (jc+q+x)*o.ldb+pc+kc]
				for p, v := range row {
					panel[p*nr+x] = v
				}
			}
		}
		return
	}
	// Row by row, so that the source is read sequentially (prefetch- and
	// TLB-friendly when rows are far apart).
	full := nc / nr * nr
	for p := range kc {
		src := o.b[(pc+p)*o.ldb+jc : (pc+p)*o.ldb+jc+nc]
		for q := 0; q < full; q += nr {
			copy(dst[q*kc+p*nr:q*kc+p*nr+nr], src[q:q+nr])
		}
		if full < nc {
			row := dst[full*kc+p*nr : full*kc+p*nr+nr]
			copy(row, src[full:])
			clear(row[nc-full:])
		}
	}
}

// packedA is a left operand packed once for a microkernel's mr, for a
// product run many times (a Winograd point's weights against every chunk
// of images): gemmSerial reads its blocks in place instead of packing.
// Each blockKC-deep slice of the reduction holds all rows (rounded up to
// mr) as mr-row micro-panels, so the block of rows [i0, i0+mc) at p0 is
// contiguous.
type packedA struct {
	buf    []float32
	m, mr  int
	rounds int // rows rounded up to mr
}

// packAll packs the m×k operand a for mr-row tiles into buf, which must
// hold roundup(m, mr)·k floats.
func packAll[A operandA](buf []float32, a A, m, k, mr int) packedA {
	pa := packedA{m: m, mr: mr, rounds: (m + mr - 1) / mr * mr}
	pa.buf = buf[:pa.rounds*k]
	for pc := 0; pc < k; pc += blockKC {
		kc := min(blockKC, k-pc)
		a.packA(pa.buf[pa.rounds*pc:], 0, m, pc, kc, mr)
	}
	return pa
}

// block is the packed block of rows [i0, i0+mc) (i0 a multiple of mr) and
// reduction indices [pc, pc+kc) (pc a multiple of blockKC).
func (o *packedA) block(i0, mc, pc, kc int) []float32 {
	off := o.rounds*pc + i0*kc
	return o.buf[off : off+(mc+o.mr-1)/o.mr*o.mr*kc]
}

func (o *packedA) packA(dst []float32, i0, mc, pc, kc, mr int) {
	if mr != o.mr {
		panic("kernels: packedA: packed for another tile height")
	}
	copy(dst, o.block(i0, mc, pc, kc))
}

// directB is a row-major right operand that gemmSerial reads in place,
// without packing: each row must have readable floats up to the end of
// the last column tile (nr past the last tile's start); what they hold
// past the last column only reaches discarded columns of C.
type directB struct {
	b   []float32
	ldb int
}

func (o *directB) packB(dst []float32, pc, kc, jc, nc, nr int) {
	matB{b: o.b, ldb: o.ldb}.packB(dst, pc, kc, jc, nc, nr)
}
