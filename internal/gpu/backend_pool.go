package gpu

import "github.com/bincompress/bincompress/internal/backend"

// Pooling (cuda/pool.cu) and losses (cuda/loss.cu).

// pgeom is the pooling geometry as the kernels take it (struct pgeom).
type pgeom struct {
	planes                                                 int64
	h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, countPad int32
	_                                                      int32
}

func poolArg(p backend.Pool) *pgeom {
	return &pgeom{planes: int64(p.N * p.C), h: i32(p.H), w: i32(p.W), oh: i32(p.OH), ow: i32(p.OW), kh: i32(p.KH),
		kw: i32(p.KW), sh: i32(p.StrideH), sw: i32(p.StrideW), pt: i32(p.PadTop), pl: i32(p.PadLeft),
		pb: i32(p.PadBottom), pr: i32(p.PadRight), countPad: flag(p.CountIncludePad)}
}

// Indices are max pooling's window offsets in device memory, one byte each
// or four (wide).
type Indices struct {
	arg  Buffer
	n    int
	wide bool
}

// Bytes is the memory the offsets hold.
func (x *Indices) Bytes() int64 {
	if x.wide {
		return 4 * int64(x.n)
	}
	return int64(x.n)
}

func (b *Backend) MaxPool(p backend.Pool, x, y backend.Buffer, small bool) backend.Saved {
	idx := &Indices{n: y.Len(), wide: !small}
	idx.arg = b.scratch(uint64(idx.Bytes()))
	b.run("maxpool_fwd", y.Len(), arr(x), arr(y), idx.arg, poolArg(p), flag(idx.wide))
	return idx
}

func (b *Backend) MaxPoolBackward(p backend.Pool, dy backend.Buffer, arg backend.Saved, dx backend.Buffer) {
	idx := arg.(*Indices)
	b.run("maxpool_bwd", dx.Len(), arr(dy), idx.arg, arr(dx), poolArg(p), flag(idx.wide))
}

func (b *Backend) AvgPool(p backend.Pool, x, y backend.Buffer) {
	b.run("avgpool_fwd", y.Len(), arr(x), arr(y), poolArg(p))
}

func (b *Backend) AvgPoolBackward(p backend.Pool, dy, dx backend.Buffer) {
	b.run("avgpool_bwd", dx.Len(), arr(dy), arr(dx), poolArg(p))
}

func (b *Backend) Softmax(p, z backend.Buffer, n, k int, temp float32) {
	b.run("softmax_rows", n, arr(z), arr(p), i32(n), i32(k), temp)
}

// CrossEntropy uploads the labels and downloads the number of hits: the
// one synchronization of a training step.
func (b *Backend) CrossEntropy(loss, p, target, logits backend.Buffer, labels []int32, n, k int, weight float32) int {
	b.Softmax(p, logits, n, k, 1)
	lab, hits := b.scratch(4*uint64(n)), b.scratch(4)
	defer b.drop(lab, hits)
	if b.ok() {
		b.fail(b.d.Upload(lab, labels))
	}
	b.run("cross_entropy", n*k, arr(p), arr(logits), lab, arr(target), arr(loss), hits, i32(n), i32(k), weight)
	h := []int32{0}
	if b.ok() {
		b.fail(b.d.Download(h, hits))
	}
	return int(h[0])
}

func (b *Backend) KLDivergence(loss, ps, pt backend.Buffer, n int, temperature, weight float32) {
	b.one("kl_divergence", arr(ps), arr(pt), arr(loss), i64(ps.Len()), i32(n), temperature, weight)
}

func (b *Backend) LossGrad(d, p, target, dy backend.Buffer, coef float32) {
	b.run("loss_grad", d.Len(), arr(d), arr(p), arr(target), arr(dy), coef, i64(d.Len()))
}
