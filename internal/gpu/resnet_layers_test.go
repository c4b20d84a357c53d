package gpu

import (
	"fmt"
	"math"
)

// reluL is an in-place ReLU that keeps its exact mask (one bit per element).
type reluL struct {
	nt    *Net
	mask  Buffer
	words int
}

func (l *reluL) forward(x dtensor) (dtensor, error) {
	n := x.len()
	l.words = (n + 63) / 64
	var err error
	if l.mask, err = l.nt.d.Alloc(8 * uint64(l.words)); err != nil {
		return dtensor{}, err
	}
	if err := l.nt.d.ReluMaskDev(x.b.buf, l.mask, n); err != nil {
		return dtensor{}, err
	}
	return l.nt.retain(x), l.nt.d.ReluDev(x.b.buf, x.b.buf, n)
}

func (l *reluL) saved(m savedSet) { m[l] = 8 * int64(l.words) }

func (l *reluL) backward(dy dtensor) (dtensor, error) {
	err := l.nt.d.ReluBackwardDev(l.mask, dy.b.buf, dy.b.buf, dy.len())
	l.nt.d.Free(l.mask)
	l.words = 0
	return l.nt.retain(dy), err
}

// seq runs layers in order (a branch of a residual block).
type seq []layer

func (s seq) forward(x dtensor) (dtensor, error) {
	cur := x
	for i, l := range s {
		next, err := l.forward(cur)
		if i > 0 {
			s.nt(l).release(cur)
		}
		if err != nil {
			return dtensor{}, err
		}
		cur = next
	}
	return cur, nil
}

func (s seq) backward(dy dtensor) (dtensor, error) {
	cur := dy
	for i := len(s) - 1; i >= 0; i-- {
		next, err := s[i].backward(cur)
		if i < len(s)-1 {
			s.nt(s[i]).release(cur)
		}
		if err != nil {
			return dtensor{}, err
		}
		cur = next
	}
	return cur, nil
}

func (s seq) saved(m savedSet) {
	for _, l := range s {
		l.saved(m)
	}
}

func (s seq) nt(l layer) *Net {
	switch v := l.(type) {
	case *convL:
		return v.nt
	case *bnL:
		return v.nt
	case *reluL:
		return v.nt
	}
	panic(fmt.Sprintf("gpu: seq of %T", l))
}

// blockL is a basic residual block: relu(branch(x) + shortcut(x)), the
// shortcut being the identity or a 1×1 conv and BN.
type blockL struct {
	nt       *Net
	branch   seq
	shortcut seq // empty: identity
	out      *reluL
}

func (nt *Net) block(cin, cout, stride int, r *prng) (*blockL, error) {
	b := &blockL{nt: nt, out: &reluL{nt: nt}}
	c1, err := nt.conv(cin, cout, 3, stride, true, true, r)
	if err != nil {
		return nil, err
	}
	bn1, err := nt.bn(cout, r)
	if err != nil {
		return nil, err
	}
	c2, err := nt.conv(cout, cout, 3, 1, true, true, r)
	if err != nil {
		return nil, err
	}
	bn2, err := nt.bn(cout, r)
	if err != nil {
		return nil, err
	}
	b.branch = seq{c1, bn1, &reluL{nt: nt}, c2, bn2}
	if stride != 1 || cin != cout {
		sc, err := nt.conv(cin, cout, 1, stride, true, true, r)
		if err != nil {
			return nil, err
		}
		sbn, err := nt.bn(cout, r)
		if err != nil {
			return nil, err
		}
		b.shortcut = seq{sc, sbn}
	}
	return b, nil
}

func (b *blockL) forward(x dtensor) (dtensor, error) {
	y, err := b.branch.forward(x)
	if err != nil {
		return y, err
	}
	s := b.nt.retain(x)
	if len(b.shortcut) > 0 {
		s2, err := b.shortcut.forward(x)
		b.nt.release(s)
		if err != nil {
			return y, err
		}
		s = s2
	}
	err = b.nt.d.AddDev(y.b.buf, s.b.buf, y.b.buf, y.len())
	b.nt.release(s)
	if err != nil {
		return y, err
	}
	z, err := b.out.forward(y)
	b.nt.release(y)
	return z, err
}

