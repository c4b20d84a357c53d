package autograd

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/kernels"
)

// BatchStats are the per-channel statistics of one training-mode batch
// normalization: the batch mean and the biased (population) variance, as
// ONNX BatchNormalization's training mode defines them.
type BatchStats struct {
	Mean, Var []float32
}

// bnOp saves its input (a float reference of x on an exact tape, or k-bit
// codes of the normalized x̂ on a compressing tape), the batch mean and
// 1/σ, and γ.
type bnOp struct {
	n, c, inner     int
	x               Saved // floatRef of x, or *Codes of x̂
	mean, invStd    []float32
	scale           []float32
	out, xg, sg, bg *Grad
	bufs            *Buffers // the tape's, for backward's scratch
}

// BatchNormTrain normalizes x [N, C, ...] with its own batch statistics:
// y = γ·(x − μ_B)/sqrt(σ²_B + eps) + β. It returns the statistics so that the
// caller can update running averages.
func (tp *Tape) BatchNormTrain(x, scale, bias *Tensor, eps float32) (*Tensor, BatchStats, error) {
	return tp.batchNormTrain(x, scale, bias, eps, false)
}

// BatchNormTrainInPlace is BatchNormTrain writing over x's data, for an x
// that nothing reads afterwards and no op keeps (a conv output read only
// by this BN), where the tape allows it: on a compressing tape (which
// saves x̂'s codes, taken before x is overwritten) or one that records
// nothing. An exact tape keeps x, so there it is BatchNormTrain.
func (tp *Tape) BatchNormTrainInPlace(x, scale, bias *Tensor, eps float32) (*Tensor, BatchStats, error) {
	return tp.batchNormTrain(x, scale, bias, eps, true)
}

// inPlaceBN reports whether a BN asked to write over x may: unless the
// tape records exactly (it keeps x).
func (tp *Tape) inPlaceBN(asked bool, ins ...*Tensor) bool {
	return asked && (!tp.recording(ins...) || tp.Compress)
}

func (tp *Tape) batchNormTrain(x, scale, bias *Tensor, eps float32, inPlace bool) (*Tensor, BatchStats, error) {
	if err := checkBN(x, scale, bias); err != nil {
		return nil, BatchStats{}, err
	}
	n, c, inner := nci(x.Shape)
	rec := tp.recording(x, scale, bias)
	var saved Saved = floatRef{d: x.Data} // exact: x by reference
	var encode func(ch int, mean, invStd float32)
	if rec && tp.Compress {
		// x̂ in BNBits codes, each channel encoded as soon as BN has its
		// statistics, while it is in cache.
		q := newCodes(n, c, inner, tp.bnBits())
		key, stream := tp.Key, tp.stream()
		encode = func(ch int, mean, invStd float32) {
			q.encodeNormalized(x.Data, ch, invStd, -invStd*mean, newStream(key, stream, uint64(ch)))
		}
		saved = q
	}
	y := x.Data
	if inPlace = tp.inPlaceBN(inPlace, x, scale, bias); !inPlace {
		y = tp.output(len(x.Data), x, scale, bias)
	}
	y, st, inv := bnForward(y, x, scale, bias, eps, false, encode)
	out := result(append([]int(nil), x.Shape...), y, x, scale, bias)
	if rec {
		o := &bnOp{n: n, c: c, inner: inner, mean: st.Mean, invStd: inv, scale: scale.Data,
			out: out.g, xg: x.g, sg: scale.g, bg: bias.g, bufs: tp.Buffers, x: saved}
		tp.record(out, o)
	}
	return out, st, nil
}

func checkBN(x, scale, bias *Tensor) error {
	_, c, _ := nci(x.Shape)
	if len(x.Shape) < 2 || len(scale.Data) != c || len(bias.Data) != c {
		return fmt.Errorf("autograd: batchnorm of %v needs scale and bias of %d, got %d and %d", x.Shape, c, len(scale.Data), len(bias.Data))
	}
	return nil
}

