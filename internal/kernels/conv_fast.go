package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The fast convolutions, dispatched by shape:
//
//   - 1×1 stride-1 unpadded ("pointwise"): per image and group a plain GEMM
//     on the NCHW tensors, Y = W·X forward and dX = Wᵀ·dY backward; strided
//     1×1 unpadded forward convolutions subsample x first.
//   - depthwise forward (one input and one output channel per group): a
//     direct loop.
//   - everything else: the indirect kernels of conv_shift.go (forward, and
//     backward-data for stride 1 as a forward convolution), conv_backdata.go
//     (backward-data by stride phases) and dotnt.go (backward-filter, which
//     serves pointwise convolutions too).

// pointwise reports a 1×1, stride-1, unpadded convolution, for which
// col is x itself.
func (p ConvParams) pointwise() bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadTop == 0 && p.PadLeft == 0 && p.PadBottom == 0 && p.PadRight == 0
}

// forTasks runs task(t, innerWorkers) for t < count: spread over goroutines
// when there are enough tasks (each task then runs on one goroutine),
// otherwise in order, each task free to use innerWorkers goroutines. Small
// jobs (flops) stay on the calling goroutine. Tasks write disjoint outputs,
// so the result does not depend on the split.
func forTasks(count int, flops float64, task func(t, innerWorkers int)) {
	workers := runtime.GOMAXPROCS(0)
	if flops < parallelMinFlops {
		workers = 1
	}
	if workers == 1 || count < workers {
		for t := range count {
			task(t, workers)
		}
		return
	}
	TasksOn(workers, count, func(t, _ int) { task(t, 1) })
}

// splitRange runs f over [0, n) cut into contiguous ranges, a few per
// worker, on up to workers goroutines (on the caller's when there is one
// range) that take them as they come free. f must write only what its
// range owns.
func splitRange(n, workers int, f func(lo, hi int)) {
	workers = min(workers, n)
	if workers <= 1 {
		f(0, n) // before making a closure that escapes
		return
	}
	parts := min(n, 4*workers)
	TasksOn(workers, parts, func(i, _ int) { f(n*i/parts, n*(i+1)/parts) })
}

// Tasks runs f(i) for every i < n on up to GOMAXPROCS goroutines (the
// caller's among them), each taking the next index not yet taken, so that
// a goroutine the OS holds back leaves its share to the others instead of
// holding up the rest at the end. f(i) must write only what index i owns;
// the result then does not depend on who ran what.
func Tasks(n int, f func(i int)) {
	TasksOn(min(runtime.GOMAXPROCS(0), n), n, func(i, _ int) { f(i) })
}

// TasksOn is Tasks on up to workers goroutines, telling f which of them
// (w < workers) runs index i, for scratch of its own: which goroutine
// takes which index varies from run to run.
func TasksOn(workers, n int, f func(i, w int)) {
	if workers <= 1 {
		for i := range n {
			f(i, 0)
		}
		return
	}
	var next atomic.Int64
	Workers(min(workers, n), func(w int) {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			f(i, w)
		}
	})
}

// Workers runs f(w) for w < n, each on its own goroutine, f(0) on the
// caller's: the caller works instead of waiting for a goroutine to start.
// The others are the crew's helpers (crew.go) when it is free.
func Workers(n int, f func(w int)) {
	if theCrew.run(n, f) {
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
		}()
	}
	if n > 0 {
		f(0)
	}
	wg.Wait()
}

func (p ConvParams) flops() float64 {
	return 2 * float64(p.N) * float64(p.K) * float64(p.OutH()*p.OutW()) * float64(p.C/p.Groups*p.KH*p.KW)
}

func conv2D(p ConvParams, x, w, bias, y []float32, ep Epilogue) {
	cg, kg := p.C/p.Groups, p.K/p.Groups
	if cg == 1 && kg == 1 {
		depthwiseConv2D(p, x, w, bias, y)
		if !ep.none() {
			ep.apply(y[:p.YLen()], 0)
		}
		if ep.Moments != nil {
			fillMoments(ep.Moments[:p.N*p.K], y[:p.YLen()], p.OutH()*p.OutW())
		}
		return
	}
	if p.winograd() {
		winoConv2D(p, w, x, bias, y, ep)
		return
	}
	taps := cg * p.KH * p.KW
	conv2DWith(p, func(g int) operandA { return matA{w[g*kg*taps:], taps, false, 1} }, x, bias, y, ep)
}

