package kernels

//go:generate go run ./internal/indgen

import (
	"runtime"
)

// Cache blocking (GotoBLAS/BLIS style): a kc×nc panel of op(B) (768 KiB)
// is packed once and stays in L2 while every mr-row micro-panel of the
// packed mc×kc block of op(A) (in L1) sweeps across it. The constants are
// fixed, so the order of every K reduction is the same for any thread
// count; nc was picked by measurement (1536 and 3072 were slower for
// m ≤ 64 and no faster for the square sizes).
const (
	blockKC = 256
	blockMC = 192
	blockNC = 768
)

// parallelMinFlops is the work (2·m·n·k) below which a GEMM stays on one
// goroutine: splitting small products costs more than it gains on a
// machine whose other cores are often busy.
const parallelMinFlops = 1 << 23

// microKernel is a register-tile kernel computing an mr×nr tile of
//
//	C[r][j] = (acc ? C[r][j] : 0) + Σ_{p<kc} a[p·mr+r]·b[p·ldb+j]
//
// from an A micro-panel packed k-major (mr values per k step) and a B
// micro-panel whose k-th row starts at b[p·ldb]. ldb is nr for packed
// panels.
type microKernel struct {
	mr, nr int
	name   string
	fn     func(kc int, a, b []float32, ldb int, c []float32, ldc int, acc bool)
	// ind is the same tile with B row p at b[offs[p]:]; the caller
	// guarantees b holds offs[p]+nr elements for every p < kc.
	ind func(kc int, a, b []float32, offs []int, c []float32, ldc int, acc bool)
	// edge, when set, is a narrower indirect tile for a last column tile
	// that it covers, so that the columns past the output are not computed.
	edge *microKernel
}

// indFor is the indirect tile for columns [jr, jr+nr) of which only the
// first cols−jr are wanted.
func (k *microKernel) indFor(jr, cols int) *microKernel {
	if e := k.edge; e != nil && cols-jr <= e.nr {
		return e
	}
	return k
}

// operandA packs rows [i0, i0+mc) and reduction indices [p0, p0+kc) of the
// left operand into mr-row micro-panels: dst[q·kc + p·mr + r] holds element
// (i0+q+r, p0+p) for q a multiple of mr, rows past mc zero. Any scale
// (alpha) is applied here.
type operandA interface {
	packA(dst []float32, i0, mc, p0, kc, mr int)
}

// operandB packs reduction indices [p0, p0+kc) and columns [j0, j0+nc) of
// the right operand into nr-column micro-panels: dst[q·kc + p·nr + x] holds
// element (p0+p, j0+q+x) for q a multiple of nr, columns past nc zero.
type operandB interface {
	packB(dst []float32, p0, kc, j0, nc, nr int)
}

// gemmJob is C[i0:i0+m, j0:j0+n] = A·B + beta·C of a product whose
// operands are addressed in whole-product coordinates; c starts at
// element (i0, j0).
type gemmJob struct {
	m, n, k int
	i0, j0  int
	a       operandA
	b       operandB
	beta    float32
	c       []float32
	ldc     int
}

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmWith(gemmKernel(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmWith is sgemm with a given microkernel (tests run every one).
func sgemmWith(kern *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, m, n, ldc, beta)
		return
	}
	j := gemmJob{m: m, n: n, k: k, a: matA{a, lda, transA, alpha}, b: matB{b, ldb, transB}, beta: beta, c: c, ldc: ldc}
	runGemm(j, kern, runtime.GOMAXPROCS(0))
}

// runGemm splits j by output columns (or rows, when C is tall) into chunks
// that are whole multiples of the register tile, a few per worker, and
// runs them on up to workers goroutines that take them as they come free.
// Each output element is computed by exactly the same instruction
// sequence whichever chunk it falls in, so the split never changes a bit.
func runGemm(j gemmJob, kern *microKernel, workers int) {
	if j.m == 0 || j.n == 0 {
		return
	}
	if j.k == 0 {
		scaleC(j.c, j.m, j.n, j.ldc, j.beta)
		return
	}
	if flops := 2 * float64(j.m) * float64(j.n) * float64(j.k); flops < parallelMinFlops {
		workers = 1
	}
	byRows := j.m > j.n
	span, unit := j.n, kern.nr
	if byRows {
		span, unit = j.m, kern.mr
	}
	tiles := (span + unit - 1) / unit
	workers = min(workers, tiles)
	if workers <= 1 {
		gemmSerial(j, kern)
		return
	}
	// A few chunks per worker, taken as workers come free.
	parts := min(tiles, 4*workers)
	TasksOn(workers, parts, func(i, _ int) {
		lo := tiles * i / parts * unit
		hi := min(tiles*(i+1)/parts*unit, span)
		gemmSerial(j.slice(byRows, lo, hi), kern)
	})
}

