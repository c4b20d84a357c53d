package schema

import (
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/ir"
)

// Conv's attributes (opsets 1-21).
type Conv struct {
	Window
	Group int64 // default 1
}

func parseConv(r *reader) any {
	a := &Conv{Window: readWindow(r, false, true), Group: r.int("group", 1)}
	if a.Group < 1 {
		r.failf("group", "group %d is not a positive group count", a.Group)
	}
	return a
}

// inferConv: X [N, C, spatial...], W [K, C/group, kernel...], B [K].
func inferConv(c *call) ([]Value, error) {
	a := c.Attrs.(*Conv)
	x, w := c.shape(0), c.shape(1)
	if len(x) < 3 {
		return nil, fmt.Errorf("input has shape %s, needs rank >= 3 (N, C, spatial...)", ir.FormatDims(x))
	}
	if len(w) != len(x) {
		return nil, fmt.Errorf("weight has shape %s, needs rank %d for input %s", ir.FormatDims(w), len(x), ir.FormatDims(x))
	}
	if err := checkGroups(x[1], w[0], w[1], a.Group); err != nil {
		return nil, err
	}
	if c.has(2) && (len(c.shape(2)) != 1 || !compatible(c.shape(2)[0], w[0])) {
		return nil, fmt.Errorf("bias has shape %s for %s output channels", ir.FormatDims(c.shape(2)), w[0])
	}
	kernel, _ := Ints(w[2:])
	if kernel == nil && a.KernelShape == nil {
		return one(c.dtype(0), append([]ir.Dim{x[0], w[0]}, unknowns(len(x)-2)...))
	}
	sp, err := a.outDims(x[2:], kernel, false, false)
	if err != nil {
		return nil, err
	}
	return one(c.dtype(0), append([]ir.Dim{x[0], w[0]}, sp...))
}

// checkGroups checks that group divides C and K and that the weight sees
// C/group channels.
func checkGroups(c, k, cg ir.Dim, g int64) error {
	if c.Known() && c.Size%g != 0 || k.Known() && k.Size%g != 0 {
		return fmt.Errorf("group %d does not divide input channels %s and output channels %s", g, c, k)
	}
	if c.Known() && cg.Known() && cg.Size*g != c.Size {
		return fmt.Errorf("the weight expects %d input channels (%s per group of %d), the input has %s", cg.Size*g, cg, g, c)
	}
	return nil
}

// compatible reports whether two dims may be equal.
func compatible(a, b ir.Dim) bool { return !a.Known() || !b.Known() || a.Size == b.Size }

func unknowns(n int) []ir.Dim {
	out := make([]ir.Dim, n)
	for i := range out {
		out[i] = unknown
	}
	return out
}

// MaxPool's attributes (opsets 1-21).
type MaxPool struct {
	Window
	CeilMode     bool  // opset 10+, default 0
	StorageOrder int64 // opset 8+, default 0 (row major); 1 is column major
}

func parseMaxPool(r *reader) any {
	a := &MaxPool{Window: readWindow(r, true, r.opset >= 10)}
	if r.opset >= 8 {
		a.StorageOrder = r.int("storage_order", 0)
		if a.StorageOrder != 0 && a.StorageOrder != 1 {
			r.failf("storage_order", "is %d, want 0 or 1", a.StorageOrder)
		}
	}
	if r.opset >= 10 {
		a.CeilMode = r.bool("ceil_mode", false)
	}
	return a
}

// AveragePool's attributes (opsets 1-21).
type AveragePool struct {
	Window
	CeilMode        bool // opset 10+, default 0
	CountIncludePad bool // opset 7+, default 0
}

func parseAveragePool(r *reader) any {
	a := &AveragePool{Window: readWindow(r, true, r.opset >= 19)}
	if r.opset >= 7 {
		a.CountIncludePad = r.bool("count_include_pad", false)
	}
	if r.opset >= 10 {
		a.CeilMode = r.bool("ceil_mode", false)
	}
	return a
}

// inferPool: X [N, C, spatial...]; MaxPool's Indices are int64 of Y's shape.
func inferPool(c *call) ([]Value, error) {
	var w *Window
	ceil := false
	switch a := c.Attrs.(type) {
	case *MaxPool:
		w, ceil = &a.Window, a.CeilMode
	case *AveragePool:
		w, ceil = &a.Window, a.CeilMode
	}
	x := c.shape(0)
	if len(x) < 3 {
		return nil, fmt.Errorf("input has shape %s, needs rank >= 3 (N, C, spatial...)", ir.FormatDims(x))
	}
	sp, err := w.outDims(x[2:], nil, ceil, true)
	if err != nil {
		return nil, err
	}
	y := append(clone(x[:2]), sp...)
	return []Value{{DType: c.dtype(0), Shape: y}, {DType: ir.Int64, Shape: clone(y)}}, nil
}