// conv2DWith is the forward convolution with the weights of group g given
// as a left operand (rows: the group's output channels, reduction: taps).
func conv2DWith(p ConvParams, weights func(g int) operandA, x, bias, y []float32, ep Epilogue) {
	if !p.unpadded1x1() {
		shiftConv2D(p, weights, x, bias, y, ep)
		return
	}
	if p.pointwiseBatch() > 1 {
		batchedPointwise(p, weights(0), x, bias, y, ep)
		return
	}
	// 1×1 unpadded: a GEMM on x, subsampled first when strided.
	cg, kg := p.C/p.Groups, p.K/p.Groups
	hw, oh, ow, taps := p.H*p.W, p.OutH(), p.OutW(), cg*p.KH*p.KW
	ohw := oh * ow
	kern := gemmKernel()
	forTasks(p.N*p.Groups, p.flops(), func(t, workers int) {
		n, g := t/p.Groups, t%p.Groups
		xg := x[(n*p.C+g*cg)*hw:]
		yg := y[(n*p.K+g*kg)*ohw : (n*p.K+(g+1)*kg)*ohw]
		b := matB{b: xg, ldb: hw}
		if !p.pointwise() {
			xs := getBuf(cg * ohw)
			defer bufPool.Put(xs)
			p.subsample(*xs, xg, cg)
			b = matB{b: *xs, ldb: ohw}
		}
		runGemm(gemmJob{m: kg, n: ohw, k: taps, a: weights(g), b: b, c: yg, ldc: ohw}, kern, workers)
		for k := range kg {
			row := yg[k*ohw : (k+1)*ohw]
			if bias != nil {
				addConstRows(row, 0, row, 0, 1, ohw, bias[g*kg+k])
			}
			if !ep.none() {
				ep.apply(row, (n*p.K+g*kg+k)*ohw)
			}
			if ep.Moments != nil {
				ep.Moments[n*p.K+g*kg+k] = planeMoments(row)
			}
		}
	})
}

// depthwiseConv2D is the direct loop for one input channel per group.
func depthwiseConv2D(p ConvParams, x, w, bias, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	forTasks(p.N, p.flops(), func(n, _ int) {
		for k := range p.K {
			xc := x[(n*p.C+k)*p.H*p.W : (n*p.C+k+1)*p.H*p.W]
			wk := w[k*p.KH*p.KW : (k+1)*p.KH*p.KW]
			yk := y[(n*p.K+k)*oh*ow : (n*p.K+k+1)*oh*ow]
			b := float32(0)
			if bias != nil {
				b = bias[k]
			}
			for r := range oh {
				for s := range ow {
					sum := b
					for i := range p.KH {
						ih := r*p.StrideH - p.PadTop + i*p.DilationH
						if ih < 0 || ih >= p.H {
							continue
						}
						for j := range p.KW {
							if iw := s*p.StrideW - p.PadLeft + j*p.DilationW; iw >= 0 && iw < p.W {
								sum += wk[i*p.KW+j] * xc[ih*p.W+iw]
							}
						}
					}
					yk[r*ow+s] = sum
				}
			}
		}
	})
}

// unpadded1x1 reports a 1×1 convolution without padding: a GEMM on x,
// subsampled first when strided.
func (p ConvParams) unpadded1x1() bool {
	return p.KH == 1 && p.KW == 1 && p.PadTop == 0 && p.PadLeft == 0 && p.PadBottom == 0 && p.PadRight == 0
}

// strided1x1 is an unpadded strided 1×1 convolution as the pointwise one
// on the subsampled input (the pixels the strides land on); ok is false
// for other shapes.
func (p ConvParams) strided1x1() (q ConvParams, ok bool) {
	if !p.unpadded1x1() || p.pointwise() {
		return p, false
	}
	q = p
	q.H, q.W, q.StrideH, q.StrideW, q.DilationH, q.DilationW = p.OutH(), p.OutW(), 1, 1, 1, 1
	return q, true
}

// subsample writes the pixels the strides land on of c channels of one
// image (x [c][H][W]) to dst [c][OutH][OutW].
func (p ConvParams) subsample(dst, x []float32, c int) {
	oh, ow := p.OutH(), p.OutW()
	for ch := range c {
		for r := range oh {
			src := x[ch*p.H*p.W+r*p.StrideH*p.W:]
			d := dst[(ch*oh+r)*ow : (ch*oh+r+1)*ow]
			for q := range d {
				d[q] = src[q*p.StrideW]
			}
		}
	}
}

