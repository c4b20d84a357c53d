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
