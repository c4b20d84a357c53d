package gpu

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
)

// The parity suite holds the GPU backend to the CPU backend (autograd.CPU,
// the trainer's own arithmetic over internal/kernels) op by op, forward
// and backward, and over whole training steps of the real autograd tape.
// Each case runs on both backends with the same inputs and returns its
// outputs on the host; Tol 0 means bit for bit (element-wise ops, pooling,
// masks, codes, statistics, SGD, binarizing), else a relative tolerance
// (sums in another order: GEMMs, convolutions, BN's backward sums).

// ParityResult is one case's comparison.
type ParityResult struct {
	Op     string  `json:"op"`
	MaxAbs float64 `json:"max_abs"`
	Tol    float64 `json:"tol"` // allowed |got − want| / (1 + |want|); 0: bit-exact
	OK     bool    `json:"ok"`
	Err    string  `json:"error,omitempty"`
}

// parityCase runs one op on a backend and returns its outputs.
type parityCase struct {
	name string
	tol  float64
	run  func(be backend.Backend, r *prng) ([][]float64, error)
}

// parity runs every case on gpu and on the CPU with inputs drawn from seed.
func parity(gpu backend.Backend, seed uint64) []ParityResult {
	var out []ParityResult
	for _, c := range parityCases() {
		res := ParityResult{Op: c.name, Tol: c.tol}
		got, err1 := c.run(gpu, newPRNG(seed))
		want, err2 := c.run(autograd.CPU{}, newPRNG(seed))
		if err1 == nil {
			err1 = gpu.Err()
		}
		switch {
		case err1 != nil:
			res.Err = fmt.Sprintf("%s: %v", gpu.Name(), err1)
		case err2 != nil:
			res.Err = fmt.Sprintf("cpu: %v", err2)
		case len(got) != len(want):
			res.Err = fmt.Sprintf("%d outputs, want %d", len(got), len(want))
		default:
			res.MaxAbs, res.OK = compare(got, want, c.tol)
		}
		out = append(out, res)
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
			if (math.IsNaN(g) && math.IsNaN(w)) || (g == w && math.Signbit(g) == math.Signbit(w)) {
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

// checkParity fails t on every case that disagrees.
func checkParity(t *testing.T, gpu backend.Backend) []ParityResult {
	t.Helper()
	res := parity(gpu, 12345)
	for _, r := range res {
		if !r.OK {
			t.Errorf("%s vs cpu: %s: max |Δ| %g (tol %g) %s", gpu.Name(), r.Op, r.MaxAbs, r.Tol, r.Err)
		}
	}
	return res
}

// A backend that differs must fail: perturb one op and see the suite
// notice, and only there.
type brokenRelu struct{ autograd.CPU }

func (brokenRelu) Name() string { return "broken" }
func (brokenRelu) Relu(y, x backend.Buffer) {
	autograd.CPU{}.Relu(y, x)
	h := y.(backend.Host)
	h[3] = math.Nextafter32(h[3], 2)
}

func TestParityDetectsDifferences(t *testing.T) {
	failed := map[string]bool{}
	for _, r := range parity(brokenRelu{}, 1) {
		if !r.OK {
			failed[r.Op] = true
		}
	}
	if !failed["relu"] {
		t.Error("a one-ulp ReLU difference passed the bit-exact check")
	}
	for op := range failed {
		if op != "relu" && op != "train step exact" {
			t.Errorf("%s failed though only ReLU's forward (exact tape) differs", op)
		}
	}
}

// TestDeviceParity runs the suite on a real GPU; it skips without one. With
// BINCOMPRESS_GPU_REPORT set it writes the results there as JSON.
func TestDeviceParity(t *testing.T) {
	d := openOrSkip(t)
	defer d.Close()
	t.Log(d.String(), d.Libraries)
	res := checkParity(t, d.Backend())
	if p := os.Getenv("BINCOMPRESS_GPU_REPORT"); p != "" {
		data, err := json.MarshalIndent(map[string]any{"device": d.String(), "libraries": d.Libraries, "parity": res}, "", "  ")
		if err == nil {
			err = os.WriteFile(p, data, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
	}
}

// openOrSkip opens the GPU, skipping where there is none (ErrNoGPU) and
// failing when CUDA is there but the backend cannot start (a kernel that
// NVRTC rejects, a missing symbol): that is a bug, not a missing GPU.
func openOrSkip(t *testing.T) *Device {
	t.Helper()
	d, err := Open()
	if errors.Is(err, ErrNoGPU) {
		t.Skip("no GPU: " + err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// prng is a splitmix64 generator for test inputs (never a global source).
type prng struct{ s uint64 }

func newPRNG(seed uint64) *prng { return &prng{s: seed} }

func (p *prng) next() uint64 {
	p.s += 0x9e3779b97f4a7c15
	z := p.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// floats returns n values uniform in [lo, hi).
func (p *prng) floats(n int, lo, hi float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = lo + (hi-lo)*float32(p.next()>>40)/(1<<24)
	}
	return out
}

func (p *prng) intn(n int) int { return int(p.next() % uint64(n)) }

// up puts host values on be; down reads a buffer back.
func up(be backend.Backend, v []float32) backend.Buffer {
	b := be.Alloc(len(v))
	be.Upload(b, v)
	return b
}

func down(be backend.Backend, b backend.Buffer) []float64 {
	v := make([]float32, b.Len())
	be.Download(v, b)
	return f64(v)
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// words are two exact float64 halves per 64-bit word.
func words(ws []uint64) []float64 {
	out := make([]float64, 2*len(ws))
	for i, w := range ws {
		out[2*i], out[2*i+1] = float64(w&0xffffffff), float64(w>>32)
	}
	return out
}

// codeWords reads a saved code's packed words on either backend.
func codeWords(be backend.Backend, s backend.Saved) []float64 {
	switch q := s.(type) {
	case interface{ Words() []uint64 }:
		return words(q.Words())
	case *Codes:
		return deviceWords(be.(*Backend), q.words, q.c*q.wordsPerChannel())
	case *ReluCode:
		return deviceWords(be.(*Backend), q.words, q.c*q.wordsPerChannel())
	case *Mask:
		return deviceWords(be.(*Backend), q.words, (q.n+63)/64)
	}
	panic(fmt.Sprintf("no words in %T", s))
}

func deviceWords(b *Backend, w Buffer, n int) []float64 {
	v := make([]uint64, n)
	b.fail(b.d.Download(v, w))
	return words(v)
}
