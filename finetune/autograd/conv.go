package autograd

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/backend"
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
	be       backend.Backend
	out      *Grad
	xg, wg   *Grad
	bg       *Grad
	xs       Saved // floatRef or the input's codes
	w        backend.Buffer
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
	if tp != nil && tp.Buffers.tracing() {
		tp.Buffers.trace.conv(p)
	}
	var bias backend.Buffer
	if b != nil {
		if b.Len() != p.K {
			return nil, fmt.Errorf("autograd: conv bias has %d elements, want %d", b.Len(), p.K)
		}
		bias = b.Buffer()
	}
	ins := []*Tensor{x, w}
	if b != nil {
		ins = append(ins, b)
	}
	be, err := backendOf(ins...)
	if err != nil {
		return nil, err
	}
	y := tp.outputOn(be, p.YLen(), ins...)
	rec := tp.recording(ins...)
	// Training: a BatchNormalization usually follows and takes the moments.
	moments := be.Conv(backendConv(p), x.Buffer(), w.Buffer(), bias, y, rec)
	out := resultOn(be, []int{p.N, p.K, p.OutH(), p.OutW()}, y, ins...)
	out.moments = moments
	if rec {
		o := &convOp{p: p, be: be, out: out.g, xg: x.g, wg: w.g, hasBias: b != nil, outInner: p.OutH() * p.OutW(), bufs: tp.Buffers}
		if b != nil {
			o.bg = b.g
		}
		if w.RequiresGrad() {
			o.xs = tp.saveInput(be, x, binary)
		}
		if x.RequiresGrad() {
			o.w = w.Buffer()
		}
		tp.record(out, o)
	}
	return out, nil
}

// saveInput keeps a binary layer's input as 1-bit codes on a compressing
// tape, and as a float reference otherwise.
func (tp *Tape) saveInput(be backend.Backend, x *Tensor, binary bool) Saved {
	if !tp.Compress || !binary || x.Len() == 0 {
		return ref(x)
	}
	k := keyOf(x)
	if q, ok := tp.codes[k]; ok {
		return q // a tensor read by two binary layers is encoded once
	}
	if tp.codes == nil {
		tp.codes = map[codeKey]Saved{}
	}
	n, c, inner := nci(x.Shape)
	q := asSaved(be, be.EncodeInput(x.Buffer(), n, c, inner, 1, tp.Key, tp.stream()))
	tp.codes[k] = q
	return q
}

// inputCode is a compressed form of a binary layer's input on the host.
type inputCode interface {
	Saved
	Decode(dst []float32)
	imageDecoder() func(n int, dst []float32)
}

// keyOf is the cache key of x's data in x's layout.
func keyOf(x *Tensor) codeKey {
	n, c, inner := nci(x.Shape)
	return codeKey{keyOfTensor(x), n, c, inner}
}

// codeKey identifies a tensor's data in one layout.
type codeKey struct {
	p           any
	n, c, inner int
}

// backendSaved is what a Saved is to its backend (a device's unwrapped).
func backendSaved(s Saved) backend.Saved {
	if d, ok := s.(devSaved); ok {
		return d.s
	}
	return s
}

// restore returns the n values of a saved input on be: a float reference's
// buffer, or its codes decoded into a scratch buffer (fresh reports it;
// the caller gives it back with unscratch).
func restore(be backend.Backend, s Saved, n int, bufs *Buffers) (b backend.Buffer, fresh bool) {
	if f, ok := s.(floatRef); ok {
		return f.buf(), false
	}
	d := scratch(be, bufs, n)
	be.DecodeInput(backendSaved(s), d)
	return d, true
}

