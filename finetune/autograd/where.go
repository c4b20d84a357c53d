package autograd

import "fmt"

// whereOp routes the gradient to a where the condition holds and to b
// elsewhere. The condition is a constant (it carries no gradient); the op
// keeps a reference to it, counted as a parameter.
type whereOp struct {
	out, shape []int
	cond       []bool
	st         [3][]int // strides of cond, a, b over out
	ag, bg     *Grad
	aLen, bLen int
	outG       *Grad
	bufs       *Buffers // the tape's, for backward's gradients
}

// Where is cond ? a : b elementwise, the three broadcast numpy style (ONNX
// Where with a constant condition of shape condShape).
func (tp *Tape) Where(cond []bool, condShape []int, a, b *Tensor) (*Tensor, error) {
	if len(cond) != lenOf(condShape) {
		return nil, fmt.Errorf("autograd: where condition has %d values for shape %v", len(cond), condShape)
	}
	ab, err := newBroadcast(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	all, err := newBroadcast(ab.shape, condShape)
	if err != nil {
		return nil, err
	}
	out := all.shape
	var st [3][]int
	for i, s := range [][]int{condShape, a.Shape, b.Shape} {
		st[i] = bcStrides(padShape(s, len(out)), out)
	}
	y := tp.output(lenOf(out), a, b)
	eachBroadcast(out, st, func(o int, ix [3]int) {
		if cond[ix[0]] {
			y[o] = a.Data[ix[1]]
		} else {
			y[o] = b.Data[ix[2]]
		}
	})
	res := result(out, y, a, b)
	if tp.recording(a, b) {
		tp.record(res, &whereOp{out: out, cond: cond, st: st, ag: a.g, bg: b.g, aLen: len(a.Data), bLen: len(b.Data), outG: res.g, bufs: tp.Buffers})
	}
	return res, nil
}

// eachBroadcast calls f for each element of out with the offsets of the
// three operands whose strides over out are st (0 where broadcast).
func eachBroadcast(out []int, st [3][]int, f func(o int, ix [3]int)) {
	idx := make([]int, len(out))
	var ix [3]int
	for o := range lenOf(out) {
		f(o, ix)
		for d := len(out) - 1; d >= 0; d-- {
			idx[d]++
			for i := range ix {
				ix[i] += st[i][d]
			}
			if idx[d] < out[d] {
				break
			}
			for i := range ix {
				ix[i] -= st[i][d] * idx[d]
			}
			idx[d] = 0
		}
	}
}

func (o *whereOp) backward() {
	dy := o.outG.Data
	if dy == nil {
		return
	}
	da, db := zeroed(o.ag, o.aLen, o.bufs), zeroed(o.bg, o.bLen, o.bufs)
	eachBroadcast(o.out, o.st, func(i int, ix [3]int) {
		switch {
		case o.cond[ix[0]] && da != nil:
			da[ix[1]] += dy[i]
		case !o.cond[ix[0]] && db != nil:
			db[ix[2]] += dy[i]
		}
	})
	handOver(o.ag, da, o.bufs)
	handOver(o.bg, db, o.bufs)
}

func (o *whereOp) saved() []Saved { return []Saved{&boolBuf{b: o.cond}} }

// boolBuf is a constant condition kept by reference (a parameter).
type boolBuf struct{ b []bool }

func (b *boolBuf) Bytes() int64 { return int64(len(b.b)) }
func (b *boolBuf) Param() bool  { return true }
func (b *boolBuf) key() any {
	if len(b.b) == 0 {
		return nil
	}
	return &b.b[0]
}
