package autograd

import (
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/internal/kernels"
)

// BatchNormRelu is Relu(BatchNormTrain(x)). On an exact tape it computes
// exactly those two ops, recorded as one whose backward applies the ReLU's
// mask channel by channel as BN's backward reaches it. On a compressing
// tape (with BNBits >= 2) one code of BNBits bits per element serves the
// whole backward pass:
//
//   - bit 0 is the ReLU mask, exact: 1[γ·x̂ + β > 0];
//   - the other bits round x̂ stochastically within its half of the
//     channel's range, [lo, t] or [t, hi], split at the ReLU threshold
//     t = −β/γ, so E[x̂_q] = x̂ (BN's backward);
//   - a binary layer that reads the output saves nothing of its own: its
//     input A = relu(γ·x̂ + β) decodes as γ·x̂_q + β where the mask is set
//     and 0 elsewhere, unbiased because it is linear in x̂_q. With 2 bits
//     this is exactly the paper's A_q, with c the channel's maximum.
//
// So a conv → BN → ReLU → conv chain keeps 2 bits per element where the
// unfused ops keep 2 (x̂) + 1 (mask) + 1 (next conv's input).
func (tp *Tape) BatchNormRelu(x, scale, bias *Tensor, eps float32) (*Tensor, BatchStats, error) {
	return tp.batchNormRelu(x, scale, bias, eps, false)
}

// BatchNormReluInPlace is BatchNormRelu writing over x's data where the
// tape allows it (see BatchNormTrainInPlace).
func (tp *Tape) BatchNormReluInPlace(x, scale, bias *Tensor, eps float32) (*Tensor, BatchStats, error) {
	return tp.batchNormRelu(x, scale, bias, eps, true)
}

func (tp *Tape) batchNormRelu(x, scale, bias *Tensor, eps float32, inPlace bool) (*Tensor, BatchStats, error) {
	if tp.recording(x, scale, bias) && tp.Compress && tp.bnBits() < 2 {
		y, st, err := tp.batchNorm(x, scale, bias, eps, false, inPlace)
		if err != nil {
			return nil, st, err
		}
		return tp.ReluInPlace(y), st, nil // BN keeps its input, not its output
	}
	// The ReLU runs on each row as BN writes it; relu(v) > 0 exactly where
	// v > 0, so the code's mask reads the rectified values.
	return tp.batchNorm(x, scale, bias, eps, true, inPlace)
}

// recordBN records a batch normalization, with its ReLU when fused: on an
// exact tape BN's input and the ReLU's output are kept, on a compressing
// one the fused code, which also serves a binary layer reading the output.
func (tp *Tape) recordBN(out *Tensor, o *bnOp, y backend.Buffer) {
	if !o.a.Relu {
		tp.record(out, o)
		return
	}
	r := &bnReluOp{bn: o}
	if o.a.Save != backend.SaveReluCodes { // exactly BN then ReLU, as one op
		r.relu = y
		tp.record(out, r)
		return
	}
	tp.record(out, r)
	if tp.codes == nil {
		tp.codes = map[codeKey]Saved{}
	}
	tp.codes[keyOf(out)] = asSaved(o.be, o.be.ReluInput(backendSaved(o.x)))
}

// bnReluCode is the fused code: per channel the x̂ range [Lo, Hi] and the
// threshold T, and k bits per element (mask, then the level in its half).
type bnReluCode struct {
	Codes
	T           []float32
	gamma, beta []float32
}

// newBNReluCode returns an empty fused code for an [n, c, inner] input,
// for encodeChannel to fill.
func newBNReluCode(n, c, inner, bits int, gamma, beta []float32) *bnReluCode {
	return &bnReluCode{Codes: *newCodes(n, c, inner, bits), T: make([]float32, c), gamma: gamma, beta: beta}
}

