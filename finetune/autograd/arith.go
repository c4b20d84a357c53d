package autograd

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/backend"
)

var negZero = float32(math.Copysign(0, -1))

// broadcast describes numpy-style broadcasting of two shapes: the output
// shape and, for each operand, its stride along each output dimension
// (0 where the operand is broadcast).
type broadcast struct {
	shape    []int
	sa, sb   []int
	same     bool
	outTotal int
}

func newBroadcast(a, b []int) (*broadcast, error) {
	r := max(len(a), len(b))
	bc := &broadcast{shape: make([]int, r), same: sameShape(a, b)}
	pa, pb := padShape(a, r), padShape(b, r)
	for i := range r {
		switch {
		case pa[i] == pb[i] || pb[i] == 1:
			bc.shape[i] = pa[i]
		case pa[i] == 1:
			bc.shape[i] = pb[i]
		default:
			return nil, fmt.Errorf("autograd: shapes %v and %v do not broadcast", a, b)
		}
	}
	bc.sa, bc.sb = bcStrides(pa, bc.shape), bcStrides(pb, bc.shape)
	bc.outTotal = lenOf(bc.shape)
	return bc, nil
}

func padShape(s []int, r int) []int {
	p := make([]int, r)
	for i := range p {
		p[i] = 1
	}
	copy(p[r-len(s):], s)
	return p
}

func bcStrides(s, out []int) []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 || out[i] == 1 {
			st[i] = acc
		}
		acc *= s[i]
	}
	return st
}

// geom is bc as the backend interface takes it.
func (bc *broadcast) geom() backend.Broadcast {
	return backend.Broadcast{Shape: bc.shape, Strides: [2][]int{bc.sa, bc.sb}, Same: bc.same}
}

// fromGeom is geom's inverse.
func fromGeom(g backend.Broadcast) *broadcast {
	return &broadcast{shape: g.Shape, sa: g.Strides[0], sb: g.Strides[1], same: g.Same, outTotal: lenOf(g.Shape)}
}

// each calls f(out, ia, ib) for every output element.
func (bc *broadcast) each(f func(o, ia, ib int)) {
	if bc.same {
		for i := range bc.outTotal {
			f(i, i, i)
		}
		return
	}
	idx := make([]int, len(bc.shape))
	ia, ib := 0, 0
	for o := range bc.outTotal {
		f(o, ia, ib)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			ia += bc.sa[d]
			ib += bc.sb[d]
			if idx[d] < bc.shape[d] {
				break
			}
			ia -= bc.sa[d] * idx[d]
			ib -= bc.sb[d] * idx[d]
			idx[d] = 0
		}
	}
}

// binOp is Add or Mul with broadcasting. Mul keeps each operand that the
// other one's gradient needs (mul.go says in what form).
type binOp struct {
	be          backend.Backend
	bc          *broadcast
	mul         bool
	as, bs      Saved // Mul: a (for b's gradient) and b (for a's)
	out, ag, bg *Grad
	aLen, bLen  int
	bufs        *Buffers
}

// Add is a + b with numpy broadcasting. It saves nothing.
func (tp *Tape) Add(a, b *Tensor) (*Tensor, error) { return tp.binary(a, b, false, nil) }

// AddInPlace is Add writing over a's data, for an a that nothing reads
// afterwards and no op keeps (a BN or conv output read only by this add);
// with broadcasting it is Add.
func (tp *Tape) AddInPlace(a, b *Tensor) (*Tensor, error) {
	if !sameShape(a.Shape, b.Shape) {
		return tp.Add(a, b)
	}
	return tp.binary(a, b, false, a.Buffer())
}

// Mul is a·b with numpy broadcasting. It saves an operand only when the
// other one needs a gradient (see saveOperand).
func (tp *Tape) Mul(a, b *Tensor) (*Tensor, error) { return tp.binary(a, b, true, nil) }

