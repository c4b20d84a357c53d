package autograd

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/kernels"
)

// ConvAttrs are the ONNX Conv attributes for a 2-D convolution.
type ConvAttrs struct {
	StrideH, StrideW     int
	PadTop, PadLeft      int
	PadBottom, PadRight  int
	DilationH, DilationW int
	Group                int
}

// convOp saves the input (a float reference, or 1-bit codes for a binary
// layer on a compressing tape) for the weight gradient and the weights for
// the input gradient.
type convOp struct {
	p        kernels.ConvParams
	out      *Grad
	xg, wg   *Grad
	bg       *Grad
	xs       Saved // floatRef or *Codes
	w        []float32
	hasBias  bool
	outInner int
	bufs     *Buffers // the tape's, for backward's dx and decoded input
}

// Conv computes y = conv(x, w) + b for x [N, C, H, W], w [K, C/G, KH, KW],
// b [K] or nil. binary marks a layer with binary weights: on a compressing
// tape its input is saved as one stochastic bit per element (doc.go).
func (tp *Tape) Conv(x, w, b *Tensor, a ConvAttrs, binary bool) (*Tensor, error) {
	p, err := convParams(x, w, a)
	if err != nil {
		return nil, err
	}
	var bias []float32
	if b != nil {
		if len(b.Data) != p.K {
			return nil, fmt.Errorf("autograd: conv bias has %d elements, want %d", len(b.Data), p.K)
		}
		bias = b.Data
	}
	ins := []*Tensor{x, w}
	if b != nil {
		ins = append(ins, b)
	}
	y := tp.output(p.YLen(), ins...)
	rec := tp.recording(ins...)
	var ep kernels.Epilogue
	if rec { // training: a BatchNormalization usually follows
		ep.Moments = make([]kernels.PlaneMoments, p.N*p.K)
	}
	kernels.Conv2DEpilogue(p, x.Data, w.Data, bias, y, ep)
	out := result([]int{p.N, p.K, p.OutH(), p.OutW()}, y, ins...)
	out.moments = ep.Moments
	if rec {
		o := &convOp{p: p, out: out.g, xg: x.g, wg: w.g, hasBias: b != nil, outInner: p.OutH() * p.OutW(), bufs: tp.Buffers}
		if b != nil {
			o.bg = b.g
		}
		if w.RequiresGrad() {
			o.xs = tp.saveInput(x, binary)
		}
		if x.RequiresGrad() {
			o.w = w.Data
		}
		tp.record(out, o)
	}
	return out, nil
}

// saveInput keeps a binary layer's input as 1-bit codes on a compressing
// tape, and as a float reference otherwise.
func (tp *Tape) saveInput(x *Tensor, binary bool) Saved {
	if !tp.Compress || !binary || len(x.Data) == 0 {
		return floatRef{d: x.Data}
	}
	k := keyOf(x)
	if q, ok := tp.codes[k]; ok {
		return q // a tensor read by two binary layers is encoded once
	}
	if tp.codes == nil {
		tp.codes = map[codeKey]inputCode{}
	}
	q := Encode(x, 1, tp.Key, tp.stream())
	tp.codes[k] = q
	return q
}

// inputCode is a compressed form of a binary layer's input.
type inputCode interface {
	Saved
	Decode(dst []float32)
	imageDecoder() func(n int, dst []float32)
}

// keyOf is the cache key of x's data in x's layout.
func keyOf(x *Tensor) codeKey {
	n, c, inner := nci(x.Shape)
	return codeKey{&x.Data[0], n, c, inner}
}

// codeKey identifies a tensor's data in one layout.
type codeKey struct {
	p           *float32
	n, c, inner int
}

// restore returns the n float values of a saved input, decoding codes
// into a buffer from bufs (the caller gives it back).
func restore(s Saved, n int, bufs *Buffers) []float32 {
	if v, ok := s.(inputCode); ok {
		d := bufs.get(n)
		v.Decode(d)
		return d
	}
	return s.(floatRef).d
}

func convParams(x, w *Tensor, a ConvAttrs) (kernels.ConvParams, error) {
	if len(x.Shape) != 4 || len(w.Shape) != 4 {
		return kernels.ConvParams{}, fmt.Errorf("autograd: conv wants 4-D input and weights, got %v and %v", x.Shape, w.Shape)
	}
	g := max(a.Group, 1)
	p := kernels.ConvParams{N: x.Shape[0], C: x.Shape[1], H: x.Shape[2], W: x.Shape[3],
		K: w.Shape[0], KH: w.Shape[2], KW: w.Shape[3],
		StrideH: max(a.StrideH, 1), StrideW: max(a.StrideW, 1),
		PadTop: a.PadTop, PadLeft: a.PadLeft, PadBottom: a.PadBottom, PadRight: a.PadRight,
		DilationH: max(a.DilationH, 1), DilationW: max(a.DilationW, 1), Groups: g}
	if w.Shape[1]*g != p.C {
		return p, fmt.Errorf("autograd: conv weights %v do not match input %v with group %d", w.Shape, x.Shape, g)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("autograd: %w", err)
	}
	return p, nil
}

func (o *convOp) backward() {
	dy := o.out.Data
	if dy == nil {
		return
	}
	if o.xg != nil && o.w != nil {
		dx := o.bufs.get(o.p.XLen())
		kernels.Conv2DBackwardData(o.p, dy, o.w, dx)
		if !o.xg.take(dx) {
			o.bufs.put(dx)
		}
	}
	if o.wg != nil && o.xs != nil {
		dw := o.wg.scratch(o.p.WLen(), o.bufs)
		if c, ok := o.xs.(inputCode); ok {
			kernels.Conv2DBackwardFilterFrom(o.p, c.imageDecoder(), dy, dw) // decoded image by image, in cache
		} else {
			kernels.Conv2DBackwardFilter(o.p, o.xs.(floatRef).d, dy, dw)
		}
		o.wg.take(dw)
	}
	if o.bg != nil {
		o.bg.add(sumPerChannel(dy, o.p.N, o.p.K, o.outInner))
	}
}

func (o *convOp) saved() []Saved {
	var s []Saved
	if o.xs != nil {
		s = append(s, o.xs)
	}
	if o.w != nil {
		s = append(s, floatRef{d: o.w, param: true})
	}
	return s
}

// sumPerChannel reduces an [N, C, inner] tensor over N and inner.
func sumPerChannel(d []float32, n, c, inner int) []float32 {
	out := make([]float32, c)
	parallelFor(c, func(ch int) {
		var s float64
		for b := 0; b < n; b++ {
			for _, v := range d[(b*c+ch)*inner : (b*c+ch+1)*inner] {
				s += float64(v)
			}
		}
		out[ch] = float32(s)
	})
	return out
}
