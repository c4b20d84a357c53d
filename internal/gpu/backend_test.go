package gpu

import "fmt"

// BNStats are training-mode batch normalization statistics per channel.
type BNStats struct{ Mean, Var, InvStd []float32 }

// Backend is the set of ops the trainer needs, on host slices: the surface
// the parity suite compares. The CPU reference (CPU) and a GPU device
// (Device.Host) implement it; tensors are NCHW float32, row-major. Every
// output slice is overwritten, never accumulated into.
type Backend interface {
	Name() string
	// Sgemm is C = alpha·op(A)·op(B) + beta·C, row-major.
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error
	// Im2col writes col [C·KH·KW][N·OH·OW] from x [N, C, H, W]; Col2im is
	// its adjoint (sums overlapping taps).
	Im2col(g ConvGeom, x, col []float32) error
	Col2im(g ConvGeom, col, dx []float32) error
	// Permute01 writes y [B][A][inner] from x [A][B][inner].
	Permute01(a, b, inner int, x, y []float32) error
	// BatchNormTrain normalizes x [n, c, inner] with its batch statistics.
	BatchNormTrain(n, c, inner int, x, gamma, beta, y []float32, eps float32) (BNStats, error)
	// BatchNormNormalize writes x̂ = (x − mean)·invstd (saved for backward).
	BatchNormNormalize(n, c, inner int, x []float32, st BNStats, xhat []float32) error
	// BatchNormBackward writes dx, dgamma, dbeta from dy and x̂.
	BatchNormBackward(n, c, inner int, dy, xhat, gamma []float32, st BNStats, dx, dgamma, dbeta []float32) error
	Relu(x, y []float32) error
	ReluMask(x []float32, mask []uint64) error
	ReluBackward(mask []uint64, dy, dx []float32) error
	Add(a, b, y []float32) error
	GlobalAvgPool(planes, hw int, x, y []float32) error
	GlobalAvgPoolBackward(planes, hw int, dy, dx []float32) error
	MaxPool(g PoolGeom, x, y []float32, arg []uint8) error
	MaxPoolBackward(g PoolGeom, dy []float32, arg []uint8, dx []float32) error
	// SoftmaxCrossEntropy returns weight·mean cross-entropy of logits [n, k]
	// and the top-1 hits, and writes its gradient.
	SoftmaxCrossEntropy(n, k int, logits []float32, labels []int32, weight float32, dlogits []float32) (float32, int, error)
	// SGDUpdate is one PyTorch SGD step with momentum and weight decay.
	SGDUpdate(w, g, buf []float32, lr, wd, mu float32, nesterov bool) error
	// RowAbsMean writes mean|w| per row of w [rows][cols].
	RowAbsMean(rows, cols int, w, scale []float32) error
	// SignScale writes ŵ = scale[row]·sign(w), sign(0) = +1.
	SignScale(rows, cols int, w, scale, what []float32) error
	// PackSigns packs sign bits in the .bnn convention (internal/bits).
	PackSigns(rows, cols int, w []float32, words []uint64) error
	// Encode fills q (allocated by NewCodes) from x; Decode inverts it.
	Encode(q *Codes, x []float32, key, stream uint64) error
	Decode(q *Codes, dst []float32) error
}

// checkLen reports slices shorter than an op needs.
func checkLen(op string, need int, slices ...int) error {
	for i, l := range slices {
		if l < need {
			return fmt.Errorf("gpu: %s: operand %d has %d elements, need %d", op, i, l, need)
		}
	}
	return nil
}

var (
	_ Backend = CPU{}
	_ Backend = Host{}
)
