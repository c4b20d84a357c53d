package autograd

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
)

// BatchStats are the per-channel statistics of one training-mode batch
// normalization: the batch mean and the biased (population) variance, as
// ONNX BatchNormalization's training mode defines them. On a device they
// stay there (Buffers); Mean and Var are then nil until Host fills them.
type BatchStats struct {
	Mean, Var []float32
	dev       backend.BNStats
	be        backend.Backend
}

// Free gives back a device's statistics from a forward pass without a
// tape (a recording tape owns them until backward); a no-op on the host.
func (s BatchStats) Free() {
	if s.be != nil {
		s.be.Free(s.dev.Mean)
		s.be.Free(s.dev.Var)
	}
}

// Buffers are the statistics on their backend.
func (s BatchStats) Buffers() (mean, variance backend.Buffer) {
	if s.be != nil {
		return s.dev.Mean, s.dev.Var
	}
	return backend.Host(s.Mean), backend.Host(s.Var)
}

// Host returns the statistics in host memory (downloaded from a device).
func (s BatchStats) Host() BatchStats {
	if s.be == nil || s.dev.Mean == nil {
		return s
	}
	c := s.dev.Mean.Len()
	h := BatchStats{Mean: make([]float32, c), Var: make([]float32, c)}
	s.be.Download(h.Mean, s.dev.Mean)
	s.be.Download(h.Var, s.dev.Var)
	return h
}

// bnOp saves its input (a float reference of x on an exact tape, or k-bit
// codes of the normalized x̂ on a compressing tape), the batch mean and
// 1/σ, and γ.
type bnOp struct {
	a               backend.BN
	be              backend.Backend
	x               Saved // floatRef of x, or the codes of x̂
	st              backend.BNStats
	scale, beta     backend.Buffer
	out, xg, sg, bg *Grad
	bufs            *Buffers // the tape's, for backward's scratch
}

// BatchNormTrain normalizes x [N, C, ...] with its own batch statistics:
// y = γ·(x − μ_B)/sqrt(σ²_B + eps) + β. It returns the statistics so that the
// caller can update running averages.
func (tp *Tape) BatchNormTrain(x, scale, bias *Tensor, eps float32) (*Tensor, BatchStats, error) {
	return tp.batchNorm(x, scale, bias, eps, false, false)
}

// BatchNormTrainInPlace is BatchNormTrain writing over x's data, for an x
// that nothing reads afterwards and no op keeps (a conv output read only
// by this BN), where the tape allows it: on a compressing tape (which
// saves x̂'s codes, taken before x is overwritten) or one that records
// nothing, on the host. An exact tape keeps x, and a device's BN writes a
// buffer of its own, so there it is BatchNormTrain (SameStorage tells).
func (tp *Tape) BatchNormTrainInPlace(x, scale, bias *Tensor, eps float32) (*Tensor, BatchStats, error) {
	return tp.batchNorm(x, scale, bias, eps, false, true)
}

// inPlaceBN reports whether a BN on x asked to write over it may: on the
// host, unless the tape records exactly (it keeps x).
func (tp *Tape) inPlaceBN(asked bool, x *Tensor, ins ...*Tensor) bool {
	return asked && !x.OnDevice() && (!tp.recording(ins...) || tp.Compress)
}