// bnForward writes x normalized with its batch statistics into y (and
// rectified, with relu, each row while it is in cache) and returns y, the
// statistics and 1/σ per channel. When save is set it runs for each
// channel as soon as its statistics are known, while x is in cache: just
// before y is written when y is x's data (so that save reads x), else just
// after (so that it can read y).
func bnForward(y []float32, x, scale, bias *Tensor, eps float32, relu bool, save func(ch int, mean, invStd float32)) ([]float32, BatchStats, []float32) {
	n, c, inner := nci(x.Shape)
	st := BatchStats{Mean: make([]float32, c), Var: make([]float32, c)}
	inv := make([]float32, c)
	inPlace := len(y) > 0 && &y[0] == &x.Data[0]
	parallelFor(c, func(ch int) {
		if len(x.moments) == n*c && n > 0 {
			st.Mean[ch], st.Var[ch] = combinedMoments(x.moments, n, c, ch)
		} else {
			st.Mean[ch], st.Var[ch] = channelMoments(x.Data, n, c, inner, ch)
		}
		inv[ch] = float32(1 / math.Sqrt(float64(st.Var[ch])+float64(eps)))
		a := scale.Data[ch] * inv[ch]
		if save != nil && inPlace {
			save(ch, st.Mean[ch], inv[ch])
		}
		affineChannel(y, x.Data, n, c, inner, ch, a, bias.Data[ch]-a*st.Mean[ch], relu)
		if save != nil && !inPlace {
			save(ch, st.Mean[ch], inv[ch])
		}
	})
	return y, st, inv
}

// BatchNormEval normalizes with given (running) statistics. It has no
// backward: call it without a tape or with inputs that carry no gradient.
func BatchNormEval(x, scale, bias, mean, variance *Tensor, eps float32) (*Tensor, error) {
	return (*Tape)(nil).BatchNormEval(x, scale, bias, mean, variance, eps)
}

// BatchNormEval is the function BatchNormEval with its output from the
// tape's Buffers on a ValuesOnly tape. It records nothing.
func (tp *Tape) BatchNormEval(x, scale, bias, mean, variance *Tensor, eps float32) (*Tensor, error) {
	return tp.batchNormEval(x, scale, bias, mean, variance, eps, nil)
}

// BatchNormEvalInPlace is BatchNormEval writing over x's data, for an x
// that nothing reads afterwards.
func (tp *Tape) BatchNormEvalInPlace(x, scale, bias, mean, variance *Tensor, eps float32) (*Tensor, error) {
	return tp.batchNormEval(x, scale, bias, mean, variance, eps, x.Data)
}

// batchNormEval is BatchNormEval into y (nil: a new output).
func (tp *Tape) batchNormEval(x, scale, bias, mean, variance *Tensor, eps float32, y []float32) (*Tensor, error) {
	n, c, inner := nci(x.Shape)
	for _, p := range []*Tensor{scale, bias, mean, variance} {
		if len(p.Data) != c {
			return nil, fmt.Errorf("autograd: batchnorm of %v needs per-channel parameters of %d, got %d", x.Shape, c, len(p.Data))
		}
	}
	if y == nil {
		y = tp.valueOutput(len(x.Data))
	}
	parallelFor(c, func(ch int) {
		a := scale.Data[ch] / float32(math.Sqrt(float64(variance.Data[ch])+float64(eps)))
		affineChannel(y, x.Data, n, c, inner, ch, a, bias.Data[ch]-a*mean.Data[ch], false)
	})
	return New(x.Shape, y), nil
}

// channelMoments is the mean and biased variance of channel ch, in one
// float64 pass around the channel's first element.
func channelMoments(x []float32, n, c, inner, ch int) (mean, variance float32) {
	if n*inner == 0 {
		return 0, 0
	}
	shift := float64(x[ch*inner])
	s, ss := kernels.ShiftedMoments(x[ch*inner:], n, inner, c*inner, shift)
	m := float64(n * inner)
	return float32(shift + s/m), float32(max(ss/m-(s/m)*(s/m), 0))
}

// combinedMoments is channelMoments from the sums of each [n][ch] plane.
func combinedMoments(ms []kernels.PlaneMoments, n, c, ch int) (mean, variance float32) {
	m, v := kernels.CombineMoments(ms[ch:], n, c)
	return float32(m), float32(v)
}

// affineChannel writes y = a·x + b over channel ch, rectified with relu.
func affineChannel(y, x []float32, n, c, inner, ch int, a, b float32, relu bool) {
	if n*inner == 0 {
		return
	}
	kernels.ScaleAddRows(y[ch*inner:], x[ch*inner:], n, inner, c*inner, a, b, relu)
}