func (b *blockL) saved(m savedSet) {
	b.branch.saved(m)
	b.shortcut.saved(m)
	b.out.saved(m)
}

func (b *blockL) backward(dy dtensor) (dtensor, error) {
	dz, err := b.out.backward(dy)
	if err != nil {
		return dz, err
	}
	defer b.nt.release(dz)
	dx, err := b.branch.backward(dz)
	if err != nil {
		return dx, err
	}
	ds := b.nt.retain(dz)
	if len(b.shortcut) > 0 {
		d2, err := b.shortcut.backward(dz)
		b.nt.release(ds)
		if err != nil {
			return dx, err
		}
		ds = d2
	}
	defer b.nt.release(ds)
	return dx, b.nt.d.AddDev(dx.b.buf, ds.b.buf, dx.b.buf, dx.len())
}

func (b *blockL) close() {
	for _, l := range append(append(seq{}, b.branch...), b.shortcut...) {
		if c, ok := l.(interface{ close() }); ok {
			c.close()
		}
	}
}

// poolL is max pooling 3×3, stride 2, padding 1 (ResNet-18's stem).
type poolL struct {
	nt  *Net
	g   PoolGeom
	arg Buffer
	in  dtensor
}

func (l *poolL) forward(x dtensor) (dtensor, error) {
	oh, ow := (x.h+2-3)/2+1, (x.w+2-3)/2+1
	l.g = PoolGeom{Planes: x.n * x.c, H: x.h, W: x.w, OH: oh, OW: ow, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1}
	l.in = dtensor{n: x.n, c: x.c, h: x.h, w: x.w}
	var err error
	if l.arg, err = l.nt.d.Alloc(uint64(l.g.Planes * oh * ow)); err != nil {
		return dtensor{}, err
	}
	y, err := l.nt.newTensor(x.n, x.c, oh, ow)
	if err != nil {
		return y, err
	}
	return y, l.nt.d.MaxPoolDev(l.g, x.b.buf, y.b.buf, l.arg)
}

func (l *poolL) saved(m savedSet) { m[l] = int64(l.arg.Size) }

func (l *poolL) backward(dy dtensor) (dtensor, error) {
	defer func() { l.nt.d.Free(l.arg); l.arg = Buffer{} }()
	dx, err := l.nt.newTensor(l.in.n, l.in.c, l.in.h, l.in.w)
	if err != nil {
		return dx, err
	}
	return dx, l.nt.d.MaxPoolBackwardDev(l.g, dy.b.buf, l.arg, dx.b.buf)
}

// headL is global average pooling and a float dense layer with bias.
type headL struct {
	nt    *Net
	c, k  int
	w, b  *param
	feats dtensor
	in    dtensor
}

func (l *headL) forward(x dtensor) (dtensor, error) {
	d := l.nt.d
	l.in = dtensor{n: x.n, c: x.c, h: x.h, w: x.w}
	f, err := l.nt.newTensor(x.n, x.c, 1, 1)
	if err != nil {
		return f, err
	}
	l.feats = f
	if err := d.GAPDev(x.b.buf, f.b.buf, x.n*x.c, x.h*x.w); err != nil {
		return dtensor{}, err
	}
	y, err := l.nt.newTensor(x.n, l.k, 1, 1)
	if err != nil {
		return y, err
	}
	if err := d.Sgemm(false, true, x.n, l.k, l.c, 1, f.b.buf, l.c, l.w.w, l.c, 0, y.b.buf, l.k); err != nil {
		return y, err
	}
	return y, d.BiasAddDev(y.b.buf, l.b.w, x.n, l.k, 1)
}

