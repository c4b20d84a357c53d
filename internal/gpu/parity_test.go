package gpu

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/kernels"
)

// checkParity fails t on every op that disagrees.
func checkParity(t *testing.T, b, ref Backend) []ParityResult {
	t.Helper()
	res := Parity(b, ref, 12345)
	if len(res) < 20 {
		t.Fatalf("only %d parity cases", len(res))
	}
	for _, r := range res {
		if !r.OK {
			t.Errorf("%s vs %s: %s: max |Δ| %g (tol %g) %s", b.Name(), ref.Name(), r.Op, r.MaxAbs, r.Tol, r.Err)
		}
	}
	return res
}

// The CPU side of the suite runs everywhere: the reference against itself
// exercises every case and its comparison.
func TestParityCPU(t *testing.T) { checkParity(t, CPU{}, CPU{}) }

// A backend that differs must fail: perturb one op and see the suite notice.
type brokenRelu struct{ CPU }

func (brokenRelu) Name() string { return "broken" }
func (brokenRelu) Relu(x, y []float32) error {
	CPU{}.Relu(x, y)
	y[3] = math.Nextafter32(y[3], 2)
	return nil
}

func TestParityDetectsDifferences(t *testing.T) {
	for _, r := range Parity(brokenRelu{}, CPU{}, 1) {
		wantOK := r.Op != "relu" && r.Op != "train step exact" && r.Op != "train step compressed"
		if r.Op == "relu" && r.OK {
			t.Error("a one-ulp ReLU difference passed the bit-exact check")
		}
		if wantOK && !r.OK {
			t.Errorf("%s failed: %+v", r.Op, r)
		}
	}
}

