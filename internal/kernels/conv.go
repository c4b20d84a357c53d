package kernels

// Conv2D computes y = conv(x, w) + bias over NCHW tensors as p describes:
// x [N, C, H, W], w [K, C/Groups, KH, KW], bias [K] or nil, y [N, K, OutH, OutW]
// (overwritten). Conv2DRef defines it.
func Conv2D(p ConvParams, x, w, bias, y []float32) {
	Conv2DEpilogue(p, x, w, bias, y, Epilogue{})
}

// Conv2DEpilogue is Conv2D followed by ep on y.
func Conv2DEpilogue(p ConvParams, x, w, bias, y []float32, ep Epilogue) {
	p.mustCheck("Conv2D", namedLen{"x", len(x), p.XLen()}, namedLen{"w", len(w), p.WLen()},
		namedLen{"y", len(y), p.YLen()})
	if bias != nil && len(bias) < p.K {
		panic("kernels: Conv2D: bias shorter than K")
	}
	ep.check("Conv2D", p.YLen(), p.N*p.K)
	conv2D(p, x, w, bias, y, ep) // each path takes Moments as it writes each plane
}

// Conv2DBackwardData computes dx, the gradient of Σ y·dy with respect to x
// for y = Conv2D(x, w): dy [N, K, OutH, OutW], w [K, C/Groups, KH, KW],
// dx [N, C, H, W] (overwritten). Conv2DBackwardDataRef defines it.
func Conv2DBackwardData(p ConvParams, dy, w, dx []float32) {
	p.mustCheck("Conv2DBackwardData", namedLen{"dy", len(dy), p.YLen()}, namedLen{"w", len(w), p.WLen()},
		namedLen{"dx", len(dx), p.XLen()})
	conv2DBackwardData(p, dy, w, dx)
}

// Conv2DBackwardFilter computes dw, the gradient of Σ y·dy with respect to w
// for y = Conv2D(x, w), summed over the batch in a fixed order:
// x [N, C, H, W], dy [N, K, OutH, OutW], dw [K, C/Groups, KH, KW] (overwritten).
// Conv2DBackwardFilterRef defines it.
func Conv2DBackwardFilter(p ConvParams, x, dy, dw []float32) {
	p.mustCheck("Conv2DBackwardFilter", namedLen{"x", len(x), p.XLen()}, namedLen{"dy", len(dy), p.YLen()},
		namedLen{"dw", len(dw), p.WLen()})
	conv2DBackwardFilter(p, x, dy, dw)
}

// Conv2DBackwardFilterFrom is Conv2DBackwardFilter with x given one image at
// a time: image(n, dst) writes image n [C, H, W] to dst. Where the filter
// gradient works through images in cache-sized chunks, each image is made
// just before it is read and x is never whole in memory. image may be
// called from several goroutines at once, and more than once per image.
func Conv2DBackwardFilterFrom(p ConvParams, image func(n int, dst []float32), dy, dw []float32) {
	p.mustCheck("Conv2DBackwardFilterFrom", namedLen{"dy", len(dy), p.YLen()}, namedLen{"dw", len(dw), p.WLen()})
	chw, cgHW := p.C*p.H*p.W, p.C/p.Groups*p.H*p.W
	backwardFilterFrom(p, imageSource{scratch: chw, at: func(n, g int, scratch []float32) []float32 {
		image(n, scratch)
		return scratch[g*cgHW:]
	}}, dy, dw)
}