// backendConv is p as the backend interface takes it.
func backendConv(p kernels.ConvParams) backend.Conv {
	return backend.Conv{N: p.N, C: p.C, H: p.H, W: p.W, K: p.K, KH: p.KH, KW: p.KW, StrideH: p.StrideH, StrideW: p.StrideW,
		DilationH: p.DilationH, DilationW: p.DilationW, PadTop: p.PadTop, PadLeft: p.PadLeft, PadBottom: p.PadBottom,
		PadRight: p.PadRight, Groups: p.Groups}
}

// kernelConv is backendConv's inverse.
func kernelConv(p backend.Conv) kernels.ConvParams {
	return kernels.ConvParams{N: p.N, C: p.C, H: p.H, W: p.W, K: p.K, KH: p.KH, KW: p.KW, StrideH: p.StrideH, StrideW: p.StrideW,
		DilationH: p.DilationH, DilationW: p.DilationW, PadTop: p.PadTop, PadLeft: p.PadLeft, PadBottom: p.PadBottom,
		PadRight: p.PadRight, Groups: p.Groups}
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
	dy := o.out.value()
	if dy == nil {
		return
	}
	be, p := o.be, backendConv(o.p)
	if o.xg != nil && o.w != nil {
		dx := scratch(be, o.bufs, o.p.XLen())
		be.ConvBackwardData(p, dy, o.w, dx)
		o.xg.takeBuf(be, o.bufs, dx)
	}
	if o.wg != nil && o.xs != nil {
		dw := gradScratch(be, o.wg, o.bufs, o.p.WLen())
		if f, ok := o.xs.(floatRef); ok {
			be.ConvBackwardFilter(p, f.buf(), dy, dw)
		} else {
			be.ConvBackwardFilterCodes(p, backendSaved(o.xs), dy, dw)
		}
		o.wg.takeBuf(be, o.bufs, dw)
	}
	if o.bg != nil {
		sums := scratch(be, o.bufs, o.p.K)
		be.ChannelSums(sums, dy, o.p.N, o.p.K, o.outInner)
		o.bg.takeBuf(be, o.bufs, sums)
	}
}

func (o *convOp) saved() []Saved {
	var s []Saved
	if o.xs != nil {
		s = append(s, o.xs)
	}
	if o.w != nil {
		s = append(s, floatRef{b: o.w, param: true})
	}
	return s
}

// The CPU's convolution: internal/kernels' direct and indirect paths, with
// the moments of each output plane taken in the epilogue.

func (CPU) Conv(p backend.Conv, x, w, bias, y backend.Buffer, moments bool) backend.Moments {
	var ep kernels.Epilogue
	if moments {
		ep.Moments = make([]kernels.PlaneMoments, p.N*p.K)
	}
	kernels.Conv2DEpilogue(kernelConv(p), host(x), host(w), host(bias), host(y), ep)
	if !moments {
		return nil
	}
	return ep.Moments
}

func (CPU) ConvBackwardData(p backend.Conv, dy, w, dx backend.Buffer) {
	kernels.Conv2DBackwardData(kernelConv(p), host(dy), host(w), host(dx))
}

func (CPU) ConvBackwardFilter(p backend.Conv, x, dy, dw backend.Buffer) {
	kernels.Conv2DBackwardFilter(kernelConv(p), host(x), host(dy), host(dw))
}

// ConvBackwardFilterCodes decodes the input image by image, in cache.
func (CPU) ConvBackwardFilterCodes(p backend.Conv, x backend.Saved, dy, dw backend.Buffer) {
	kernels.Conv2DBackwardFilterFrom(kernelConv(p), x.(inputCode).imageDecoder(), host(dy), host(dw))
}

// ChannelSums reduces an [N, C, inner] tensor over N and inner.
func (CPU) ChannelSums(dst, x backend.Buffer, n, c, inner int) {
	out, d := host(dst), host(x)
	parallelFor(c, func(ch int) {
		var s float64
		for b := 0; b < n; b++ {
			for _, v := range d[(b*c+ch)*inner : (b*c+ch+1)*inner] {
				s += float64(v)
			}
		}
		out[ch] = float32(s)
	})
}