// backward: with g = dy, M = N·inner per channel,
// dβ = Σg, dγ = Σg·x̂, dx = γ/σ·(g − Σg/M − x̂·Σ(g·x̂)/M).
// On an exact tape x̂ = (x − μ)/σ is never stored: the sums take x − μ and
// dx is a combination of g and x.
func (o *bnOp) backward() {
	if o.out.Data == nil {
		return
	}
	if f, ok := o.x.(floatRef); ok {
		o.finish(o.out, f.d, nil, nil)
		return
	}
	q := o.x.(*Codes)
	o.finish(o.out, nil, nil, func(ch int, xc []float32) { q.decodeChannelCompact(xc, ch, q.channelTable(ch)) })
}

// finish accumulates the gradients of γ, β and x from the output gradient
// g and either the raw input x or, with decode, x̂: decode writes channel
// ch of x̂ into xc ([N][inner], a scratch of the goroutine's own) just
// before the channel's sums, so that x̂ is never whole in memory. dx
// overwrites g, which nothing reads after this op, unless another
// gradient shares g's buffer. With a ReLU's output as relu, g is first
// zeroed where the ReLU was off, one channel at a time (the ReLU's
// backward, while the channel is in cache).
func (o *bnOp) finish(out *Grad, x, relu []float32, decode func(ch int, xc []float32)) {
	if relu != nil || decode != nil {
		out.own() // masked in place (by relu, or by a fused code's decode)
	}
	g := out.Data
	dx, inPlace := g, !out.bufs.shared(g)
	if o.xg != nil && !inPlace {
		dx = o.bufs.get(len(g))
	}
	per := o.n * o.inner
	var scratch []float32
	if decode != nil {
		scratch = o.bufs.get(workersFor(o.c) * per)
	}
	dgamma, dbeta := make([]float32, o.c), make([]float32, o.c)
	parallelForW(o.c, func(ch, w int) {
		xv, base, stride := x, ch*o.inner, o.c*o.inner
		if decode != nil {
			xv, base, stride = scratch[w*per:(w+1)*per], 0, o.inner
			decode(ch, xv)
		}
		if relu != nil {
			for b := 0; b < o.n; b++ {
				off := (b*o.c + ch) * o.inner
				kernels.ZeroOutside(g[off:off+o.inner], relu[off:], 0, inf32)
			}
		}
		o.channelBackward(ch, g, dx, xv, base, stride, decode == nil, dgamma, dbeta)
	})
	o.bufs.put(scratch)
	o.sg.add(dgamma)
	o.bg.add(dbeta)
	switch {
	case o.xg == nil:
	case inPlace:
		o.xg.takeFrom(out)
	case !o.xg.take(dx):
		o.bufs.put(dx)
	}
}

// channelBackward takes channel ch's sums and dx from g and x (raw x, or
// x̂), channel ch of x starting at x[base] with its rows stride apart.
func (o *bnOp) channelBackward(ch int, g, dx, x []float32, base, stride int, raw bool, dgamma, dbeta []float32) {
	var mu, inv float64 = 0, 1 // x is x̂ already
	if raw {
		mu, inv = float64(o.mean[ch]), float64(o.invStd[ch])
	}
	gbase, gstride := ch*o.inner, o.c*o.inner
	sg, sgx := kernels.CrossSumsStrided(g[gbase:], gstride, x[base:], stride, o.n, o.inner, mu)
	sgx *= inv // Σg·x̂
	dbeta[ch], dgamma[ch] = float32(sg), float32(sgx)
	if o.xg == nil {
		return
	}
	// dx = k·g − k·Σg/M − k·Σ(g·x̂)/M·inv·(x − μ) = k·g + b·x + c.
	m := float64(o.n * o.inner)
	k := float64(o.scale[ch]) * float64(o.invStd[ch])
	b := -k * sgx / m * inv
	c := -k*sg/m - b*mu
	for bt := 0; bt < o.n; bt++ {
		off := gbase + bt*gstride
		kernels.Combine(dx[off:off+o.inner], g[off:], x[base+bt*stride:], float32(k), float32(b), float32(c))
	}
}

func (o *bnOp) saved() []Saved {
	return []Saved{o.x, floatRef{d: o.mean, fixed: true}, floatRef{d: o.invStd, fixed: true}, floatRef{d: o.scale, param: true}}
}
