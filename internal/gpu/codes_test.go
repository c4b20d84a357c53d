package gpu

import (
	"math"
	"slices"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
)

// The CPU trainer's codes are the reference: the same (key, stream) must
// give the same ranges and the same decoded values, bit for bit.
func TestCodesMatchTrainer(t *testing.T) {
	r := newPRNG(1)
	for _, tc := range []struct{ bits, n, c, inner int }{
		{1, 4, 3, 37}, {2, 2, 5, 16}, {4, 3, 2, 21}, {8, 1, 4, 9}, {1, 5, 1, 64}, {2, 1, 3, 1},
	} {
		x := r.floats(tc.n*tc.c*tc.inner, -1.5, 3)
		for i := 0; i < len(x); i += 3 {
			x[i] = max(x[i], 0) // ReLU-like zeros
		}
		key, stream := r.next(), uint64(r.intn(1000))
		q, err := NewCodes(tc.bits, tc.n, tc.c, tc.inner)
		if err != nil {
			t.Fatal(err)
		}
		EncodeCodes(q, x, key, stream)
		got := make([]float32, len(x))
		DecodeCodes(q, got)

		ref := autograd.Encode(autograd.New([]int{tc.n, tc.c, tc.inner}, x), tc.bits, key, stream)
		want := make([]float32, len(x))
		ref.Decode(want)
		if !slices.Equal(q.Lo, ref.Lo) || !slices.Equal(q.Hi, ref.Hi) {
			t.Errorf("%+v: ranges %v %v, trainer %v %v", tc, q.Lo, q.Hi, ref.Lo, ref.Hi)
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: element %d decodes to %v, trainer %v", tc, i, got[i], want[i])
			}
		}
		if q.Bytes() != ref.Bytes() {
			t.Errorf("%+v: %d bytes, trainer %d", tc, q.Bytes(), ref.Bytes())
		}
	}
}

func TestUniformStatistics(t *testing.T) {
	const n = 1 << 18
	start := StreamStart(42, 3, 7)
	var sum, sumsq, lag float64
	bins := make([]int, 16)
	prev := Uniform(start, 0)
	for i := range n {
		u := float64(Uniform(start, i))
		if u < 0 || u >= 1 {
			t.Fatalf("draw %d = %v outside [0, 1)", i, u)
		}
		sum += u
		sumsq += u * u
		lag += (u - 0.5) * (float64(prev) - 0.5)
		prev = float32(u)
		bins[int(u*16)]++
	}
	mean, variance := sum/n, sumsq/n-(sum/n)*(sum/n)
	// Standard errors: mean 0.29/sqrt(n) ≈ 5.6e-4; the bounds are ~6σ.
	if math.Abs(mean-0.5) > 3.5e-3 || math.Abs(variance-1.0/12) > 2e-3 {
		t.Errorf("mean %v, variance %v: want 0.5 and 1/12", mean, variance)
	}
	if c := lag / n / (1.0 / 12); math.Abs(c) > 0.012 {
		t.Errorf("lag-1 correlation %v", c)
	}
	chi := 0.0
	for _, b := range bins {
		d := float64(b) - n/16.0
		chi += d * d / (n / 16.0)
	}
	if chi > 45 { // 15 degrees of freedom: P(χ² > 45) ≈ 1e-4
		t.Errorf("chi-square over 16 bins = %v", chi)
	}
}

func TestStreamsDiffer(t *testing.T) {
	// Neighbouring keys, streams and channels must not give correlated draws.
	base := StreamStart(9, 1, 0)
	for _, s := range []uint64{StreamStart(10, 1, 0), StreamStart(9, 2, 0), StreamStart(9, 1, 1)} {
		var c float64
		const n = 1 << 14
		for i := range n {
			c += (float64(Uniform(base, i)) - 0.5) * (float64(Uniform(s, i)) - 0.5)
		}
		if c := c / n * 12; math.Abs(c) > 0.05 {
			t.Errorf("correlation %v between streams", c)
		}
	}
	if StreamStart(1, 2, 3) != StreamStart(1, 2, 3) || Uniform(7, 5) != Uniform(7, 5) {
		t.Error("the generator is not a pure function")
	}
}

func TestCodesUnbiased(t *testing.T) {
	// E[decode(encode(x))] = x for every value in the range, over keys.
	x := []float32{0, 0.1, 0.25, 0.5, 0.77, 1, 0.33, 0.9}
	for _, bits := range []int{1, 2} {
		const trials = 4000
		sum := make([]float64, len(x))
		q, _ := NewCodes(bits, 1, 1, len(x))
		dst := make([]float32, len(x))
		for k := range trials {
			EncodeCodes(q, x, uint64(k), 1)
			DecodeCodes(q, dst)
			for i, v := range dst {
				sum[i] += float64(v)
			}
		}
		for i, v := range x {
			// The variance of one decode is at most (range/L)²/4; 6σ bound.
			sd := 1 / float64(int(1)<<bits-1) / 2 / math.Sqrt(trials)
			if m := sum[i] / trials; math.Abs(m-float64(v)) > 6*sd {
				t.Errorf("%d bits: mean decode of %v = %v", bits, v, m)
			}
		}
	}
}

func TestCodesLayout(t *testing.T) {
	if _, err := NewCodes(3, 1, 1, 1); err == nil {
		t.Error("3-bit codes accepted")
	}
	q, _ := NewCodes(1, 2, 2, 40) // 80 codes per channel: 2 words, 48 padding bits
	x := make([]float32, q.Len())
	for i := range x {
		x[i] = 1 // constant channels: inv = 0, code = floor(U) = 0
	}
	x[0], x[q.Inner] = 5, -5 // channel 0 of sample 0, channel 1 of sample 0
	EncodeCodes(q, x, 1, 1)
	if q.WordsPerChannel() != 2 || len(q.Words) != 4 {
		t.Fatalf("words per channel %d, total %d", q.WordsPerChannel(), len(q.Words))
	}
	if q.Words[0]&1 != 1 || q.Words[2]&1 != 0 || q.Words[1]>>16 != 0 || q.Words[3]>>16 != 0 {
		t.Errorf("words %#x: the maximum must code 1, the minimum 0, padding 0", q.Words)
	}
}
