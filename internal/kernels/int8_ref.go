package kernels

// BinaryConv2DInt8Ref is the reference of BinaryConv2DInt8: quantize x per
// tensor, sum ±1·q exactly over the taps (padding reads 0), then
// y = dequant(scale[k]·actScale, sum, bias[k]).
func BinaryConv2DInt8Ref(p ConvParams, x []float32, wbits []uint64, scale, bias, y []float32) {
	actScale, inv, _ := quantScale(x[:p.XLen()])
	cg, kg := p.C/p.Groups, p.K/p.Groups
	taps := cg * p.KH * p.KW
	wpr := (taps + 63) / 64
	oh, ow := p.OutH(), p.OutW()
	for n := range p.N {
		for k := range p.K {
			g := k / kg
			row := wbits[k*wpr:]
			var b float32
			if bias != nil {
				b = bias[k]
			}
			for r := range oh {
				for s := range ow {
					var sum int32
					for c := range cg {
						for i := range p.KH {
							ih := r*p.StrideH - p.PadTop + i*p.DilationH
							for j := range p.KW {
								iw := s*p.StrideW - p.PadLeft + j*p.DilationW
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								q := quantize(x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw], inv)
								if sign(row, (c*p.KH+i)*p.KW+j, 1) > 0 {
									sum += q
								} else {
									sum -= q
								}
							}
						}
					}
					y[((n*p.K+k)*oh+r)*ow+s] = dequant(scale[k]*actScale, float32(sum), b)
				}
			}
		}
	}
}