// batchNorm is BatchNormTrain, with relu BatchNormRelu, with inPlace
// writing over x where inPlaceBN allows.
func (tp *Tape) batchNorm(x, scale, bias *Tensor, eps float32, relu, inPlace bool) (*Tensor, BatchStats, error) {
	if err := checkBN(x, scale, bias); err != nil {
		return nil, BatchStats{}, err
	}
	be, err := backendOf(x, scale, bias)
	if err != nil {
		return nil, BatchStats{}, err
	}
	n, c, inner := nci(x.Shape)
	a := backend.BN{N: n, C: c, Inner: inner, Eps: eps, Relu: relu}
	rec := tp.recording(x, scale, bias)
	if rec && tp.Compress {
		// x̂ in BNBits codes (with the ReLU's mask when fused), each channel
		// encoded as soon as BN has its statistics, while it is in cache.
		a.Save, a.Bits, a.Key, a.Stream = backend.SaveCodes, tp.bnBits(), tp.Key, tp.stream()
		if relu {
			a.Save = backend.SaveReluCodes
		}
	}
	y := x.Buffer()
	if !tp.inPlaceBN(inPlace, x, x, scale, bias) {
		y = tp.outputOn(be, x.Len(), x, scale, bias)
	}
	st, code := be.BatchNorm(a, x.Buffer(), scale.Buffer(), bias.Buffer(), y, x.moments)
	out := resultOn(be, append([]int(nil), x.Shape...), y, x, scale, bias)
	stats := BatchStats{dev: st, be: be}
	switch {
	case IsHost(be):
		stats = BatchStats{Mean: host(st.Mean), Var: host(st.Var)}
	case tp != nil && !tp.ValuesOnly: // the tape's until backward is done
		tp.devBe = be
		tp.transient = append(tp.transient, st.Mean, st.Var, st.InvStd)
	default: // the caller frees mean and variance (BatchStats.Free)
		be.Free(st.InvStd)
	}
	if rec {
		o := &bnOp{a: a, be: be, st: st, scale: scale.Buffer(), beta: bias.Buffer(), out: out.g, xg: x.g, sg: scale.g, bg: bias.g, bufs: tp.Buffers}
		if a.Save == backend.SaveInput {
			o.x = ref(x) // exact: x by reference
		} else {
			o.x = asSaved(be, code)
		}
		tp.recordBN(out, o, y)
	}
	return out, stats, nil
}

func checkBN(x, scale, bias *Tensor) error {
	_, c, _ := nci(x.Shape)
	if len(x.Shape) < 2 || scale.Len() != c || bias.Len() != c {
		return fmt.Errorf("autograd: batchnorm of %v needs scale and bias of %d, got %d and %d", x.Shape, c, scale.Len(), bias.Len())
	}
	return nil
}

// BatchNormEval normalizes with given (running) statistics. It has no
// backward: call it without a tape or with inputs that carry no gradient.
func BatchNormEval(x, scale, bias, mean, variance *Tensor, eps float32) (*Tensor, error) {
	return (*Tape)(nil).BatchNormEval(x, scale, bias, mean, variance, eps)
}

// BatchNormEval is the function BatchNormEval with its output from the
// tape's Buffers on a ValuesOnly tape. It records nothing.
func (tp *Tape) BatchNormEval(x, scale, bias, mean, variance *Tensor, eps float32) (*Tensor, error) {
	return tp.batchNormEval(x, scale, bias, mean, variance, eps, false)
}

// BatchNormEvalInPlace is BatchNormEval writing over x's data, for an x
// that nothing reads afterwards, on the host.
func (tp *Tape) BatchNormEvalInPlace(x, scale, bias, mean, variance *Tensor, eps float32) (*Tensor, error) {
	return tp.batchNormEval(x, scale, bias, mean, variance, eps, true)
}

// batchNormEval is BatchNormEval, with inPlace over x's data on the host
// (a device's writes a buffer of its own: SameStorage tells).
func (tp *Tape) batchNormEval(x, scale, bias, mean, variance *Tensor, eps float32, inPlace bool) (*Tensor, error) {
	n, c, inner := nci(x.Shape)
	for _, p := range []*Tensor{scale, bias, mean, variance} {
		if p.Len() != c {
			return nil, fmt.Errorf("autograd: batchnorm of %v needs per-channel parameters of %d, got %d", x.Shape, c, p.Len())
		}
	}
	be, err := backendOf(x, scale, bias, mean, variance)
	if err != nil {
		return nil, err
	}
	var y backend.Buffer
	switch {
	case inPlace && IsHost(be):
		y = x.Buffer()
	case IsHost(be):
		y = backend.Host(tp.valueOutput(x.Len()))
	default:
		y = newBuf(be, x.Len())
	}
	be.BatchNormEval(n, c, inner, x.Buffer(), scale.Buffer(), bias.Buffer(), mean.Buffer(), variance.Buffer(), y, eps)
	return resultOn(be, x.Shape, y), nil
}

// backward: with g = dy, M = N·inner per channel,
// dβ = Σg, dγ = Σg·x̂, dx = γ/σ·(g − Σg/M − x̂·Σ(g·x̂)/M).
// On an exact tape x̂ = (x − μ)/σ is never stored: the sums take x − μ and
// dx is a combination of g and x.
func (o *bnOp) backward() { o.finish(nil) }