// strided1x1BackwardData is dx for an unpadded strided 1×1 convolution:
// the pointwise backward on the subsampled pixels, zero elsewhere. Each
// image's subsampled gradient goes through a scratch of one image group
// and is scattered at once, so the scratch does not grow with the batch.
func strided1x1BackwardData(p, q ConvParams, dy, w, dx []float32) {
	cg, hw, ohw := p.C/p.Groups, p.H*p.W, q.H*q.W
	kern := gemmKernel()
	forTasks(p.N*p.Groups, q.flops(), func(t, workers int) {
		n, g := t/p.Groups, t%p.Groups
		sub := getBuf(cg * ohw)
		defer bufPool.Put(sub)
		q.pointwiseBackwardData(n, g, dy, w, *sub, kern, workers)
		for c := range cg {
			plane, src := dx[(n*p.C+g*cg+c)*hw:][:hw], (*sub)[c*ohw:]
			clear(plane)
			for r := range q.H {
				row := plane[r*p.StrideH*p.W:]
				for j, v := range src[r*q.W : (r+1)*q.W] {
					row[j*p.StrideW] = v
				}
			}
		}
	})
}

// pointwiseBackwardData writes into dst [C/G][H·W] the input gradient of
// group g of image n of the pointwise convolution p: Wᵀ·dY.
func (p ConvParams) pointwiseBackwardData(n, g int, dy, w, dst []float32, kern *microKernel, workers int) {
	cg, kg, ohw := p.C/p.Groups, p.K/p.Groups, p.OutH()*p.OutW()
	a := matA{w[g*kg*cg:], cg, true, 1}
	b := matB{b: dy[(n*p.K+g*kg)*ohw:], ldb: ohw}
	runGemm(gemmJob{m: cg, n: ohw, k: kg, a: a, b: b, c: dst[:cg*ohw], ldc: ohw}, kern, workers)
}

func conv2DBackwardData(p ConvParams, dy, w, dx []float32) {
	if p.pointwiseBatch() > 1 {
		batchedPointwiseBackwardData(p, w, dy, dx)
		return
	}
	if q, ok := p.strided1x1(); ok {
		strided1x1BackwardData(p, q, dy, w, dx)
		return
	}
	cg, kg, hw := p.C/p.Groups, p.K/p.Groups, p.H*p.W
	if q, ok := p.backwardAsForward(); ok && !p.pointwise() {
		// Stride 1: the forward convolution of dy with the flipped weights.
		wf := getBuf(p.WLen())
		defer bufPool.Put(wf)
		p.flipWeights(*wf, w)
		if q.winograd() {
			winoConv2D(q, *wf, dy, nil, dx, Epilogue{})
			return
		}
		shiftConv2D(q, func(g int) operandA { return matA{(*wf)[g*cg*kg*p.KH*p.KW:], kg * p.KH * p.KW, false, 1} }, dy, nil, dx, Epilogue{})
		return
	}
	if !p.pointwise() {
		phaseBackwardData(p, dy, w, dx)
		return
	}
	kern := gemmKernel()
	forTasks(p.N*p.Groups, p.flops(), func(t, workers int) {
		n, g := t/p.Groups, t%p.Groups
		p.pointwiseBackwardData(n, g, dy, w, dx[(n*p.C+g*cg)*hw:], kern, workers)
	})
}

func conv2DBackwardFilter(p ConvParams, x, dy, dw []float32) {
	backwardFilterFrom(p, xSource(p, x), dy, dw)
}

// backwardFilterFrom is the filter gradient with images from src: by
// Winograd where p.winograd(), else output channels in the lanes where that
// serves, else pixels in the lanes; a strided 1×1 as the pointwise one on
// the images subsampled one by one.
func backwardFilterFrom(p ConvParams, src imageSource, dy, dw []float32) {
	if p.winograd() {
		winoBackwardFilter(p, src, dy, dw)
		return
	}
	if laneBackwardFilterFrom(p, src, dy, dw) {
		return
	}
	if q, ok := p.strided1x1(); ok {
		shiftBackwardFilter(q, subsampled(p, q, src), dy, dw)
		return
	}
	shiftBackwardFilter(p, src, dy, dw)
}
