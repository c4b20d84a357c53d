package gpu

import "fmt"

// Device-side ops on Buffers: each launches one kernel of cuda/*.cu on the
// device's stream (asynchronously; Download waits). Shapes are not checked
// against buffer sizes here beyond what the Host adapter does: these are
// the trainer's building blocks, called with shapes it has validated.

func i64(n int) int64 { return int64(n) }
func i32(n int) int32 { return int32(n) }

// run enters the device and launches one grid-stride kernel over n items.
func (d *Device) run(name string, n int, args ...any) error {
	if n == 0 {
		return nil
	}
	defer d.enter()()
	return d.launchN(name, i64(n), args...)
}

// ReluDev writes y = max(x, 0) over n elements.
func (d *Device) ReluDev(x, y Buffer, n int) error { return d.run("relu_fwd", n, x, y, i64(n)) }

// ReluMaskDev packs the bits x > 0 into (n+63)/64 words.
func (d *Device) ReluMaskDev(x, mask Buffer, n int) error {
	return d.run("relu_mask", (n+63)/64, x, mask, i64(n))
}

// ReluBackwardDev writes dx = mask ? dy : 0.
func (d *Device) ReluBackwardDev(mask, dy, dx Buffer, n int) error {
	return d.run("relu_bwd_mask", n, mask, dy, dx, i64(n))
}

// AddDev writes y = a + b.
func (d *Device) AddDev(a, b, y Buffer, n int) error { return d.run("add", n, a, b, y, i64(n)) }

// AccumulateDev adds g into acc (gradient accumulation).
func (d *Device) AccumulateDev(acc, g Buffer, n int) error {
	return d.run("accumulate", n, acc, g, i64(n))
}

// SGDDev runs one SGD-with-momentum step on n weights.
func (d *Device) SGDDev(w, g, buf Buffer, n int, lr, wd, mu float32, nesterov bool) error {
	nest := int32(0)
	if nesterov {
		nest = 1
	}
	return d.run("sgd_update", n, w, g, buf, i64(n), lr, wd, mu, nest)
}

// Permute01Dev writes y [B][A][inner] from x [A][B][inner].
func (d *Device) Permute01Dev(x, y Buffer, a, b, inner int) error {
	return d.run("permute01", a*b*inner, x, y, i32(a), i32(b), i64(inner))
}

// BiasAddDev adds bias[ch] to y [n][c][inner].
func (d *Device) BiasAddDev(y, bias Buffer, n, c, inner int) error {
	return d.run("bias_add", n*c*inner, y, bias, i32(n), i32(c), i64(inner))
}

// BNApplyDev writes y = γ·(x−μ)·invstd + β.
func (d *Device) BNApplyDev(x, y, mean, invStd, gamma, beta Buffer, n, c, inner int) error {
	return d.run("bn_apply", n*c*inner, x, y, mean, invStd, gamma, beta, i32(n), i32(c), i64(inner))
}

// BNNormalizeDev writes x̂ = (x−μ)·invstd.
func (d *Device) BNNormalizeDev(x, xhat, mean, invStd Buffer, n, c, inner int) error {
	return d.run("bn_normalize", n*c*inner, x, xhat, mean, invStd, i32(n), i32(c), i64(inner))
}

// BNBackwardDxDev writes dx from dy, x̂ and ChannelDotDev's float64 sums.
func (d *Device) BNBackwardDxDev(dy, xhat, dx, gamma, invStd, sg, sgx Buffer, n, c, inner int) error {
	return d.run("bn_bwd_dx", n*c*inner, dy, xhat, dx, gamma, invStd, sg, sgx, i32(n), i32(c), i64(inner))
}

// GAPDev averages each of planes planes of hw values.
func (d *Device) GAPDev(x, y Buffer, planes, hw int) error {
	return d.run("gap_fwd", planes, x, y, i64(planes), i32(hw))
}

// GAPBackwardDev spreads dy/hw over each plane.
func (d *Device) GAPBackwardDev(dy, dx Buffer, planes, hw int) error {
	return d.run("gap_bwd", planes*hw, dy, dx, i64(planes), i32(hw))
}

func poolArgs(g PoolGeom) []any {
	return []any{i64(g.Planes), i32(g.H), i32(g.W), i32(g.OH), i32(g.OW), i32(g.KH), i32(g.KW),
		i32(g.StrideH), i32(g.StrideW), i32(g.PadTop), i32(g.PadLeft)}
}

// MaxPoolDev writes the window maxima and their window offsets (one byte).
func (d *Device) MaxPoolDev(g PoolGeom, x, y, arg Buffer) error {
	return d.run("maxpool_fwd", g.Planes*g.OH*g.OW, append([]any{x, y, arg}, poolArgs(g)...)...)
}

