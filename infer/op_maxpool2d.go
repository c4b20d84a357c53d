package infer

import (
	"runtime"
	"sync"
)

// maxPool2DPlanes is 2-D MaxPool without the Indices output, the form every
// ResNet stem uses: for each plane, each output takes the largest input
// under its window, padding excluded. Planes are independent, so they are
// split across goroutines; each output is computed by exactly one of them,
// so the result does not depend on the split.
func (p *poolPlan) maxPool2DPlanes(xs, ys []float32) {
	oh, ow := p.outShape[0], p.outShape[1]
	planes := len(ys) / max(oh*ow, 1)
	workers := min(runtime.GOMAXPROCS(0), planes)
	if workers <= 1 || planes*oh*ow < 1<<14 {
		p.maxPool2DRange(xs, ys, 0, planes)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := planes*w/workers, planes*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.maxPool2DRange(xs, ys, lo, hi)
		}()
	}
	wg.Wait()
}

// maxPool2DRange pools planes [lo, hi). A window's first in-bounds tap
// seeds the maximum, as max2D does, so NaN handling is the same.
func (p *poolPlan) maxPool2DRange(xs, ys []float32, lo, hi int) {
	H, W, w := p.in[0], p.in[1], p.win
	oh, ow := p.outShape[0], p.outShape[1]
	for pl := lo; pl < hi; pl++ {
		x := xs[pl*p.inPlane : (pl+1)*p.inPlane]
		y := ys[pl*oh*ow : (pl+1)*oh*ow]
		for i := range oh {
			h0 := i*w.strides[0] - w.padBegin[0]
			for j := range ow {
				w0 := j*w.strides[1] - w.padBegin[1]
				var best float32
				seen := false
				for kh := range w.kernel[0] {
					h := h0 + kh*w.dilations[0]
					if h < 0 || h >= H {
						continue
					}
					row := x[h*W : (h+1)*W]
					for kw := range w.kernel[1] {
						c := w0 + kw*w.dilations[1]
						if c >= 0 && c < W && (!seen || row[c] > best) {
							best, seen = row[c], true
						}
					}
				}
				y[i*ow+j] = best
			}
		}
	}
}