// finish runs the backward pass, for a fused ReLU (exact tape) masking the
// gradient where reluOut is not positive. dx overwrites g, which nothing
// reads after this op, unless another gradient shares g's buffer.
func (o *bnOp) finish(reluOut backend.Buffer) {
	if o.out.value() == nil {
		return
	}
	if reluOut != nil || o.a.Save == backend.SaveReluCodes {
		o.out.own() // masked in place
	}
	be, g := o.be, o.out.value()
	gr := backend.BNGrad{G: g, ReluOut: reluOut, Gamma: o.scale, Mean: o.st.Mean, InvStd: o.st.InvStd}
	if f, ok := o.x.(floatRef); ok {
		gr.X = f.buf()
	} else {
		gr.Codes = backendSaved(o.x)
		gr.Scratch = scratch(be, o.bufs, bnScratchLen(be, o.a))
		defer unscratch(be, o.bufs, gr.Scratch)
	}
	inPlace := !o.out.shared()
	if o.xg != nil {
		gr.DX = g
		if !inPlace {
			gr.DX = scratch(be, o.bufs, g.Len())
		}
	}
	gr.DGamma, gr.DBeta = scratch(be, o.bufs, o.a.C), scratch(be, o.bufs, o.a.C)
	be.BatchNormBackward(o.a, gr)
	o.sg.takeBuf(be, o.bufs, gr.DGamma)
	o.bg.takeBuf(be, o.bufs, gr.DBeta)
	switch {
	case o.xg == nil:
	case inPlace:
		o.xg.takeFrom(o.out)
	default:
		o.xg.takeBuf(be, o.bufs, gr.DX)
	}
}

func (o *bnOp) saved() []Saved {
	return []Saved{o.x, floatRef{b: o.st.Mean, fixed: true}, floatRef{b: o.st.InvStd, fixed: true}, floatRef{b: o.scale, param: true}}
}

// bnScratchLen is the room BN's compressed backward decodes x̂ into: on
// the host one channel ([N][inner]) per goroutine, so that x̂ is never
// whole in memory; on a device the whole tensor.
func bnScratchLen(be backend.Backend, a backend.BN) int {
	if IsHost(be) {
		return workersFor(a.C) * a.N * a.Inner
	}
	return a.N * a.C * a.Inner
}

// The CPU's batch normalization: one goroutine per channel, each channel's
// statistics, output and codes (and in backward its sums and dx) taken
// while it is in cache.

func (CPU) BatchNorm(a backend.BN, xb, gamma, beta, yb backend.Buffer, moments backend.Moments) (backend.BNStats, backend.Saved) {
	n, c, inner := a.N, a.C, a.Inner
	x, y, scale, bias := host(xb), host(yb), host(gamma), host(beta)
	mean, variance, inv := make([]float32, c), make([]float32, c), make([]float32, c)
	ms, _ := moments.([]kernels.PlaneMoments)
	// Written over x (y is x's data), each channel saves before it is
	// overwritten, and the fused code makes the output's rows itself.
	inPlace := len(y) > 0 && &y[0] == &x[0]
	var save func(ch int)
	var code backend.Saved
	switch a.Save {
	case backend.SaveCodes:
		q := newCodes(n, c, inner, a.Bits)
		save = func(ch int) {
			q.encodeNormalized(x, ch, inv[ch], -inv[ch]*mean[ch], newStream(a.Key, a.Stream, uint64(ch)))
		}
		code = q
	case backend.SaveReluCodes:
		q := newBNReluCode(n, c, inner, a.Bits, scale, bias)
		ybn := y
		if inPlace {
			ybn = nil
		}
		save = func(ch int) { q.encodeChannel(x, ybn, mean[ch], inv[ch], ch, newStream(a.Key, a.Stream, uint64(ch))) }
		code = q
	}
	parallelFor(c, func(ch int) {
		if len(ms) == n*c && n > 0 {
			mean[ch], variance[ch] = combinedMoments(ms, n, c, ch)
		} else {
			mean[ch], variance[ch] = channelMoments(x, n, c, inner, ch)
		}
		inv[ch] = float32(1 / math.Sqrt(float64(variance[ch])+float64(a.Eps)))
		s := scale[ch] * inv[ch]
		if save != nil && inPlace {
			save(ch)
		}
		affineChannel(y, x, n, c, inner, ch, s, bias[ch]-s*mean[ch], a.Relu)
		if save != nil && !inPlace {
			save(ch)
		}
	})
	return backend.BNStats{Mean: backend.Host(mean), Var: backend.Host(variance), InvStd: backend.Host(inv)}, code
}

