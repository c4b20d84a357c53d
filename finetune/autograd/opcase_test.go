package autograd

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// opCase is one op under test, with inputs from a generator (big asks for
// sizes past the goroutine grain) and what a compressing tape does to its
// gradients: the same bits as an exact tape (codeTol < 0) or, where it
// keeps codes, gradients within codeTol of the exact ones (absolute; the
// seed lies in [−1, 1]). saved gives the activation bytes each tape keeps
// (inputs enter as activations, see asActivations).
type opCase struct {
	name     string
	f        forwardFn
	inputs   func(r *rand.Rand, big bool) []*Tensor
	eps, tol float64
	codeTol  float64
	unbiased []int // inputs whose compressed gradient is a stochastic estimate (tested by averaging)
	saved    func(in []*Tensor) (exact, compressed int64)
}

// checkOps runs, for each case, the finite-difference check on an exact
// tape and the exact-versus-compressed comparison.
func checkOps(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, uint64(len(c.name))))
			ins := c.inputs(r, false)
			checkGrad(t, c.f, ins, c.eps, c.tol)
			checkCompressed(t, c, ins)
		})
	}
}

// tapeGrads runs f on tp with the inputs as activations (views of
// parameters) and seed as dy, and returns the output values and each
// input's gradient.
func tapeGrads(t *testing.T, tp *Tape, f forwardFn, inputs []*Tensor, seed func(n int) []float32) (y []float32, g [][]float32) {
	t.Helper()
	ps, views := make([]*Tensor, len(inputs)), make([]*Tensor, len(inputs))
	for i, in := range inputs {
		ps[i] = Param(in.Shape, slices.Clone(in.Data))
		views[i] = tp.View(ps[i], in.Shape) // an activation, as inside a network
	}
	out, err := f(tp, views)
	must(t, err)
	y = slices.Clone(out.Data)
	must(t, tp.BackwardFrom(out, seed(len(out.Data))))
	for _, p := range ps {
		g = append(g, slices.Clone(p.Grad()))
	}
	return y, g
}

func seedOf(n int) []float32 { return randTensor(rand.New(rand.NewPCG(3, 1)), -1, 1, n).Data }

// checkCompressed compares a compressing tape's outputs (always the same
// bits) and gradients with an exact tape's.
func checkCompressed(t *testing.T, c opCase, ins []*Tensor) {
	t.Helper()
	ye, ge := tapeGrads(t, &Tape{}, c.f, ins, seedOf)
	yc, gc := tapeGrads(t, &Tape{Compress: true, Key: 5}, c.f, ins, seedOf)
	if !sameBits(ye, yc) {
		t.Fatal("a compressing tape changed the forward values")
	}
	for i := range ge {
		if slices.Contains(c.unbiased, i) {
			continue
		}
		for j := range ge[i] {
			d := math.Abs(float64(ge[i][j] - gc[i][j]))
			if c.codeTol < 0 && math.Float32bits(ge[i][j]) != math.Float32bits(gc[i][j]) || d > max(c.codeTol, 0)+1e-6*math.Abs(float64(ge[i][j])) {
				t.Fatalf("input %d element %d: compressed gradient %v, exact %v (tolerance %v)", i, j, gc[i][j], ge[i][j], c.codeTol)
			}
		}
	}
}

// allOpCases lists the cases of every op file's test.
func allOpCases() []opCase {
	var all []opCase
	for _, cs := range [][]opCase{sigmoidCases(), tanhCases(), erfCases(), geluCases(), softplusCases(), eluCases(),
		powerCases(), leakyCases(), hardSigmoidCases(), preluCases(), subCases(), divCases(), maxMinCases(), mulCases(),
		sliceCases(), padCases(), expandCases(), concatCases(), transposeCases(), reduceCases(), whereCases(), softmaxCases()} {
		all = append(all, cs...)
	}
	return all
}

