package autograd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCodesUnbiased: for each width, the mean of decoded values over many
// keys approaches x within 5 standard errors (the per-element variance of
// stochastic rounding is (x−a)(b−x) for the grid neighbours a ≤ x ≤ b).
func TestCodesUnbiased(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 5))
	x := randTensor(r, -1, 3, 2, 3, 5)
	const draws = 2000
	for _, bits := range []int{1, 2, 4} {
		sum := make([]float64, len(x.Data))
		dec := make([]float32, len(x.Data))
		var q *Codes
		for d := range draws {
			q = Encode(x, bits, uint64(d), 1)
			q.Decode(dec)
			for i, v := range dec {
				sum[i] += float64(v)
			}
		}
		for i, v := range x.Data {
			ch := (i / 5) % 3
			step := float64(q.Hi[ch]-q.Lo[ch]) / float64(int(1)<<bits-1)
			frac := (float64(v-q.Lo[ch]) / step) - math.Floor(float64(v-q.Lo[ch])/step)
			sd := step * math.Sqrt(frac*(1-frac)/draws)
			if got := sum[i] / draws; math.Abs(got-float64(v)) > 5*sd+1e-6 {
				t.Errorf("%d bits, element %d: mean %v, want %v ± %v", bits, i, got, v, 5*sd)
			}
		}
	}
}

// TestCodesDeterministic: the same key gives the same codes; another key differs.
func TestCodesDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 5))
	x := randTensor(r, 0, 1, 4, 3, 8)
	a, b, c := Encode(x, 1, 42, 3), Encode(x, 1, 42, 3), Encode(x, 1, 43, 3)
	same, differ := true, false
	for i := range a.words {
		same = same && a.words[i] == b.words[i]
		differ = differ || a.words[i] != c.words[i]
	}
	if !same || !differ {
		t.Fatalf("same key equal: %v, other key differs: %v", same, differ)
	}
}

// TestCompressedConvGradUnbiased: the weight gradient from 1-bit saved
// inputs averages to the exact weight gradient; the input gradient (which
// needs no saved activation) is exact on every draw.
func TestCompressedConvGradUnbiased(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	x := randTensor(r, -1, 2, 2, 3, 5, 5)
	for i, v := range x.Data { // ReLU outputs: non-negative with exact zeros
		x.Data[i] = max(v, 0)
	}
	w := randTensor(r, -1, 1, 4, 3, 3, 3)
	a := ConvAttrs{PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	dy := randTensor(r, -1, 1, 2, 4, 5, 5).Data
	exactW, exactX := convGrads(t, &Tape{}, x, w, a, dy)
	const draws = 400
	sum, sq := make([]float64, len(exactW)), make([]float64, len(exactW))
	for d := range draws {
		gw, gx := convGrads(t, &Tape{Compress: true, Key: uint64(d + 1)}, x, w, a, dy)
		for i, v := range gw {
			sum[i] += float64(v)
			sq[i] += float64(v) * float64(v)
		}
		for i := range gx {
			if gx[i] != exactX[i] {
				t.Fatalf("draw %d: input gradient %d differs: %v vs %v", d, i, gx[i], exactX[i])
			}
		}
	}
	var noisy int
	for i, e := range exactW {
		mean := sum[i] / draws
		sd := math.Sqrt(math.Max(sq[i]/draws-mean*mean, 0) / draws)
		if sd > 1e-6 {
			noisy++
		}
		if math.Abs(mean-float64(e)) > 5*sd+1e-4 {
			t.Errorf("dW[%d]: mean over %d draws %v, exact %v (standard error %v)", i, draws, mean, e, sd)
		}
	}
	if noisy < len(exactW)/2 {
		t.Fatalf("only %d of %d weight gradients vary between draws: not stochastic", noisy, len(exactW))
	}
}

func convGrads(t *testing.T, tp *Tape, x, w *Tensor, a ConvAttrs, dy []float32) (gw, gx []float32) {
	t.Helper()
	xp, wp := Param(x.Shape, x.Data), Param(w.Shape, w.Data)
	y, err := tp.Conv(xp, wp, nil, a, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.BackwardFrom(y, dy); err != nil {
		t.Fatal(err)
	}
	return wp.Grad(), xp.Grad()
}

// TestImageDecoder: decoding one image at a time (what a binary conv's
// filter gradient takes) writes exactly what Decode writes, for plain codes
// of 1 and 2 bits and for a BN+ReLU code read as the ReLU's output.
func TestImageDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	x := randTensor(r, -2, 2, 3, 4, 5, 7)
	n, chw := x.Shape[0], len(x.Data)/x.Shape[0]
	codes := map[string]inputCode{"1-bit": Encode(x, 1, 5, 1), "2-bit": Encode(x, 2, 5, 2)}
	tp := &Tape{Compress: true, Key: 6}
	g, b := randTensor(r, -1, 1, 4), randTensor(r, -1, 1, 4)
	y, _, err := tp.BatchNormRelu(Param(x.Shape, x.Data), Param(g.Shape, g.Data), Param(b.Shape, b.Data), 1e-5)
	must(t, err)
	codes["bn+relu"] = tp.codes[keyOf(y)].(inputCode)
	for name, c := range codes {
		whole := make([]float32, len(x.Data))
		c.Decode(whole)
		image := c.imageDecoder()
		for i := range n {
			one := make([]float32, chw)
			image(i, one)
			if !slices.Equal(one, whole[i*chw:(i+1)*chw]) {
				t.Fatalf("%s: image %d decodes differently one at a time", name, i)
			}
		}
	}
}

// TestEncodeNormalized: encoding x̂ = a·x + b row by row from x gives the
// codes (and ranges) of encoding a written-out x̂, bit for bit, also when
// the range cannot come from x's (a NaN in b, a = +Inf) or there is
// nothing but NaN.
func TestEncodeNormalized(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	x := randTensor(r, -2, 2, 3, 4, 5, 5)
	nan := float32(math.NaN())
	allNaN := randTensor(r, -1, 1, 3, 4, 5, 5)
	for i := range allNaN.Data {
		if i/25%4 == 2 { // channel 2
			allNaN.Data[i] = nan
		}
	}
	for _, c := range []struct {
		name string
		x    *Tensor
		a, b float32
	}{{"finite", x, 1.7, -0.4}, {"NaN shift", x, 1.7, nan}, {"infinite scale", x, float32(math.Inf(1)), 0.1}, {"NaN channel", allNaN, 0.9, 0.2}} {
		for _, bits := range []int{1, 2, 4} {
			n, ch, inner := nci(c.x.Shape)
			xh := make([]float32, len(c.x.Data))
			for i, v := range c.x.Data {
				xh[i] = float32(c.a*v) + c.b
			}
			want, got := newCodes(n, ch, inner, bits), newCodes(n, ch, inner, bits)
			for k := range ch {
				want.encodeChannel(xh, k, newStream(7, 1, uint64(k)))
				got.encodeNormalized(c.x.Data, k, c.a, c.b, newStream(7, 1, uint64(k)))
			}
			if !slices.Equal(got.words, want.words) || !sameBits(got.Lo, want.Lo) || !sameBits(got.Hi, want.Hi) {
				t.Fatalf("%s, %d bits: codes or ranges differ from encoding x̂ written out", c.name, bits)
			}
		}
	}
}

// sameBits reports whether a and b hold the same float bits.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}
