package backend

import "errors"

// Buffer is the storage of a float32 tensor on one backend.
type Buffer interface {
	Len() int // elements
}

// Host is the CPU backend's Buffer: host memory.
type Host []float32

// Len is the number of elements.
func (h Host) Len() int { return len(h) }

// Saved is something other than a float tensor that an op keeps for its
// backward pass: stochastic codes, an exact mask, pooling indices.
type Saved interface {
	Bytes() int64 // memory held
}

// Moments are what a convolution hands the BatchNormalization that reads
// its output (the sums of each output plane), so that BN needs no
// statistics pass; nil when not taken. Opaque to the caller.
type Moments any

// Conv is a 2-D convolution over NCHW input.
type Conv struct {
	N, C, H, W, K, KH, KW                  int
	StrideH, StrideW, DilationH, DilationW int
	PadTop, PadLeft, PadBottom, PadRight   int
	Groups                                 int
}

// OutH is the output height.
func (p Conv) OutH() int { return (p.H+p.PadTop+p.PadBottom-(p.KH-1)*p.DilationH-1)/p.StrideH + 1 }

// OutW is the output width.
func (p Conv) OutW() int { return (p.W+p.PadLeft+p.PadRight-(p.KW-1)*p.DilationW-1)/p.StrideW + 1 }

// Pool is a 2-D pooling window over NCHW input with its output size.
type Pool struct {
	N, C, H, W, OH, OW                   int
	KH, KW, StrideH, StrideW             int
	PadTop, PadLeft, PadBottom, PadRight int
	CountIncludePad                      bool // AveragePool's divisor counts padding taps
}

// Broadcast is numpy broadcasting of two operands to Shape: Strides[i][d]
// is operand i's stride along output dimension d (0 where it is
// broadcast). Same means both operands have the output's shape.
type Broadcast struct {
	Shape   []int
	Strides [2][]int
	Same    bool
}

// BN is a training-mode batch normalization of an [N, C, Inner] tensor.
type BN struct {
	N, C, Inner int
	Eps         float32
	// Relu applies max(·, 0) to the output (a BatchNormalization whose only
	// reader is a ReLU).
	Relu bool
	// Save is what the forward pass keeps besides the statistics.
	Save BNSave
	// Bits is the code width of SaveCodes and SaveReluCodes.
	Bits int
	// Key and Stream seed the stochastic codes.
	Key, Stream uint64
}

// BNSave is what a batch normalization's forward pass saves for backward.
type BNSave int

const (
	// SaveInput keeps nothing of its own: backward reads the float input,
	// which the caller keeps.
	SaveInput BNSave = iota
	// SaveCodes keeps x̂ = (x − μ)/σ in Bits bits per element with
	// per-channel ranges and stochastic rounding.
	SaveCodes
	// SaveReluCodes keeps one code per element for BN, its ReLU and a
	// binary layer that reads the ReLU's output: bit 0 the exact mask, the
	// other bits x̂ rounded within its side of the ReLU threshold (Relu
	// must be set).
	SaveReluCodes
)

// BNStats are a batch normalization's per-channel statistics: the batch
// mean, the biased variance and 1/sqrt(variance + eps).
type BNStats struct {
	Mean, Var, InvStd Buffer
}

// BNGrad is the input of a batch normalization's backward pass.
type BNGrad struct {
	G Buffer // the output's gradient; masked in place for a fused ReLU
	// X is BN's float input (exact tape), or nil when Codes holds x̂.
	X Buffer
	// Codes are SaveCodes' or SaveReluCodes' codes (compressing tape).
	Codes Saved
	// ReluOut, on an exact tape with a fused ReLU, is the ReLU's output:
	// the gradient passes where it is positive.
	ReluOut             Buffer
	Gamma, Mean, InvStd Buffer
	// DX receives the input's gradient (nil: not needed); it may be G.
	// DGamma and DBeta receive the parameters' (overwritten).
	DX, DGamma, DBeta Buffer
	// Scratch, with Codes, is room for x̂ decoded: G's size, or on the
	// CPU, which decodes one channel per goroutine, N·Inner per goroutine.
	Scratch Buffer
}

