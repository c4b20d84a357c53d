package kernels

import (
	"math"
	"testing"
)

// sameFloat reports whether a and b have the same bits or are both NaN
// (NaN payloads differ between the hardware and Go's builtin max).
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestEpilogueMatchesSeparatePasses checks, over the convolution sweep, that
// each convolution with an epilogue (residual add, ReLU, both) gives the bits
// that the convolution followed by the separate add and ReLU passes gives
// (NaN for NaN).
func TestEpilogueMatchesSeparatePasses(t *testing.T) {
	convs := map[string]func(p ConvParams, x, w []float32, wb []uint64, s, b, y []float32, ep Epilogue){
		"Conv2D": func(p ConvParams, x, w []float32, _ []uint64, _, b, y []float32, ep Epilogue) {
			Conv2DEpilogue(p, x, w, b, y, ep)
		},
		"BinaryConv2D": func(p ConvParams, x, _ []float32, wb []uint64, s, b, y []float32, ep Epilogue) {
			BinaryConv2DEpilogue(p, x, wb, s, b, y, ep)
		},
		"BinaryConv2DInt8": func(p ConvParams, x, _ []float32, wb []uint64, s, b, y []float32, ep Epilogue) {
			BinaryConv2DInt8Epilogue(p, x, wb, s, b, y, ep)
		},
	}
	for i, p := range convSweep() {
		r := newRand(uint64(900 + i))
		taps := p.C / p.Groups * p.KH * p.KW
		x, w, s, b := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.K), randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		res := randSlice(r, p.YLen())
		if len(res) > 0 {
			res[0] = float32(math.NaN()) // NaN must pass through both ways
		}
		for name, conv := range convs {
			plain := make([]float32, p.YLen())
			conv(p, x, w, wb, s, b, plain, Epilogue{})
			for _, ep := range []Epilogue{{ReLU: true}, {Add: res}, {Add: res, ReLU: true}} {
				want := append([]float32(nil), plain...)
				for j := range want {
					if ep.Add != nil {
						want[j] += res[j]
					}
					if ep.ReLU {
						want[j] = max(want[j], 0)
					}
				}
				got := newGuarded(p.YLen())
				fillSentinel(got.data())
				conv(p, x, w, wb, s, b, got.data(), ep)
				got.check(t, name)
				for j, v := range got.data() {
					if !sameFloat(v, want[j]) {
						t.Fatalf("%s %+v add=%v relu=%v: y[%d] = %v, separate passes give %v",
							name, p, ep.Add != nil, ep.ReLU, j, v, want[j])
					}
				}
			}
		}
	}
}

// TestEpilogueApplySpecials holds Epilogue.apply (assembly on amd64) to the
// Go loop at every length across the vector width, on −0, NaN and ±Inf.
func TestEpilogueApplySpecials(t *testing.T) {
	specials := []float32{float32(math.Copysign(0, -1)), 0, float32(math.NaN()), float32(math.Inf(1)),
		float32(math.Inf(-1)), -1.5, 2.25, 1e-40}
	r := newRand(5)
	for n := range 40 {
		y, add := make([]float32, n), make([]float32, n)
		for i := range y {
			y[i], add[i] = specials[r.IntN(len(specials))], specials[r.IntN(len(specials))]
		}
		for _, ep := range []Epilogue{{ReLU: true}, {Add: add}, {Add: add, ReLU: true}} {
			got, want := append([]float32(nil), y...), append([]float32(nil), y...)
			ep.apply(got, 0)
			for i := range want {
				if ep.Add != nil {
					want[i] += add[i]
				}
				if ep.ReLU {
					want[i] = max(want[i], 0)
				}
			}
			for i := range want {
				if !sameFloat(got[i], want[i]) {
					t.Fatalf("n=%d add=%v relu=%v: [%d] = %v (%#x), want %v (%#x)", n, ep.Add != nil, ep.ReLU,
						i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestConvMoments: the plane sums a convolution hands over through
// Epilogue.Moments are those of its output planes, on every path (the
// indirect one fills them as it writes, the others after).
func TestConvMoments(t *testing.T) {
	for i, p := range append(convSweep(), resnet20Convs(2)...) {
		r := newRand(uint64(500 + i))
		x, w, bias := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.K)
		y := make([]float32, p.YLen())
		ep := Epilogue{Moments: make([]PlaneMoments, p.N*p.K)}
		Conv2DEpilogue(p, x, w, bias, y, ep)
		plane := p.OutH() * p.OutW()
		for j, got := range ep.Moments {
			if want := planeMoments(y[j*plane : (j+1)*plane]); got != want {
				t.Fatalf("%+v: plane %d: moments %+v, want %+v", p, j, got, want)
			}
		}
	}
}

// TestCombineMoments holds CombineMoments to the mean and variance of the
// planes taken together, in float64, on values far from zero.
func TestCombineMoments(t *testing.T) {
	r := newRand(31)
	const planes, n = 5, 37
	x := randSlice(r, planes*n)
	for i := range x {
		x[i] = 1000 + x[i]*float32(1+i%3)
	}
	ms := make([]PlaneMoments, planes)
	for b := range ms {
		ms[b] = planeMoments(x[b*n : (b+1)*n])
	}
	var sum, sq float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / float64(len(x))
	for _, v := range x {
		sq += (float64(v) - mean) * (float64(v) - mean)
	}
	gotMean, gotVar := CombineMoments(ms, planes, 1)
	if math.Abs(gotMean-mean) > 1e-9*math.Abs(mean) || math.Abs(gotVar-sq/float64(len(x))) > 1e-9*sq/float64(len(x)) {
		t.Fatalf("CombineMoments = %v, %v; want %v, %v", gotMean, gotVar, mean, sq/float64(len(x)))
	}
	if m, v := CombineMoments(nil, 0, 1); m != 0 || v != 0 {
		t.Fatalf("no planes: %v, %v", m, v)
	}
}