// TestDeviceParity runs the suite on a real GPU; it skips without one. With
// BINCOMPRESS_GPU_REPORT set it writes the results there as JSON.
func TestDeviceParity(t *testing.T) {
	d := openOrSkip(t)
	defer d.Close()
	t.Log(d.String(), d.Libraries)
	res := checkParity(t, d.Host(), CPU{})
	if p := os.Getenv("BINCOMPRESS_GPU_REPORT"); p != "" {
		data, _ := json.MarshalIndent(map[string]any{"device": d.String(), "libraries": d.Libraries, "parity": res}, "", "  ")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// convViaColumns runs a convolution forward and backward the way the GPU does (im2col,
// one GEMM, permute) on the CPU reference.
func convViaColumns(t *testing.T, g ConvGeom, x, w, dy []float32) (y, dx, dw []float32) {
	var b Backend = CPU{}
	col := make([]float32, g.Rows()*g.Cols())
	yk, dyk := make([]float32, g.K*g.Cols()), make([]float32, g.K*g.Cols())
	y, dw = make([]float32, len(yk)), make([]float32, len(w))
	dcol, dx := make([]float32, len(col)), make([]float32, len(x))
	must(t, b.Im2col(g, x, col))
	must(t, b.Sgemm(false, false, g.K, g.Cols(), g.Rows(), 1, w, g.Rows(), col, g.Cols(), 0, yk, g.Cols()))
	must(t, b.Permute01(g.K, g.N, g.OH*g.OW, yk, y))
	must(t, b.Permute01(g.N, g.K, g.OH*g.OW, dy, dyk))
	must(t, b.Sgemm(false, true, g.K, g.Rows(), g.Cols(), 1, dyk, g.Cols(), col, g.Cols(), 0, dw, g.Rows()))
	must(t, b.Sgemm(true, false, g.Rows(), g.Cols(), g.K, 1, w, g.Rows(), dyk, g.Cols(), 0, dcol, g.Cols()))
	must(t, b.Col2im(g, dcol, dx))
	return y, dx, dw
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The column formulation must agree with package kernels' convolutions.
func TestConvColumnsMatchKernels(t *testing.T) {
	r := newPRNG(3)
	for _, g := range parityConvs {
		p := kernels.ConvParams{N: g.N, C: g.C, H: g.H, W: g.W, K: g.K, KH: g.KH, KW: g.KW, StrideH: g.StrideH,
			StrideW: g.StrideW, PadTop: g.PadTop, PadLeft: g.PadLeft, DilationH: g.DilH, DilationW: g.DilW, Groups: 1}
		p.PadBottom = max(0, (g.OH-1)*g.StrideH+(g.KH-1)*g.DilH+1-g.H-g.PadTop)
		p.PadRight = max(0, (g.OW-1)*g.StrideW+(g.KW-1)*g.DilW+1-g.W-g.PadLeft)
		if p.OutH() != g.OH || p.OutW() != g.OW {
			t.Fatalf("geometry %+v: kernels gives %dx%d", g, p.OutH(), p.OutW())
		}
		x, w := r.floats(g.N*g.C*g.H*g.W, -1, 1), r.floats(g.K*g.Rows(), -1, 1)
		dy := r.floats(g.N*g.K*g.OH*g.OW, -1, 1)
		y, dx, dw := convViaColumns(t, g, x, w, dy)
		wy, wdx, wdw := make([]float32, len(y)), make([]float32, len(dx)), make([]float32, len(dw))
		kernels.Conv2D(p, x, w, nil, wy)
		kernels.Conv2DBackwardData(p, dy, w, wdx)
		kernels.Conv2DBackwardFilter(p, x, dy, wdw)
		if d, ok := compare(f32s(y, dx, dw), f32s(wy, wdx, wdw), 1e-5); !ok {
			t.Errorf("geometry %+v: max |Δ| %g against package kernels", g, d)
		}
	}
}

// BN, loss and pooling against the CPU trainer's autograd ops.
func TestOpsMatchTrainer(t *testing.T) {
	r := newPRNG(4)
	n, c, inner := 3, 4, 25
	x, gamma, beta := r.floats(n*c*inner, -2, 3), r.floats(c, 0.5, 1.5), r.floats(c, -1, 1)
	dy := r.floats(len(x), -1, 1)
	tx, tg, tb := autograd.Param([]int{n, c, 5, 5}, x), autograd.Param([]int{c}, gamma), autograd.Param([]int{c}, beta)
	tp := &autograd.Tape{}
	ty, tst, err := tp.BatchNormTrain(tx, tg, tb, 1e-5)
	must(t, err)
	must(t, tp.BackwardFrom(ty, dy))

	var b CPU
	y, xh := make([]float32, len(x)), make([]float32, len(x))
	st, err := b.BatchNormTrain(n, c, inner, x, gamma, beta, y, 1e-5)
	must(t, err)
	must(t, b.BatchNormNormalize(n, c, inner, x, st, xh))
	dx, dg, db := make([]float32, len(x)), make([]float32, c), make([]float32, c)
	must(t, b.BatchNormBackward(n, c, inner, dy, xh, gamma, st, dx, dg, db))
	if d, ok := compare(f32s(y, st.Mean, st.Var, dx, dg, db), f32s(ty.Data, tst.Mean, tst.Var, tx.Grad(), tg.Grad(), tb.Grad()), 1e-6); !ok {
		t.Errorf("batchnorm: max |Δ| %g against autograd", d)
	}

	logits := r.floats(5*7, -3, 3)
	labels := []int32{0, 6, 3, 3, 1}
	tl := autograd.Param([]int{5, 7}, logits)
	tp2 := &autograd.Tape{}
	loss, hits, err := tp2.CrossEntropy(tl, []int{0, 6, 3, 3, 1}, 0.5)
	must(t, err)
	must(t, tp2.Backward(loss))
	dl := make([]float32, len(logits))
	gl, gh, err := b.SoftmaxCrossEntropy(5, 7, logits, labels, 0.5, dl)
	must(t, err)
	if d, ok := compare(f32s(dl, []float32{gl}), f32s(tl.Grad(), loss.Data), 1e-6); !ok || gh != hits {
		t.Errorf("cross-entropy: max |Δ| %g, hits %d vs %d", d, gh, hits)
	}

	g := parityPool
	px := r.floats(g.Planes*g.H*g.W, -1, 1)
	pdy := r.floats(g.Planes*g.OH*g.OW, -1, 1)
	tpx := autograd.Param([]int{2, 3, g.H, g.W}, px)
	tp3 := &autograd.Tape{}
	tpy, err := tp3.MaxPool(tpx, autograd.PoolAttrs{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1})
	must(t, err)
	must(t, tp3.BackwardFrom(tpy, pdy))
	py, arg, pdx := make([]float32, len(pdy)), make([]uint8, len(pdy)), make([]float32, len(px))
	must(t, b.MaxPool(g, px, py, arg))
	must(t, b.MaxPoolBackward(g, pdy, arg, pdx))
	if d, ok := compare(f32s(py, pdx), f32s(tpy.Data, tpx.Grad()), 0); !ok {
		t.Errorf("max pool: max |Δ| %g against autograd", d)
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