// slice is the sub-job of rows (byRows) or columns [lo, hi) of j's C.
func (j gemmJob) slice(byRows bool, lo, hi int) gemmJob {
	s := j
	if byRows {
		s.m, s.i0, s.c = hi-lo, j.i0+lo, j.c[lo*j.ldc:]
	} else {
		s.n, s.j0, s.c = hi-lo, j.j0+lo, j.c[lo:]
	}
	return s
}

// scaleC sets C = beta·C (C = 0 when beta is 0, without reading C).
func scaleC(c []float32, m, n, ldc int, beta float32) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for x := range row {
			row[x] *= beta
		}
	}
}

// gemmSerial computes one job on the calling goroutine.
func gemmSerial(j gemmJob, kern *microKernel) {
	mr, nr := kern.mr, kern.nr
	if j.beta != 0 && j.beta != 1 {
		scaleC(j.c, j.m, j.n, j.ldc, j.beta)
	}
	mcMax := min(blockMC/mr*mr, (j.m+mr-1)/mr*mr)
	ncMax := min(blockNC/nr*nr, (j.n+nr-1)/nr*nr)
	kcMax := min(blockKC, j.k)
	abuf := getBuf(mcMax * kcMax)
	bbuf := getBuf(ncMax * kcMax)
	tile := getBuf(mr * nr)
	defer bufPool.Put(abuf)
	defer bufPool.Put(bbuf)
	defer bufPool.Put(tile)
	db, direct := j.b.(*directB)
	for jc := 0; jc < j.n; jc += ncMax {
		nc := min(ncMax, j.n-jc)
		for pc := 0; pc < j.k; pc += kcMax {
			kc := min(kcMax, j.k-pc)
			acc := pc > 0 || j.beta != 0
			bsrc, ldb, bstep := *bbuf, nr, kc // packed panels
			if direct {
				bsrc, ldb, bstep = db.b[pc*db.ldb+j.j0+jc:], db.ldb, 1
			} else {
				j.b.packB(*bbuf, pc, kc, j.j0+jc, nc, nr)
			}
			for ic := 0; ic < j.m; ic += mcMax {
				mc := min(mcMax, j.m-ic)
				ablk := *abuf
				if pa, ok := j.a.(*packedA); ok && pa.mr == mr {
					ablk = pa.block(j.i0+ic, mc, pc, kc)
				} else {
					j.a.packA(ablk, j.i0+ic, mc, pc, kc, mr)
				}
				macroKernel(kern, ablk, bsrc, ldb, bstep, kc, mc, nc, j.c[ic*j.ldc+jc:], j.ldc, acc, *tile)
			}
		}
	}
}

// macroKernel runs the microkernel over an mc×nc block of C from packed A
// panels and B's column tiles, tile jr at b[jr·bstep:] with rows ldb apart
// (packed panels: bstep kc, ldb nr); edge tiles are computed into tile and
// then added or copied, which is the same single rounding the kernel's own
// accumulate does.
func macroKernel(kern *microKernel, a, b []float32, ldb, bstep, kc, mc, nc int, c []float32, ldc int, acc bool, tile []float32) {
	mr, nr := kern.mr, kern.nr
	for ir := 0; ir < mc; ir += mr {
		ap := a[ir*kc : (ir+mr)*kc]
		rows := min(mr, mc-ir)
		for jr := 0; jr < nc; jr += nr {
			bp := b[jr*bstep:]
			cols := min(nr, nc-jr)
			ct := c[ir*ldc+jr:]
			if rows == mr && cols == nr {
				kern.fn(kc, ap, bp, ldb, ct, ldc, acc)
				continue
			}
			kern.fn(kc, ap, bp, ldb, tile, nr, false)
			for r := range rows {
				dst := ct[r*ldc : r*ldc+cols]
				src := tile[r*nr : r*nr+cols]
				if acc {
					for x, v := range src {
						dst[x] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}