// inferGlobalPool keeps N and C and makes every spatial dim 1.
func inferGlobalPool(c *call) ([]Value, error) {
	x := c.shape(0)
	if len(x) < 3 {
		return nil, fmt.Errorf("input has shape %s, needs rank >= 3 (N, C, spatial...)", ir.FormatDims(x))
	}
	y := clone(x)
	for i := 2; i < len(y); i++ {
		y[i] = known(1)
	}
	return one(c.dtype(0), y)
}

// BatchNormalization's attributes (opsets 6-21).
type BatchNormalization struct {
	Epsilon      float32 // default 1e-5
	Momentum     float32 // default 0.9
	Spatial      bool    // opsets 6-8, default 1; 0 (per-activation statistics) is not implemented
	TrainingMode bool    // the training_mode attribute (opset 14+, default 0), or a named statistics output
	// StatsOutput is the first named output after Y, "" when none: ONNX
	// computes the running (and before opset 14 the saved) statistics
	// only in training mode, which before opset 14 has no attribute.
	StatsOutput string
}

func parseBatchNorm(r *reader) any {
	a := &BatchNormalization{Epsilon: r.float("epsilon", 1e-5), Momentum: r.float("momentum", 0.9), Spatial: true}
	if r.opset < 7 {
		r.bool("is_test", false) // inference either way here
	}
	if r.opset < 9 {
		a.Spatial = r.bool("spatial", true)
		if !a.Spatial {
			r.unsupportedf("spatial", "is 0 (per-activation statistics)")
		}
	}
	if r.opset >= 14 {
		a.TrainingMode = r.bool("training_mode", false)
	}
	if len(r.n.Outputs) > 1 {
		if i := slices.IndexFunc(r.n.Outputs[1:], func(o string) bool { return o != "" }); i >= 0 {
			a.StatsOutput, a.TrainingMode = r.n.Outputs[1+i], true
		}
	}
	return a
}

// inferBatchNorm: X [N, C, ...] and scale, B, mean, var of [C]; the
// training outputs are running mean and variance [C] (and before opset 14
// the saved mean and variance).
func inferBatchNorm(c *call) ([]Value, error) {
	x := c.shape(0)
	if len(x) < 2 {
		return nil, fmt.Errorf("input has shape %s, needs rank >= 2", ir.FormatDims(x))
	}
	for i, name := range []string{"scale", "B", "mean", "var"} {
		if s := c.shape(i + 1); len(s) != 1 || !compatible(s[0], x[1]) {
			return nil, fmt.Errorf("%s has shape %s for %s channels", name, ir.FormatDims(s), x[1])
		}
	}
	out := []Value{{DType: c.dtype(0), Shape: clone(x)}}
	for range 4 {
		out = append(out, Value{DType: c.dtype(3), Shape: []ir.Dim{x[1]}})
	}
	return out, nil
}

// Gemm's attributes (opsets 6-21).
type Gemm struct {
	Alpha, Beta    float32 // default 1
	TransA, TransB bool    // default 0
}

func parseGemm(r *reader) any {
	if r.opset < 7 {
		r.bool("broadcast", false) // opset 6: C broadcasts either way here
	}
	return &Gemm{Alpha: r.float("alpha", 1), Beta: r.float("beta", 1), TransA: r.bool("transA", false), TransB: r.bool("transB", false)}
}

// inferGemm: op(A) [M, K] times op(B) [K, N]; C broadcasts to [M, N].
func inferGemm(c *call) ([]Value, error) {
	a := c.Attrs.(*Gemm)
	as, bs := c.shape(0), c.shape(1)
	if len(as) != 2 || len(bs) != 2 {
		return nil, fmt.Errorf("A %s and B %s must be matrices", ir.FormatDims(as), ir.FormatDims(bs))
	}
	m, k := as[0], as[1]
	if a.TransA {
		m, k = k, m
	}
	kb, n := bs[0], bs[1]
	if a.TransB {
		kb, n = n, kb
	}
	if !compatible(k, kb) {
		return nil, fmt.Errorf("A %s (transA=%v) and B %s (transB=%v) disagree on the inner dimension", ir.FormatDims(as), a.TransA, ir.FormatDims(bs), a.TransB)
	}
	y := []ir.Dim{m, n}
	if c.has(2) {
		if b, err := broadcastDims(y, c.shape(2)); err != nil || len(b) != 2 || !compatible(b[0], m) || !compatible(b[1], n) {
			return nil, fmt.Errorf("C %s does not broadcast to [%s %s]", ir.FormatDims(c.shape(2)), m, n)
		}
	}
	return one(c.dtype(0), y)
}

