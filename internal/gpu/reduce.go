package gpu

// Two-stage per-channel reductions (cuda/reduce.cu): S slices per channel,
// one block per slice, then one thread per channel adds the S partials.

// sliceLen is the fewest values a reduction block takes; maxSlices caps
// the slices per channel.
const (
	sliceLen  = 4096
	maxSlices = 128
)

// slicesFor is the number of slices a channel of m values is cut into.
func slicesFor(m int) int { return max(1, min(maxSlices, m/sliceLen)) }

// reduction holds the scratch partials of one reduction; the caller has
// entered the device. The buffers go back to the pool on release, while
// the kernels reading them may still be queued: every later use of a
// pooled buffer is on the same stream, so it runs after them.
type reduction struct {
	d    *Device
	bufs []Buffer
	err  error
}

func (r *reduction) get(n uint64) Buffer {
	if r.err != nil {
		return Buffer{}
	}
	b, err := r.d.pool.Get(n)
	r.err = err
	r.bufs = append(r.bufs, b)
	return b
}

// blocks launches a partial kernel: one block of reduceBlock threads per
// slice.
func (r *reduction) blocks(name string, n int, args ...any) {
	if r.err == nil && n > 0 {
		r.err = r.d.launch(name, uint32(n), reduceBlock, args...)
	}
}

// items launches a final kernel: a grid-stride loop over n channels.
func (r *reduction) items(name string, n int, args ...any) {
	if r.err == nil && n > 0 {
		r.err = r.d.launchN(name, int64(n), args...)
	}
}

func (r *reduction) release() error {
	for _, b := range r.bufs {
		r.d.pool.Put(b)
	}
	return r.err
}

func (d *Device) reduction() (*reduction, func()) {
	exit := d.enter()
	return &reduction{d: d}, exit
}

// MomentsDev writes per-channel batch mean, biased variance (two passes,
// float64 sums) and 1/sqrt(var + eps).
func (d *Device) MomentsDev(x, mean, variance, invStd Buffer, n, c, inner int, eps float32) error {
	if c == 0 {
		return nil
	}
	r, exit := d.reduction()
	defer exit()
	m := n * inner
	s := slicesFor(m)
	part, md := r.get(8*uint64(c*s)), r.get(8*uint64(c))
	r.blocks("moments_part", c*s, x, Buffer{}, part, i32(n), i32(c), i64(inner), i32(s))
	r.items("moments_mean", c, part, md, mean, i32(c), i32(s), i64(m))
	r.blocks("moments_part", c*s, x, md, part, i32(n), i32(c), i64(inner), i32(s))
	r.items("moments_var", c, part, variance, invStd, i32(c), i32(s), i64(m), eps)
	return r.release()
}

// ChannelDotDev writes Σg and Σg·x̂ per channel as float64 (sg, sgx) and
// float32 (dbeta, dgamma). Any output may be a zero Buffer (skipped); a
// zero xhat sums g only (a bias gradient).
func (d *Device) ChannelDotDev(g, xhat, sg, sgx, dbeta, dgamma Buffer, n, c, inner int) error {
	if c == 0 {
		return nil
	}
	r, exit := d.reduction()
	defer exit()
	s := slicesFor(n * inner)
	pa, pb := r.get(8*uint64(c*s)), r.get(8*uint64(c*s))
	r.blocks("dot_part", c*s, g, xhat, pa, pb, i32(n), i32(c), i64(inner), i32(s))
	r.items("dot_final", c, pa, pb, sg, sgx, dbeta, dgamma, i32(c), i32(s))
	return r.release()
}

// MinMaxDev writes each channel's minimum and maximum ([0, 0] if empty).
func (d *Device) MinMaxDev(x, lo, hi Buffer, n, c, inner int) error {
	if c == 0 {
		return nil
	}
	r, exit := d.reduction()
	defer exit()
	s := slicesFor(n * inner)
	plo, phi := r.get(4*uint64(c*s)), r.get(4*uint64(c*s))
	r.blocks("minmax_part", c*s, x, plo, phi, i32(n), i32(c), i64(inner), i32(s))
	r.items("minmax_final", c, plo, phi, lo, hi, i32(c), i32(s))
	return r.release()
}

// RowAbsMeanDev writes mean|w| per row of w [rows][cols].
func (d *Device) RowAbsMeanDev(w, scale Buffer, rows, cols int) error {
	if rows == 0 {
		return nil
	}
	r, exit := d.reduction()
	defer exit()
	s := slicesFor(cols)
	part := r.get(8 * uint64(rows*s))
	r.blocks("absmean_part", rows*s, w, part, i32(rows), i64(cols), i32(s))
	r.items("absmean_final", rows, part, scale, i32(rows), i32(s), i64(cols))
	return r.release()
}