// TestOpsBuffers: every op gives the same outputs and gradients (bit for
// bit) on a tape with poisoned Buffers, warm from a first pass, as without
// them: no op reads a buffer after giving it back or leaves part of an
// output it took unwritten.
func TestOpsBuffers(t *testing.T) {
	for _, c := range allOpCases() {
		for _, compress := range []bool{false, true} {
			ins := c.inputs(rand.New(rand.NewPCG(13, 1)), false)
			y0, g0 := tapeGrads(t, &Tape{Compress: compress, Key: 3}, c.f, ins, seedOf)
			b := NewBuffers()
			b.Poison()
			for range 2 {
				y1, g1 := tapeGrads(t, &Tape{Compress: compress, Key: 3, Buffers: b}, c.f, ins, seedOf)
				if !sameBits(y0, y1) || !slices.EqualFunc(g0, g1, sameBits) {
					t.Fatalf("%s (compress %v): results differ with recycled buffers", c.name, compress)
				}
			}
		}
	}
}

// TestOpsDeterministic: the same bits at GOMAXPROCS 1 and 8, on inputs
// large enough to be split across goroutines.
func TestOpsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range allOpCases() {
		ins := c.inputs(rand.New(rand.NewPCG(17, 1)), true)
		var ys [2][]float32
		var gs [2][][]float32
		for i, procs := range []int{1, 8} {
			runtime.GOMAXPROCS(procs)
			ys[i], gs[i] = tapeGrads(t, &Tape{Compress: true, Key: 9}, c.f, ins, seedOf)
		}
		if !sameBits(ys[0], ys[1]) || !slices.EqualFunc(gs[0], gs[1], sameBits) {
			t.Fatalf("%s: results depend on GOMAXPROCS", c.name)
		}
	}
}

// TestOpsSavedBytes holds Tape.SavedBytes to what each op's doc says it
// keeps, on both tapes.
func TestOpsSavedBytes(t *testing.T) {
	for _, c := range allOpCases() {
		if c.saved == nil {
			continue
		}
		ins := c.inputs(rand.New(rand.NewPCG(19, 1)), false)
		wantE, wantC := c.saved(ins)
		for _, tc := range []struct {
			compress bool
			want     int64
		}{{false, wantE}, {true, wantC}} {
			tp := &Tape{Compress: tc.compress}
			_, err := c.f(tp, asActivations(tp, ins))
			must(t, err)
			if got, _ := tp.SavedBytes(); got != tc.want {
				t.Errorf("%s (compress %v): saved %d activation bytes, want %d", c.name, tc.compress, got, tc.want)
			}
		}
	}
}

// asActivations makes each input an activation (a view of a parameter,
// which records nothing): what an op keeps of it counts as activation
// bytes, as it would inside a network.
func asActivations(tp *Tape, ins []*Tensor) []*Tensor {
	out := make([]*Tensor, len(ins))
	for i, in := range ins {
		out[i] = tp.View(Param(in.Shape, slices.Clone(in.Data)), in.Shape)
	}
	return out
}

// codeBytes is what Codes of bits per element take for shape: each
// channel's codes word-aligned, plus a float range (lo, hi) per channel.
func codeBytes(shape []int, bits int) int64 {
	n, c, inner := nci(shape)
	return int64(c) * (8*int64((n*inner*bits+63)/64) + 8)
}

// maskBytes is a one-bit-per-element mask of n elements.
func maskBytes(n int) int64 { return 8 * int64((n+63)/64) }

// floatBytes is a float32 reference to x.
func floatBytes(x *Tensor) int64 { return 4 * int64(len(x.Data)) }

// unaryIn is a generator of one tensor uniform in [lo, hi) at least gap
// from each kink.
func unaryIn(lo, hi, gap float32, kinks ...float32) func(r *rand.Rand, big bool) []*Tensor {
	return func(r *rand.Rand, big bool) []*Tensor {
		shape := []int{2, 3, 4, 5}
		if big {
			shape = []int{4, 8, 48, 48}
		}
		return []*Tensor{awayFrom(r, lo, hi, gap, kinks, shape...)}
	}
}