// inferMatMul is numpy's matmul: batched with broadcasting, 1-D operands
// promoted and the added dim removed again.
func inferMatMul(c *call) ([]Value, error) {
	as, bs := c.shape(0), c.shape(1)
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("operands %s and %s must have rank >= 1", ir.FormatDims(as), ir.FormatDims(bs))
	}
	a, b := as, bs
	if len(a) == 1 {
		a = []ir.Dim{known(1), a[0]}
	}
	if len(b) == 1 {
		b = []ir.Dim{b[0], known(1)}
	}
	if !compatible(a[len(a)-1], b[len(b)-2]) {
		return nil, fmt.Errorf("shapes %s and %s disagree on the inner dimension", ir.FormatDims(as), ir.FormatDims(bs))
	}
	batch, err := broadcastDims(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return nil, err
	}
	y := batch
	if len(as) > 1 {
		y = append(y, a[len(a)-2])
	}
	if len(bs) > 1 {
		y = append(y, b[len(b)-1])
	}
	return one(c.dtype(0), y)
}

// Flatten's attributes (opsets 1-21).
type Flatten struct {
	Axis int64 // default 1; in [-rank, rank]
}

func parseFlatten(r *reader) any { return &Flatten{Axis: r.int("axis", 1)} }

func inferFlatten(c *call) ([]Value, error) {
	x := c.shape(0)
	a := c.Attrs.(*Flatten).Axis
	if a < 0 {
		a += int64(len(x))
	}
	if a < 0 || a > int64(len(x)) {
		return nil, fmt.Errorf("axis %d is out of range for rank %d", c.Attrs.(*Flatten).Axis, len(x))
	}
	return one(c.dtype(0), []ir.Dim{productDims(x[:a]), productDims(x[a:])})
}

// Dropout's attributes (opsets 6-21). From opset 12 the ratio and
// training mode are inputs.
type Dropout struct {
	Ratio float32 // before opset 12, default 0.5
	Seed  *int64  // opset 12+, optional
}

func parseDropout(r *reader) any {
	a := &Dropout{Ratio: 0.5}
	if r.opset < 7 {
		r.bool("is_test", false) // inference either way here
	}
	if r.opset < 12 {
		a.Ratio = r.float("ratio", 0.5)
	} else {
		a.Seed = r.optInt("seed")
	}
	return a
}

// DropoutMode is how a Dropout node runs.
type DropoutMode int

const (
	// DropoutIdentity is inference, or training with ratio 0: Y is X and
	// the mask all true.
	DropoutIdentity DropoutMode = iota
	// DropoutRandom is training with a non-zero ratio (or one known only
	// when the graph runs): it zeroes random elements, which no stage
	// implements.
	DropoutRandom
	// DropoutRunTime is a training_mode known only when the graph runs.
	DropoutRunTime
)

// DropoutModeOf reads a Dropout node's mode from its inputs' values: from
// opset 12 ratio (default 0.5) and training_mode (default false) are
// inputs, constants in PyTorch's export; before, there is no training mode
// here (opset 6's is_test is read as inference). Check's limits and the
// simplifier both decide by it, so what one keeps the other judges.
func DropoutModeOf(n *Node, in []Value) DropoutMode {
	if n.Opset < 12 || n.Input(2) == "" || len(in) < 3 {
		return DropoutIdentity
	}
	train, ok := constScalar(in[2])
	switch {
	case !ok:
		return DropoutRunTime
	case train == 0:
		return DropoutIdentity
	case n.Input(1) == "":
		return DropoutRandom // the default ratio, 0.5
	}
	if ratio, ok := constScalar(in[1]); ok && ratio == 0 {
		return DropoutIdentity
	}
	return DropoutRandom
}

// constScalar returns the one element of a constant value.
func constScalar(v Value) (float32, bool) {
	if v.Const == nil || v.Const.Len() != 1 {
		return 0, false
	}
	f, err := v.Const.Float32s()
	if err != nil {
		return 0, false
	}
	return f[0], true
}

// inferDropout: Y as X; the mask is bool (opset 10+) or X's type.
func inferDropout(c *call) ([]Value, error) {
	mask := ir.Bool
	if c.Opset < 10 {
		mask = c.dtype(0)
	}
	return []Value{{DType: c.dtype(0), Shape: clone(c.shape(0))}, {DType: mask, Shape: clone(c.shape(0))}}, nil
}

// Softmax's (and LogSoftmax's) attributes (opsets 1-21).
type Softmax struct {
	Axis int64 // default 1 before opset 13 (2-D coercion), -1 from 13
}

func parseSoftmax(r *reader) any {
	def := int64(-1)
	if r.opset < 13 {
		def = 1
	}
	return &Softmax{Axis: r.int("axis", def)}
}

func inferSoftmax(c *call) ([]Value, error) {
	r := len(c.shape(0))
	a := c.Attrs.(*Softmax).Axis
	if r == 0 {
		return nil, fmt.Errorf("input must have rank >= 1")
	}
	if _, err := Axis(a, r); err != nil && !(c.Opset < 13 && a == int64(r)) {
		return nil, err // before 13, coercing at the rank is allowed: rows of one column
	}
	return c.same()
}
