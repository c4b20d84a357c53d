package autograd

import "math"

// expf is eˣ in float32 arithmetic (Cephes' expf: x = n·ln 2 + r with
// |r| ≤ ln 2 / 2, a degree-7 polynomial for eʳ, then a scale by 2ⁿ), within
// 1 ulp of math.Exp (TestExpf) and several times faster: Sigmoid and SiLU call it for
// every element of a feature map, forward and backward. NaN gives NaN.
func expf(x float32) float32 {
	switch {
	case x > 88.72283: // e^x overflows float32
		return float32(math.Inf(1))
	case x < -103.97208: // below the smallest subnormal
		return 0
	case x != x:
		return x
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	n := float32(int32(x*log2e + copysign32(0.5, x)))
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	switch k := int32(n); {
	case k > 127: // 2^128 is not a float32, y·2^128 may be
		return y * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	case k < -125: // a subnormal result: scale in two steps
		return y * math.Float32frombits(uint32(k+125+127)<<23) * math.Float32frombits(uint32(-125+127)<<23)
	default:
		return y * math.Float32frombits(uint32(k+127)<<23)
	}
}

func copysign32(v, sign float32) float32 {
	if sign < 0 {
		return -v
	}
	return v
}