// Sum adds any number of tensors (ONNX Sum).
func (tp *Tape) Sum(xs ...*Tensor) (*Tensor, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("autograd: sum of no tensors")
	}
	acc := xs[0]
	for _, x := range xs[1:] {
		var err error
		if acc, err = tp.Add(acc, x); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// binary is Add or Mul, into y when it is given (a's data, same shape).
func (tp *Tape) binary(a, b *Tensor, mul bool, y backend.Buffer) (*Tensor, error) {
	bc, err := newBroadcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	be, err := backendOf(a, b)
	if err != nil {
		return nil, err
	}
	if y == nil {
		y = tp.outputOn(be, bc.outTotal, a, b)
	}
	switch {
	case bc.same && !mul:
		// 1·a + 1·b + (−0) is a + b for every input, signed zeros included.
		be.Combine(y, a.Buffer(), b.Buffer(), 1, 1, negZero)
	case mul:
		be.BroadcastMul(y, a.Buffer(), b.Buffer(), bc.geom())
	default:
		be.BroadcastAdd(y, a.Buffer(), b.Buffer(), bc.geom())
	}
	out := resultOn(be, bc.shape, y, a, b)
	if tp.recording(a, b) {
		o := &binOp{be: be, bc: bc, mul: mul, out: out.g, ag: a.g, bg: b.g, aLen: a.Len(), bLen: b.Len(), bufs: tp.Buffers}
		if mul && b.RequiresGrad() {
			o.as = tp.saveOperand(a, bc.outTotal)
		}
		if mul && a.RequiresGrad() {
			o.bs = tp.saveOperand(b, bc.outTotal)
		}
		tp.record(out, o)
	}
	return out, nil
}

func (o *binOp) backward() {
	dy := o.out.value()
	if dy == nil {
		return
	}
	if o.bc.same && !o.mul { // the common residual add: pass dy on
		o.ag.takeFrom(o.out)
		o.bg.shareBuf(dy)
		return
	}
	a, doneA := operand(o.be, o.as, o.aLen, o.bufs)
	b, doneB := operand(o.be, o.bs, o.bLen, o.bufs)
	var da, db backend.Buffer
	if o.ag != nil {
		da = scratch(o.be, o.bufs, o.aLen)
	}
	if o.bg != nil {
		db = scratch(o.be, o.bufs, o.bLen)
	}
	o.be.BroadcastGrad(o.mul, da, db, dy, a, b, o.bc.geom())
	doneA()
	doneB()
	if da != nil {
		o.ag.takeBuf(o.be, o.bufs, da)
	}
	if db != nil {
		o.bg.takeBuf(o.be, o.bufs, db)
	}
}

func (o *binOp) saved() []Saved {
	var s []Saved
	for _, x := range []Saved{o.as, o.bs} {
		if x != nil {
			s = append(s, x)
		}
	}
	return s
}

// The CPU's broadcasting ops: sequential loops in output order.

func (CPU) BroadcastAdd(yb, ab, bb backend.Buffer, g backend.Broadcast) {
	y, a, b := host(yb), host(ab), host(bb)
	fromGeom(g).each(func(o, ia, ib int) { y[o] = a[ia] + b[ib] })
}

func (CPU) BroadcastMul(yb, ab, bb backend.Buffer, g backend.Broadcast) {
	y, a, b := host(yb), host(ab), host(bb)
	fromGeom(g).each(func(o, ia, ib int) { y[o] = a[ia] * b[ib] })
}

// BroadcastGrad accumulates in output order into zeroed da and db. A
// product reads b only for da and a only for db (the other may be nil).
func (CPU) BroadcastGrad(mul bool, dab, dbb, dyb, ab, bb backend.Buffer, g backend.Broadcast) {
	da, db, dy, a, b := host(dab), host(dbb), host(dyb), host(ab), host(bb)
	clear(da)
	clear(db)
	fromGeom(g).each(func(i, ia, ib int) {
		if da != nil {
			ga := dy[i]
			if mul {
				ga *= b[ib]
			}
			da[ia] += ga
		}
		if db != nil {
			gb := dy[i]
			if mul {
				gb *= a[ia]
			}
			db[ib] += gb
		}
	})
}
