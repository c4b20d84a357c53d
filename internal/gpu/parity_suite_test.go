package gpu

import (
	"fmt"
	"math"
)

// ParityResult is one op's comparison of a backend with the reference.
type ParityResult struct {
	Op     string  `json:"op"`
	MaxAbs float64 `json:"max_abs"` // largest |got − want| over the op's outputs
	Tol    float64 `json:"tol"`     // allowed |got − want| / (1 + |want|); 0 means bit-exact
	OK     bool    `json:"ok"`
	Err    string  `json:"error,omitempty"`
}

// Parity runs every op of the Backend interface, and a whole training step
// (TrainStep), on b and on ref with the same pseudo-random inputs drawn
// from seed, and compares the outputs. Ops whose GPU kernel performs the
// same float operations in the same order as the reference must agree bit
// for bit (Tol 0): elementwise ops, im2col/col2im, pooling, SGD, binarizing
// and the stochastic codes. Reductions and GEMMs, whose summation order
// differs, agree within a relative tolerance.
func Parity(b, ref Backend, seed uint64) []ParityResult {
	var out []ParityResult
	for _, c := range parityCases() {
		r := ParityResult{Op: c.name, Tol: c.tol}
		got, err1 := c.run(b, newPRNG(seed))
		want, err2 := c.run(ref, newPRNG(seed))
		switch {
		case err1 != nil:
			r.Err = fmt.Sprintf("%s: %v", b.Name(), err1)
		case err2 != nil:
			r.Err = fmt.Sprintf("%s: %v", ref.Name(), err2)
		default:
			r.MaxAbs, r.OK = compare(got, want, c.tol)
			if len(got) != len(want) {
				r.Err = fmt.Sprintf("%d outputs, want %d", len(got), len(want))
				r.OK = false
			}
		}
		out = append(out, r)
	}
	return out
}

// compare returns the largest absolute difference and whether every value
// is within tol relative to 1 + |want| (bit-identical when tol = 0; NaN
// equals NaN).
func compare(got, want [][]float64, tol float64) (float64, bool) {
	worst, ok := 0.0, true
	for i := range min(len(got), len(want)) {
		if len(got[i]) != len(want[i]) {
			return math.Inf(1), false
		}
		for j, w := range want[i] {
			g := got[i][j]
			if math.IsNaN(g) && math.IsNaN(w) {
				continue
			}
			d := math.Abs(g - w)
			if math.IsNaN(d) {
				d = math.Inf(1)
			}
			worst = max(worst, d)
			if (tol == 0 && math.Float64bits(g) != math.Float64bits(w)) || d > tol*(1+math.Abs(w)) {
				ok = false
			}
		}
	}
	return worst, ok
}

// prng is a splitmix64 generator for test inputs (never a global source).
type prng struct{ s uint64 }

func newPRNG(seed uint64) *prng { return &prng{s: seed} }

func (p *prng) next() uint64 {
	p.s += golden
	return mix64(p.s)
}

// floats returns n values uniform in [lo, hi).
func (p *prng) floats(n int, lo, hi float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = lo + (hi-lo)*float32(p.next()>>40)/(1<<24)
	}
	return out
}

// intn returns a value in [0, n).
func (p *prng) intn(n int) int { return int(p.next() % uint64(n)) }

func f32s(xs ...[]float32) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = make([]float64, len(x))
		for j, v := range x {
			out[i][j] = float64(v)
		}
	}
	return out
}

func u64s(ws []uint64) []float64 {
	out := make([]float64, 2*len(ws))
	for i, w := range ws { // two exact halves: float64 holds 32-bit integers exactly
		out[2*i], out[2*i+1] = float64(w&0xffffffff), float64(w>>32)
	}
	return out
}

func u8s(bs []uint8) []float64 {
	out := make([]float64, len(bs))
	for i, b := range bs {
		out[i] = float64(b)
	}
	return out
}

// parityCase runs one op on a backend and returns its outputs.
type parityCase struct {
	name string
	tol  float64
	run  func(b Backend, r *prng) ([][]float64, error)
}
