package kernels

// The reference convolutions: direct loops with float64 accumulation, the
// definitions every fast path is tested against.

// Conv2DRef is the reference of Conv2D:
// y[n,k,oh,ow] = bias[k] + Σ_{c,i,j} w[k,c,i,j]·x[n, g·C/G+c, oh·sH−padT+i·dH, ow·sW−padL+j·dW]
// with g = k/(K/G) and out-of-range input positions read as 0.
func Conv2DRef(p ConvParams, x, w, bias, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	for n := range p.N {
		for k := range p.K {
			g := k / kg
			for r := range oh {
				for s := range ow {
					var sum float64
					if bias != nil {
						sum = float64(bias[k])
					}
					for c := range cg {
						for i := range p.KH {
							ih := r*p.StrideH - p.PadTop + i*p.DilationH
							if ih < 0 || ih >= p.H {
								continue
							}
							for j := range p.KW {
								iw := s*p.StrideW - p.PadLeft + j*p.DilationW
								if iw < 0 || iw >= p.W {
									continue
								}
								xv := x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw]
								wv := w[((k*cg+c)*p.KH+i)*p.KW+j]
								sum += float64(xv) * float64(wv)
							}
						}
					}
					y[((n*p.K+k)*oh+r)*ow+s] = float32(sum)
				}
			}
		}
	}
}

// convTaps calls f for every (input index, weight index, output index)
// triple that contributes to a convolution, in a fixed order.
func convTaps(p ConvParams, f func(xi, wi, yi int)) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	for n := range p.N {
		for k := range p.K {
			g := k / kg
			for c := range cg {
				for i := range p.KH {
					for j := range p.KW {
						wi := ((k*cg+c)*p.KH+i)*p.KW + j
						for r := range oh {
							ih := r*p.StrideH - p.PadTop + i*p.DilationH
							if ih < 0 || ih >= p.H {
								continue
							}
							for s := range ow {
								iw := s*p.StrideW - p.PadLeft + j*p.DilationW
								if iw < 0 || iw >= p.W {
									continue
								}
								f(((n*p.C+g*cg+c)*p.H+ih)*p.W+iw, wi, ((n*p.K+k)*oh+r)*ow+s)
							}
						}
					}
				}
			}
		}
	}
}

// Conv2DBackwardDataRef is the reference of Conv2DBackwardData:
// dx = ∂(Σ y·dy)/∂x, the sum of dy·w over every tap that reads x.
func Conv2DBackwardDataRef(p ConvParams, dy, w, dx []float32) {
	acc := make([]float64, p.XLen())
	convTaps(p, func(xi, wi, yi int) { acc[xi] += float64(dy[yi]) * float64(w[wi]) })
	for i, v := range acc {
		dx[i] = float32(v)
	}
}

// Conv2DBackwardFilterRef is the reference of Conv2DBackwardFilter:
// dw = ∂(Σ y·dy)/∂w, the sum of dy·x over the batch and output positions.
func Conv2DBackwardFilterRef(p ConvParams, x, dy, dw []float32) {
	acc := make([]float64, p.WLen())
	convTaps(p, func(xi, wi, yi int) { acc[wi] += float64(dy[yi]) * float64(x[xi]) })
	for i, v := range acc {
		dw[i] = float32(v)
	}
}
