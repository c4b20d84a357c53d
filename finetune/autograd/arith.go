package autograd

import (
	"fmt"
	"math"

	"github.com/bincompress/bincompress/internal/kernels"
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
	return tp.binary(a, b, false, a.Data)
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
func (tp *Tape) binary(a, b *Tensor, mul bool, y []float32) (*Tensor, error) {
	bc, err := newBroadcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	if y == nil {
		y = tp.output(bc.outTotal, a, b)
	}
	if bc.same && !mul {
		// 1·a + 1·b + (−0) is a + b for every input, signed zeros included.
		chunks(len(y), func(lo, hi int) { kernels.Combine(y[lo:hi], a.Data[lo:hi], b.Data[lo:hi], 1, 1, negZero) })
	} else if mul {
		bc.each(func(o, ia, ib int) { y[o] = a.Data[ia] * b.Data[ib] })
	} else {
		bc.each(func(o, ia, ib int) { y[o] = a.Data[ia] + b.Data[ib] })
	}
	out := result(bc.shape, y, a, b)
	if tp.recording(a, b) {
		o := &binOp{bc: bc, mul: mul, out: out.g, ag: a.g, bg: b.g, aLen: len(a.Data), bLen: len(b.Data), bufs: tp.Buffers}
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
	dy := o.out.Data
	if dy == nil {
		return
	}
	if o.bc.same && !o.mul { // the common residual add: pass dy on
		o.ag.takeFrom(o.out)
		o.bg.share(dy)
		return
	}
	if !o.mul {
		o.bc.backward(o.ag, o.bg, o.aLen, o.bLen, func(i, _, _ int) (float32, float32) { return dy[i], dy[i] })
		return
	}
	a, doneA := operand(o.as, o.aLen, o.bufs)
	b, doneB := operand(o.bs, o.bLen, o.bufs)
	defer doneA()
	defer doneB()
	o.bc.backward(o.ag, o.bg, o.aLen, o.bLen, func(i, ia, ib int) (ga, gb float32) {
		if o.ag != nil {
			ga = dy[i] * b[ib]
		}
		if o.bg != nil {
			gb = dy[i] * a[ia]
		}
		return ga, gb
	})
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
