package kernels

// MaxPoolArgRef is the reference MaxPoolArg: every window scanned with
// bounds tests.
func MaxPoolArgRef[T PoolArg](p PoolParams, x, y []float32, arg []T) {
	p.check("MaxPoolArgRef", len(x), len(y), len(arg))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	for pl := range p.Planes {
		for oy := range p.OutH {
			for ox := range p.OutW {
				o := pl*opl + oy*p.OutW + ox
				y[o], arg[o] = maxWindow[T](p, x[pl*ipl:(pl+1)*ipl], oy, ox)
			}
		}
	}
}

// MaxPoolBackwardRef is the reference MaxPoolBackward.
func MaxPoolBackwardRef[T PoolArg](p PoolParams, dy []float32, arg []T, dx []float32, add bool) {
	p.check("MaxPoolBackwardRef", len(dx), len(dy), len(arg))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	if !add {
		clear(dx[:p.Planes*ipl])
	}
	for pl := range p.Planes {
		for oy := range p.OutH {
			for ox := range p.OutW {
				o := pl*opl + oy*p.OutW + ox
				t := int(arg[o])
				iy, ix := oy*p.StrideH-p.PadTop+t/p.KW, ox*p.StrideW-p.PadLeft+t%p.KW
				dx[pl*ipl+iy*p.W+ix] += dy[o]
			}
		}
	}
}

// AvgPoolRef is the reference AvgPool: every window with bounds tests.
func AvgPoolRef(p PoolParams, includePad bool, padB, padR int, x, y []float32) {
	p.check("AvgPoolRef", len(x), len(y), len(y))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	for pl := range p.Planes {
		for oy := range p.OutH {
			for ox := range p.OutW {
				y[pl*opl+oy*p.OutW+ox] = avgWindow(p, includePad, padB, padR, x[pl*ipl:(pl+1)*ipl], oy, ox)
			}
		}
	}
}

// AvgPoolBackwardRef is the reference AvgPoolBackward.
func AvgPoolBackwardRef(p PoolParams, includePad bool, padB, padR int, dy, dx []float32) {
	p.check("AvgPoolBackwardRef", len(dx), len(dy), len(dy))
	ipl, opl := p.H*p.W, p.OutH*p.OutW
	for pl := range p.Planes {
		for oy := range p.OutH {
			for ox := range p.OutW {
				avgWindowBackward(p, includePad, padB, padR, dx[pl*ipl:(pl+1)*ipl], dy[pl*opl+oy*p.OutW+ox], oy, ox)
			}
		}
	}
}
