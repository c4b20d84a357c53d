package infer

import (
	"fmt"
	"sync"

	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// bincompressOps holds the ops of the "ai.bincompress" domain, the binary
// layers of a .bnn (docs/bnn-format.md is their spec). Their weights stay
// packed: internal/kernels unpacks a cache-sized panel at a time.
var bincompressOps = map[string]opFunc{
	"BinaryConv": opBinaryConv,
	"BinaryGemm": opBinaryGemm,
}

// binaryParams are a binary layer's packed rows, multiplier and bias.
type binaryParams struct {
	words      []uint64
	rows, wpr  int
	mult, bias []float32
}

// readBinary checks W_bits [K, words], multiplier [K] and bias [K].
func readBinary(in []*ir.Tensor) (binaryParams, error) {
	wb := in[1]
	words, ok := wb.Data.([]uint64)
	if wb.DType != ir.Uint64 || !ok || len(wb.Shape) != 2 || len(words) != wb.Shape[0]*wb.Shape[1] {
		return binaryParams{}, fmt.Errorf("W_bits is %v%v, want a uint64 matrix", wb.DType, wb.Shape)
	}
	p := binaryParams{words: words, rows: wb.Shape[0], wpr: wb.Shape[1]}
	var err error
	if p.mult, err = floats(in[2], "multiplier"); err != nil {
		return p, err
	}
	if p.bias, err = floats(in[3], "bias"); err != nil {
		return p, err
	}
	if len(p.mult) != p.rows || len(p.bias) != p.rows {
		return p, fmt.Errorf("W_bits has %d rows, multiplier %d and bias %d values", p.rows, len(p.mult), len(p.bias))
	}
	return p, nil
}

// checkFanIn checks that each packed row holds fanIn bits.
func (p binaryParams) checkFanIn(fanIn int) error {
	if w := bits.WordsPerRow(fanIn); w != p.wpr {
		return fmt.Errorf("W_bits has %d words per row, fan-in %d needs %d", p.wpr, fanIn, w)
	}
	return nil
}

// opBinaryConv is Conv with packed ±1 weights, then multiplier·y + bias per
// output channel. kernel_shape and channels are required.
func opBinaryConv(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a := attrs[schema.BinaryConv](c)
	n, x := c.node.Node, in[0]
	bp, err := readBinary(in)
	if err != nil {
		return nil, err
	}
	if err := bp.checkFanIn(a.FanIn()); err != nil {
		return nil, err
	}
	ks := a.KernelShape
	p, err := convParams(&a.Window, int(a.Group), x.Shape, []int{bp.rows, int(a.Channels / a.Group), int(ks[0]), int(ks[1])})
	if err != nil {
		return nil, err
	}
	y, ys, err := c.f32Overwritten(c.shape(0))
	if err != nil {
		return nil, err
	}
	xs, err := floats(x, "input")
	if err != nil {
		return nil, err
	}
	ep := c.epilogue(y)
	if c.int8 && kernels.BinaryConv2DInt8Packed(p, xs, c.int8Weights(n, in[1], p, bp.words), bp.mult, bp.bias, ys, ep) {
		return []*ir.Tensor{y}, nil
	}
	if kernels.FastSignClasses() { // also when x is not finite
		kernels.BinaryConv2DClasses(p, xs, c.signClasses(n, in[1], p, bp.words), bp.mult, bp.bias, ys, ep)
	} else {
		kernels.BinaryConv2DEpilogue(p, xs, bp.words, bp.mult, bp.bias, ys, ep)
	}
	return []*ir.Tensor{y}, nil
}

// opBinaryGemm is Y[..., n] = multiplier[n]·Σ_k A[..., k]·sign(W[n, k]) +
// bias[n]; with transA = 1, A is a [K, M] matrix.
func opBinaryGemm(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error) {
	at := attrs[schema.BinaryGemm](c)
	bp, err := readBinary(in)
	if err != nil {
		return nil, err
	}
	k := int(at.InFeatures)
	if err := bp.checkFanIn(k); err != nil {
		return nil, err
	}
	a := in[0]
	m := product(c.shape(0)) / max(bp.rows, 1)
	y, ys, err := c.f32(c.shape(0))
	if err != nil {
		return nil, err
	}
	as, err := floats(a, "A")
	if err != nil {
		return nil, err
	}
	if at.TransA {
		as = transposed(as, k, m)
	}
	kernels.BinaryGemm(m, bp.rows, k, as, bp.words, bp.mult, bp.bias, ys)
	return []*ir.Tensor{y}, nil
}

// transposed returns the [cols, rows] transpose of a row-major [rows, cols]
// matrix.
func transposed(a []float32, rows, cols int) []float32 {
	out := make([]float32, len(a))
	for r := range rows {
		for j := range cols {
			out[j*rows+r] = a[r*cols+j]
		}
	}
	return out
}

// int8Weights packs a BinaryConv's signs for the int8 kernel, once per
// node when they are an initializer.
func (c *ctx) int8Weights(n *ir.Node, wb *ir.Tensor, p kernels.ConvParams, words []uint64) *kernels.Int8Weights {
	return prepared(c, func(p *Program) *sync.Map { return &p.int8Weights }, n, wb,
		func() *kernels.Int8Weights { return kernels.PackInt8Weights(p, words) })
}

// signClasses sorts a BinaryConv's signs into sign classes, once per node
// when they are an initializer.
func (c *ctx) signClasses(n *ir.Node, wb *ir.Tensor, p kernels.ConvParams, words []uint64) *kernels.SignClasses {
	return prepared(c, func(p *Program) *sync.Map { return &p.signClasses }, n, wb,
		func() *kernels.SignClasses { return kernels.NewSignClasses(p, words) })
}

// prepared returns make(), cached per node in the program's cache when
// the weights wb are one of its constants.
func prepared[T any](c *ctx, cacheOf func(*Program) *sync.Map, n *ir.Node, wb *ir.Tensor, make func() T) T {
	if c.prog == nil || !c.prog.constPtr[dataPtr(wb.Data)] {
		return make()
	}
	cache := cacheOf(c.prog)
	if v, ok := cache.Load(n); ok {
		return v.(T)
	}
	v, _ := cache.LoadOrStore(n, make())
	return v.(T)
}