func (CPU) BatchNormEval(n, c, inner int, xb, gamma, beta, mean, variance, yb backend.Buffer, eps float32) {
	x, y, scale, bias, mu, v := host(xb), host(yb), host(gamma), host(beta), host(mean), host(variance)
	parallelFor(c, func(ch int) {
		s := scale[ch] / float32(math.Sqrt(float64(v[ch])+float64(eps)))
		affineChannel(y, x, n, c, inner, ch, s, bias[ch]-s*mu[ch], false)
	})
}

func (CPU) RunningUpdate(run, batch backend.Buffer, momentum float32) {
	r, b := host(run), host(batch)
	for i := range r {
		r[i] = r[i]*momentum + b[i]*(1-momentum)
	}
}

// BatchNormBackward: with codes, channel ch of x̂ is decoded into the
// goroutine's own part of g.Scratch ([N][inner], bnScratchLen) just
// before the channel's sums (and g masked by the fused code's bit 0), so
// that x̂ is never whole in memory; with a fused ReLU on an exact tape, g
// is zeroed where the ReLU's output is not positive, one channel at a time.
func (CPU) BatchNormBackward(a backend.BN, g backend.BNGrad) {
	gr, dx := host(g.G), host(g.DX)
	var decode func(ch int, xc []float32)
	switch q := g.Codes.(type) {
	case *Codes:
		decode = func(ch int, xc []float32) { q.decodeChannelCompact(xc, ch, q.channelTable(ch)) }
	case *bnReluCode:
		decode = func(ch int, xc []float32) {
			tab := q.table(ch)
			q.eachRow(ch, func(start, pos int) {
				row := pos / q.bits // the batch row's first element in the channel
				kernels.LookupCodes(xc[row:row+q.inner], gr[start:start+q.inner], q.channelWords(ch), pos, q.bits, tab)
			})
		}
	}
	relu, scratch, per := host(g.ReluOut), host(g.Scratch), a.N*a.Inner
	dgamma, dbeta := host(g.DGamma), host(g.DBeta)
	mean, inv, scale := host(g.Mean), host(g.InvStd), host(g.Gamma)
	parallelForW(a.C, func(ch, w int) {
		x := channelX{d: host(g.X), base: ch * a.Inner, stride: a.C * a.Inner, raw: true}
		if decode != nil {
			x = channelX{d: scratch[w*per : (w+1)*per], stride: a.Inner}
			decode(ch, x.d)
		}
		if relu != nil {
			for b := 0; b < a.N; b++ {
				off := (b*a.C + ch) * a.Inner
				kernels.ZeroOutside(gr[off:off+a.Inner], relu[off:], 0, inf32)
			}
		}
		channelBackward(a, ch, gr, dx, x, mean[ch], inv[ch], scale[ch], dgamma, dbeta)
	})
}

// channelX is one channel of BN's input for its backward pass: raw x, or
// x̂, its batch rows stride apart from d[base].
type channelX struct {
	d            []float32
	base, stride int
	raw          bool
}

// channelBackward takes channel ch's sums and dx from g and x.
func channelBackward(a backend.BN, ch int, g, dx []float32, x channelX, mean, invStd, scale float32, dgamma, dbeta []float32) {
	var mu, inv float64 = 0, 1 // x is x̂ already
	if x.raw {
		mu, inv = float64(mean), float64(invStd)
	}
	gbase, gstride := ch*a.Inner, a.C*a.Inner
	sg, sgx := kernels.CrossSumsStrided(g[gbase:], gstride, x.d[x.base:], x.stride, a.N, a.Inner, mu)
	sgx *= inv // Σg·x̂
	dbeta[ch], dgamma[ch] = float32(sg), float32(sgx)
	if dx == nil {
		return
	}
	// dx = k·g − k·Σg/M − k·Σ(g·x̂)/M·inv·(x − μ) = k·g + b·x + c.
	m := float64(a.N * a.Inner)
	k := float64(scale) * float64(invStd)
	b := -k * sgx / m * inv
	c := -k*sg/m - b*mu
	for bt := 0; bt < a.N; bt++ {
		off := gbase + bt*gstride
		kernels.Combine(dx[off:off+a.Inner], g[off:], x.d[x.base+bt*x.stride:], float32(k), float32(b), float32(c))
	}
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
