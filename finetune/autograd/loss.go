package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/bincompress/bincompress/internal/backend"
)

// lossOp's gradient with respect to the logits is coef·(p − target), where
// p is the saved (tempered) softmax of the logits.
type lossOp struct {
	be        backend.Backend
	p, target backend.Buffer
	coef      float32
	out, in   *Grad
}

// CrossEntropy is weight·mean over the batch of −log softmax(logits)[label]
// for logits [N, K]. It returns the loss and the number of correct top-1
// predictions. It saves the softmax (N·K floats).
func (tp *Tape) CrossEntropy(logits *Tensor, labels []int, weight float32) (*Tensor, int, error) {
	n, k, err := logitDims(logits, len(labels))
	if err != nil {
		return nil, 0, err
	}
	lab := make([]int32, n)
	for i, l := range labels {
		if l < 0 || l >= k {
			return nil, 0, fmt.Errorf("autograd: label %d of sample %d is outside [0, %d)", l, i, k)
		}
		lab[i] = int32(l)
	}
	be := logits.Backend()
	p, target := tp.keep(be, n*k), tp.keep(be, n*k)
	loss := tp.fresh(be, 1, logits)
	correct := be.CrossEntropy(loss, p, target, logits.Buffer(), lab, n, k, weight)
	return tp.lossResult(be, logits, p, target, loss, weight/float32(n)), correct, nil
}

// Distill is weight·T²·mean over the batch of KL(softmax(teacher/T) ‖
// softmax(logits/T)), Hinton's distillation loss; the teacher is constant.
func (tp *Tape) Distill(logits, teacher *Tensor, temperature, weight float32) (*Tensor, error) {
	n, k, err := logitDims(logits, -1)
	if err != nil {
		return nil, err
	}
	if !sameShape(logits.Shape, teacher.Shape) || temperature <= 0 {
		return nil, fmt.Errorf("autograd: distill needs teacher logits of shape %v and T > 0, got %v and T = %v", logits.Shape, teacher.Shape, temperature)
	}
	be, err := backendOf(logits, teacher)
	if err != nil {
		return nil, err
	}
	ps, pt := tp.keep(be, n*k), tp.keep(be, n*k)
	be.Softmax(ps, logits.Buffer(), n, k, temperature)
	be.Softmax(pt, teacher.Buffer(), n, k, temperature)
	loss := tp.fresh(be, 1, logits)
	be.KLDivergence(loss, ps, pt, n, temperature, weight)
	// d/dz of T²·KL(pt‖softmax(z/T)) = T·(ps − pt).
	return tp.lossResult(be, logits, ps, pt, loss, weight*temperature/float32(n)), nil
}

// keep is a buffer of n elements on be that lives until the end of the
// pass (what a loss saves).
func (tp *Tape) keep(be backend.Backend, n int) backend.Buffer {
	b := be.Alloc(n)
	if tp != nil && !IsHost(be) {
		tp.devBe = be
		tp.transient = append(tp.transient, b)
	}
	return b
}

func (tp *Tape) lossResult(be backend.Backend, logits *Tensor, p, target, loss backend.Buffer, coef float32) *Tensor {
	out := resultOn(be, []int{}, loss, logits)
	if tp == nil && !IsHost(be) {
		be.Free(p)
		be.Free(target)
	}
	tp.record(out, &lossOp{be: be, p: p, target: target, coef: coef, out: out.g, in: logits.g})
	return out
}

// logitDims is N and K of logits [N, K], or [N, K, 1, ...] as a
// 1×1-convolution head without a Flatten leaves them (the same values in
// the same order).
func logitDims(l *Tensor, n int) (int, int, error) {
	if len(l.Shape) < 2 || (n >= 0 && l.Shape[0] != n) || slices.ContainsFunc(l.Shape[2:], func(d int) bool { return d != 1 }) {
		return 0, 0, fmt.Errorf("autograd: loss wants logits [N, K] (or [N, K, 1, 1]) with N = %d labels, got %v", n, l.Shape)
	}
	return l.Shape[0], l.Shape[1], nil
}

func (o *lossOp) backward() {
	dy := o.out.value()
	if dy == nil || o.in == nil {
		return
	}
	o.be.LossGrad(o.in.accumulator(), o.p, o.target, dy, o.coef)
}

func (o *lossOp) saved() []Saved {
	return []Saved{floatRef{b: o.p}, floatRef{b: o.target}}
}

// The CPU's losses: softmax in float64, sums in row order.

func (CPU) Softmax(pb, zb backend.Buffer, n, k int, temp float32) {
	p, z := host(pb), host(zb)
	for i := range n {
		row := z[i*k : (i+1)*k]
		m := float64(row[argmax(row)]) / float64(temp)
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v)/float64(temp) - m)
		}
		for j, v := range row {
			p[i*k+j] = float32(math.Exp(float64(v)/float64(temp)-m) / s)
		}
	}
}

func (c CPU) CrossEntropy(lossb, pb, targetb, logitsb backend.Buffer, labels []int32, n, k int, weight float32) int {
	c.Softmax(pb, logitsb, n, k, 1)
	p, target, logits := host(pb), host(targetb), host(logitsb)
	clear(target)
	var loss float64
	correct := 0
	for i, l := range labels {
		target[i*k+int(l)] = 1
		loss -= math.Log(math.Max(float64(p[i*k+int(l)]), 1e-30))
		if argmax(logits[i*k:(i+1)*k]) == int(l) {
			correct++
		}
	}
	host(lossb)[0] = float32(loss) * weight / float32(n)
	return correct
}

func (CPU) KLDivergence(lossb, psb, ptb backend.Buffer, n int, temperature, weight float32) {
	ps, pt := host(psb), host(ptb)
	var kl float64
	for i, t := range pt {
		if t > 0 {
			kl += float64(t) * (math.Log(float64(t)) - math.Log(math.Max(float64(ps[i]), 1e-30)))
		}
	}
	host(lossb)[0] = float32(kl) * weight * (temperature * temperature) / float32(n)
}

func (CPU) LossGrad(db, pb, targetb, dyb backend.Buffer, coef float32) {
	d, p, target := host(db), host(pb), host(targetb)
	c := coef * host(dyb)[0]
	for i := range p {
		d[i] += c * (p[i] - target[i])
	}
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}