func (l *headL) saved(m savedSet) {
	if l.feats.b != nil {
		m[l.feats.b] = int64(l.feats.bytes())
	}
}

func (l *headL) backward(dy dtensor) (dtensor, error) {
	d, n := l.nt.d, l.in.n
	defer func() { l.nt.release(l.feats); l.feats = dtensor{} }()
	if err := d.Sgemm(true, false, l.k, l.c, n, 1, dy.b.buf, l.k, l.feats.b.buf, l.c, 0, l.w.g, l.c); err != nil {
		return dtensor{}, err
	}
	if err := d.ChannelDotDev(dy.b.buf, Buffer{}, Buffer{}, Buffer{}, l.b.g, Buffer{}, n, l.k, 1); err != nil {
		return dtensor{}, err
	}
	df, err := l.nt.newTensor(n, l.c, 1, 1)
	if err != nil {
		return df, err
	}
	defer l.nt.release(df)
	if err := d.Sgemm(false, false, n, l.c, l.k, 1, dy.b.buf, l.k, l.w.w, l.c, 0, df.b.buf, l.c); err != nil {
		return dtensor{}, err
	}
	dx, err := l.nt.newTensor(l.in.n, l.in.c, l.in.h, l.in.w)
	if err != nil {
		return dx, err
	}
	return dx, d.GAPBackwardDev(df.b.buf, dx.b.buf, n*l.c, l.in.h*l.in.w)
}

// NewResNet builds a ResNet of basic blocks on d: a stem conv (float
// weights; 3×3 for CIFAR-style nets, 7×7 stride 2 plus max pooling when
// imagenetStem), stages of blocks per widths, global average pooling and a
// float dense layer to classes. Every other conv is binary.
// ResNet-20 is NewResNet(d, 3, []int{16, 32, 64}, 3, 10, false, ...);
// the ResNet-18 topology is NewResNet(d, 3, []int{64, 128, 256, 512}, 2,
// 1000, true, ...).
func NewResNet(d *Device, inC int, widths []int, blocks, classes int, imagenetStem, compress bool, seed uint64) (*Net, error) {
	if len(widths) == 0 || blocks < 1 || classes < 1 || inC < 1 {
		return nil, fmt.Errorf("gpu: resnet with widths %v, %d blocks, %d classes", widths, blocks, classes)
	}
	nt := &Net{d: d, compress: compress}
	r := newPRNG(seed)
	k, stride := 3, 1
	if imagenetStem {
		k, stride = 7, 2
	}
	stem, err := nt.conv(inC, widths[0], k, stride, false, false, r)
	if err != nil {
		nt.Close()
		return nil, err
	}
	nt.layers = append(nt.layers, stem)
	if err := nt.addLayers(widths, blocks, classes, imagenetStem, r); err != nil {
		nt.Close()
		return nil, err
	}
	return nt, nil
}

func (nt *Net) addLayers(widths []int, blocks, classes int, imagenetStem bool, r *prng) error {
	bn, err := nt.bn(widths[0], r)
	if err != nil {
		return err
	}
	nt.layers = append(nt.layers, bn, &reluL{nt: nt})
	if imagenetStem {
		nt.layers = append(nt.layers, &poolL{nt: nt})
	}
	cin := widths[0]
	for s, w := range widths {
		for i := range blocks {
			stride := 1
			if i == 0 && s > 0 {
				stride = 2
			}
			b, err := nt.block(cin, w, stride, r)
			if err != nil {
				return err
			}
			nt.layers = append(nt.layers, b)
			cin = w
		}
	}
	h := &headL{nt: nt, c: cin, k: classes}
	bound := float32(1 / math.Sqrt(float64(cin)))
	if h.w, err = nt.newParam(classes*cin, r, bound, 0, true); err != nil {
		return err
	}
	if h.b, err = nt.newParam(classes, r, bound, 0, false); err != nil {
		return err
	}
	nt.layers = append(nt.layers, h)
	return nil
}