// MaxPoolBackwardDev writes dx (overwritten) from dy and the offsets.
func (d *Device) MaxPoolBackwardDev(g PoolGeom, dy, arg, dx Buffer) error {
	return d.run("maxpool_bwd", g.Planes*g.H*g.W, append([]any{dy, arg, dx}, poolArgs(g)...)...)
}

// SoftmaxXentDev writes dlogits = coef·(softmax − onehot), the per-row loss
// (float64) and per-row hits (int32).
func (d *Device) SoftmaxXentDev(logits, labels, dlogits, rowLoss, hits Buffer, n, k int, coef float32) error {
	return d.run("softmax_xent", n, logits, labels, dlogits, rowLoss, hits, i32(n), i32(k), coef)
}

// SignScaleDev writes ŵ = scale[row]·sign(w).
func (d *Device) SignScaleDev(w, what, scale Buffer, rows, cols int) error {
	return d.run("sign_scale", rows*cols, w, what, scale, i32(rows), i64(cols))
}

// PackSignsDev packs sign bits in the .bnn convention.
func (d *Device) PackSignsDev(w, words Buffer, rows, cols int) error {
	return d.run("pack_signs", rows*((cols+63)/64), w, words, i32(rows), i64(cols))
}

// DevCodes are Codes held on the device: Words and the per-channel ranges.
type DevCodes struct {
	Bits, N, C, Inner int
	Words, Lo, Hi     Buffer
}

// WordsPerChannel is as Codes.WordsPerChannel.
func (q DevCodes) WordsPerChannel() int { return (q.N*q.Inner*q.Bits + 63) / 64 }

// Bytes is the device memory the codes hold.
func (q DevCodes) Bytes() int64 { return 8*int64(q.C*q.WordsPerChannel()) + 8*int64(q.C) }

// AllocCodes allocates device codes for an [n, c, inner] tensor.
func (d *Device) AllocCodes(bits, n, c, inner int) (DevCodes, error) {
	if bits != 1 && bits != 2 && bits != 4 && bits != 8 || n < 0 || c < 0 || inner < 0 {
		return DevCodes{}, fmt.Errorf("gpu: codes of %d bits for [%d, %d, %d]: want 1, 2, 4 or 8 bits", bits, n, c, inner)
	}
	q := DevCodes{Bits: bits, N: n, C: c, Inner: inner}
	bufs := []*Buffer{&q.Words, &q.Lo, &q.Hi}
	sizes := []uint64{8 * uint64(c*q.WordsPerChannel()), 4 * uint64(c), 4 * uint64(c)}
	for i, b := range bufs {
		var err error
		if *b, err = d.Alloc(sizes[i]); err != nil {
			d.FreeCodes(q)
			return DevCodes{}, err
		}
	}
	return q, nil
}

// FreeCodes returns the codes' buffers to the pool.
func (d *Device) FreeCodes(q DevCodes) {
	for _, b := range []Buffer{q.Words, q.Lo, q.Hi} {
		d.Free(b)
	}
}

// EncodeDev computes the channel ranges of x and its stochastic codes.
func (d *Device) EncodeDev(q DevCodes, x Buffer, key, stream uint64) error {
	if err := d.MinMaxDev(x, q.Lo, q.Hi, q.N, q.C, q.Inner); err != nil {
		return err
	}
	return d.run("encode_codes", q.C*q.WordsPerChannel(), x, q.Lo, q.Hi, q.Words, i32(q.Bits),
		i32(q.N), i32(q.C), i64(q.Inner), key, stream)
}

// DecodeDev writes the decoded values of q into dst.
func (d *Device) DecodeDev(q DevCodes, dst Buffer) error {
	return d.run("decode_codes", q.N*q.C*q.Inner, q.Words, q.Lo, q.Hi, dst, i32(q.Bits), i32(q.N), i32(q.C), i64(q.Inner))
}

func convArgs(g ConvGeom) []any {
	return []any{i32(g.N), i32(g.C), i32(g.H), i32(g.W), i32(g.KH), i32(g.KW), i32(g.StrideH), i32(g.StrideW),
		i32(g.PadTop), i32(g.PadLeft), i32(g.DilH), i32(g.DilW), i32(g.OH), i32(g.OW)}
}

// Im2colDev writes col [C·KH·KW][N·OH·OW] from x.
func (d *Device) Im2colDev(g ConvGeom, x, col Buffer) error {
	return d.run("im2col", g.Rows()*g.Cols(), append([]any{x, col}, convArgs(g)...)...)
}

// Col2imDev writes dx (overwritten) from col.
func (d *Device) Col2imDev(g ConvGeom, col, dx Buffer) error {
	return d.run("col2im", g.N*g.C*g.H*g.W, append([]any{col, dx}, convArgs(g)...)...)
}