// Backend runs the trainer's tensor operations on one kind of hardware.
// Outputs are overwritten unless the method says it accumulates ("+=").
type Backend interface {
	Name() string
	// Err returns the first failure since the last call and clears it.
	Err() error

	// Alloc returns a buffer of n elements with undefined contents.
	Alloc(n int) Buffer
	// Free gives a buffer back; it must not be used afterwards.
	Free(b Buffer)
	// Release gives back what a Saved holds.
	Release(s Saved)
	Upload(dst Buffer, src []float32)
	Download(dst []float32, src Buffer)
	Copy(dst, src Buffer)
	Fill(dst Buffer, v float32)

	// AddInto is acc += x.
	AddInto(acc, x Buffer)
	// Combine is dst = a·x + b·y + c, each product rounded, the sums left
	// to right; dst may be x or y.
	Combine(dst, x, y Buffer, a, b, c float32)
	// BroadcastAdd and BroadcastMul are y = a + b and y = a·b under bc.
	BroadcastAdd(y, a, b Buffer, bc Broadcast)
	BroadcastMul(y, a, b Buffer, bc Broadcast)
	// BroadcastGrad reduces dy onto each operand's shape: da = Σ dy (·b
	// for a product) in output order, db likewise; a nil da or db is
	// skipped. A product reads b only for da and a only for db, so the
	// operand only a skipped gradient reads may be nil (Mul saves no more).
	BroadcastGrad(mul bool, da, db, dy, a, b Buffer, bc Broadcast)

	// Relu is y = x, or 0 where x < 0 (NaN passes); y may be x.
	Relu(y, x Buffer)
	// ReluMask is Relu that also returns its exact mask (y > 0).
	ReluMask(y, x Buffer) Saved
	// Mask returns the exact mask lo < ref < hi, one bit per element.
	Mask(ref Buffer, lo, hi float32) Saved
	// ZeroOutside sets dy = 0 where ref is not strictly inside (lo, hi).
	ZeroOutside(dy, ref Buffer, lo, hi float32)
	// ZeroUnmasked sets dy = 0 where the mask's bit is clear.
	ZeroUnmasked(dy Buffer, mask Saved)
	// Clip is y = min(max(x, lo), hi).
	Clip(y, x Buffer, lo, hi float32)

	// Conv is y = conv(x, w) + bias (bias may be nil); with moments it
	// also returns the sums of each output plane for a BatchNormalization.
	Conv(p Conv, x, w, bias, y Buffer, moments bool) Moments
	// ConvBackwardData writes dx from dy and w.
	ConvBackwardData(p Conv, dy, w, dx Buffer)
	// ConvBackwardFilter writes dw from the input x and dy.
	ConvBackwardFilter(p Conv, x, dy, dw Buffer)
	// ConvBackwardFilterCodes is ConvBackwardFilter with the input decoded
	// from codes (EncodeInput's, or a fused BN+ReLU code's ReLU output).
	ConvBackwardFilterCodes(p Conv, x Saved, dy, dw Buffer)
	// ChannelSums writes Σ over n and inner of x [n, c, inner] per channel.
	ChannelSums(dst, x Buffer, n, c, inner int)

	// Gemm is c = alpha·op(a)·op(b) + beta·c, row-major.
	Gemm(transA, transB bool, m, n, k int, alpha float32, a Buffer, lda int, b Buffer, ldb int, beta float32, c Buffer, ldc int)
	// AddBias is y [m, n] += beta·C, C's element (i, j) at i·rs + j·cs.
	AddBias(y Buffer, m, n int, c Buffer, rs, cs int, beta float32)
	// BiasGrad is dc = Σ beta·dy onto C's broadcast shape (AddBias's).
	BiasGrad(dc, dy Buffer, m, n, rs, cs int, beta float32)

	// BatchNorm normalizes x with its batch statistics into y and saves
	// what a.Save asks; moments are the input's, from Conv (or nil).
	BatchNorm(a BN, x, gamma, beta, y Buffer, moments Moments) (BNStats, Saved)
	// BatchNormBackward writes the gradients of a batch normalization
	// (and of its fused ReLU).
	BatchNormBackward(a BN, g BNGrad)
	// BatchNormEval normalizes x with given (running) statistics.
	BatchNormEval(n, c, inner int, x, gamma, beta, mean, variance, y Buffer, eps float32)
	// RunningUpdate is run = run·momentum + batch·(1 − momentum).
	RunningUpdate(run, batch Buffer, momentum float32)

	// MaxPool writes the window maxima (padding never wins, the first
	// maximum in window order is kept) and returns each one's window
	// offset, one byte each when small, else four.
	MaxPool(p Pool, x, y Buffer, small bool) Saved
	// MaxPoolBackward is dx += dy at each maximum.
	MaxPoolBackward(p Pool, dy Buffer, arg Saved, dx Buffer)
	// AvgPool averages each window.
	AvgPool(p Pool, x, y Buffer)
	// AvgPoolBackward is dx += dy spread over each window.
	AvgPoolBackward(p Pool, dy, dx Buffer)

	// Softmax writes p = softmax(z/temp) per row of z [n, k] (in float64).
	Softmax(p, z Buffer, n, k int, temp float32)
	// CrossEntropy writes the softmax p of logits [n, k], the one-hot
	// target and loss[0] = weight·mean(−log p[label]), and returns the
	// number of rows whose first maximum is the label.
	CrossEntropy(loss, p, target, logits Buffer, labels []int32, n, k int, weight float32) int
	// KLDivergence writes loss[0] = kl·weight·T²/n, kl = Σ pt·(log pt −
	// log ps) in float64 over the elements with pt > 0 (ps and pt written by
	// Softmax at temperature T), the float32 products left to right.
	KLDivergence(loss, ps, pt Buffer, n int, temperature, weight float32)
	// LossGrad is d += coef·dy[0]·(p − target).
	LossGrad(d, p, target, dy Buffer, coef float32)

	// EncodeInput saves x [n, c, inner] in bits bits per element with
	// per-channel ranges and stochastic rounding.
	EncodeInput(x Buffer, n, c, inner, bits int, key, stream uint64) Saved
	// ReluInput views a SaveReluCodes code as the saved input of a binary
	// layer that reads the ReLU's output.
	ReluInput(code Saved) Saved
	// DecodeInput writes the decoded values of EncodeInput's or
	// ReluInput's codes.
	DecodeInput(q Saved, dst Buffer)

	// SGD is one step of SGD with momentum as PyTorch defines it.
	SGD(w, g, mom Buffer, lr, wd, mu float32, nesterov bool)
	// Binarize writes hat = s·sign(w) (sign(0) = +1) for a weight of out
	// output channels of fanIn values: rows of w, or columns when cols; s
	// per mode as internal/bits.RowScales.
	Binarize(hat, w Buffer, out, fanIn int, cols bool, mode string)
}

// ErrOutOfMemory is matched (errors.Is) by a device backend's error when
// an allocation does not fit in its memory.
var ErrOutOfMemory = errors.New("out of device memory")

// Memory is a device backend's account of its memory, in bytes: what its
// buffers hold (InUse), what it holds from the device including cached
// blocks (Reserved) and the most that has been since ResetPeak
// (PeakReserved), and what it could hold at most (Capacity: the device's
// free memory plus Reserved).
type Memory struct {
	InUse, Reserved, PeakReserved, Capacity uint64
}

// MemoryReporter is a backend that manages device memory.
type MemoryReporter interface {
	Memory() Memory
	// ResetPeak starts a new peak measurement from what is reserved now.
	ResetPeak()
	// ReleaseCache gives cached blocks back to the device.
	ReleaseCache()
}