// encodeChannel encodes channel ch from BN's input x, its output ybn and the
// channel's statistics. With ybn nil (BN about to write over x) each row
// of the output is made in a row of scratch, as bnForward will write it.
func (q *bnReluCode) encodeChannel(x, ybn []float32, mu, inv float32, ch int, r *stream) {
	yRow := func(off int) []float32 { return ybn[off : off+q.inner] }
	if ybn == nil {
		row := make([]float32, q.inner)
		a := q.gamma[ch] * inv
		b := q.beta[ch] - a*mu
		yRow = func(off int) []float32 {
			kernels.ScaleAddRows(row, x[off:], 1, q.inner, 0, a, b, true)
			return row
		}
	}
	lo, hi := channelRange(x, q.n, q.c, q.inner, ch)
	lo, hi = (lo-mu)*inv, (hi-mu)*inv
	g, b := q.gamma[ch], q.beta[ch]
	t := lo
	switch {
	case g != 0:
		t = min(max(-b/g, lo), hi)
	case b <= 0:
		t = hi
	}
	q.Lo[ch], q.Hi[ch], q.T[ch] = lo, hi, t
	levels := int(1)<<(q.bits-1) - 1
	// The level within the half is f = (x̂ − start)/width·levels = v·mul + add.
	var mul, add [2]float32
	for on := range 2 {
		p, s := q.half(ch, on == 1)
		if s > 0 {
			mul[on] = inv * float32(levels) / s
			add[on] = -(mu*inv + p) * float32(levels) / s
		}
	}
	if q.bits == 2 { // the default width: vectorized
		for bt := 0; bt < q.n; bt++ {
			off := (bt*q.c + ch) * q.inner
			kernels.StochasticReluCodes2(q.channelWords(ch), bt*q.inner, x[off:off+q.inner], yRow(off), mul, add, r.x)
		}
		return
	}
	w := wordWriter{words: q.words[ch*q.perChan : (ch+1)*q.perChan], bits: uint(q.bits)}
	for bt := 0; bt < q.n; bt++ {
		off := (bt*q.c + ch) * q.inner
		yr := yRow(off)
		for i, v := range x[off : off+q.inner] {
			on := b2u(yr[i] > 0)
			w.put(kernels.Level(float32(v*mul[on])+add[on]+r.uniform(), levels)<<1 | on) // as the 2-bit kernel
		}
	}
	w.flush()
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// half is the start and width of the x̂ interval an element lies in: above
// the threshold when it is active and γ ≥ 0 (or inactive and γ < 0).
func (q *bnReluCode) half(ch int, on bool) (start, width float32) {
	if on == (q.gamma[ch] >= 0) {
		return q.T[ch], q.Hi[ch] - q.T[ch]
	}
	return q.Lo[ch], q.T[ch] - q.Lo[ch]
}

// table maps channel ch's codes to x̂_q (bit 0 is the mask, the rest the
// level within the half).
func (q *bnReluCode) table(ch int) *kernels.CodeTable {
	levels := float32(int(1)<<(q.bits-1) - 1)
	var start, step [2]float32
	for on := range 2 {
		p, s := q.half(ch, on == 1)
		start[on], step[on] = p, s/levels
	}
	tab := new(kernels.CodeTable)
	for code := range 1 << q.bits {
		tab[code] = start[code&1] + float32(code>>1)*step[code&1]
	}
	return tab
}

// reluInput decodes the fused code as the ReLU's output, for a binary layer.
type reluInput struct{ q *bnReluCode }

func (r reluInput) Bytes() int64    { return r.q.Bytes() }
func (r reluInput) Param() bool     { return false }
func (r reluInput) key() any        { return r.q }
func (r reluInput) size() savedSize { return r.q.size() }

// Decode writes relu(γ·x̂_q + β) (0 where the mask is clear).
func (r reluInput) Decode(dst []float32) { r.q.decodeWith(dst, r.channelTable) }

// channelTable maps channel ch's codes to the ReLU's output.
func (r reluInput) channelTable(ch int) kernels.CodeTable {
	q := r.q
	xh := q.table(ch)
	var tab kernels.CodeTable
	for code := range 1 << q.bits {
		if code&1 == 1 {
			tab[code] = max(q.gamma[ch]*xh[code]+q.beta[ch], 0)
		}
	}
	return tab
}

// imageDecoder is Codes.imageDecoder for the ReLU's output.
func (r reluInput) imageDecoder() func(n int, dst []float32) {
	return r.q.imageDecoderWith(r.channelTable)
}

func (q *bnReluCode) key() any { return q }

// Bytes counts the codes and Lo, T, Hi per channel.
func (q *bnReluCode) Bytes() int64    { return 8*int64(len(q.words)) + 12*int64(q.c) }
func (q *bnReluCode) size() savedSize { return q.sizeWith(12) }

// bnReluOp masks the gradient with the exact ReLU mask, then runs BN's
// backward: on a compressing tape both from the code (the decoded x̂), on an
// exact tape from the ReLU's output (relu) and BN's float input.
type bnReluOp struct {
	bn   *bnOp
	relu backend.Buffer // exact tape
}

func (o *bnReluOp) backward() { o.bn.finish(o.relu) }

func (o *bnReluOp) saved() []Saved {
	if o.relu != nil {
		return append(o.bn.saved(), floatRef{b: o.relu})
	}
	return append(o.bn.saved(), floatRef{b: o.bn.beta, param: true}) // the code reads β
}

// ReluInput is the fused code seen as the ReLU's output.
func (CPU) ReluInput(code backend.Saved) backend.Saved { return reluInput{code.(*bnReluCode)} }
