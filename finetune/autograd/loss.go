package autograd

import (
	"fmt"
	"math"
)

// lossOp's gradient with respect to the logits is coef·(p − target), where
// p is the saved (tempered) softmax of the logits.
type lossOp struct {
	p, target []float32
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
	p := softmax(logits.Data, n, k, 1)
	target := make([]float32, n*k)
	var loss float64
	correct := 0
	for i, l := range labels {
		if l < 0 || l >= k {
			return nil, 0, fmt.Errorf("autograd: label %d of sample %d is outside [0, %d)", l, i, k)
		}
		target[i*k+l] = 1
		loss -= math.Log(math.Max(float64(p[i*k+l]), 1e-30))
		if argmax(logits.Data[i*k:(i+1)*k]) == l {
			correct++
		}
	}
	return tp.lossResult(logits, p, target, float32(loss)*weight/float32(n), weight/float32(n)), correct, nil
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
	ps := softmax(logits.Data, n, k, temperature)
	pt := softmax(teacher.Data, n, k, temperature)
	var kl float64
	for i, t := range pt {
		if t > 0 {
			kl += float64(t) * (math.Log(float64(t)) - math.Log(math.Max(float64(ps[i]), 1e-30)))
		}
	}
	t2 := temperature * temperature
	loss := float32(kl) * weight * t2 / float32(n)
	// d/dz of T²·KL(pt‖softmax(z/T)) = T·(ps − pt).
	return tp.lossResult(logits, ps, pt, loss, weight*temperature/float32(n)), nil
}

func (tp *Tape) lossResult(logits *Tensor, p, target []float32, loss, coef float32) *Tensor {
	out := result([]int{}, []float32{loss}, logits)
	tp.record(out, &lossOp{p: p, target: target, coef: coef, out: out.g, in: logits.g})
	return out
}

func logitDims(l *Tensor, n int) (int, int, error) {
	if len(l.Shape) != 2 || (n >= 0 && l.Shape[0] != n) {
		return 0, 0, fmt.Errorf("autograd: loss wants logits [N, K] with N = %d labels, got %v", n, l.Shape)
	}
	return l.Shape[0], l.Shape[1], nil
}

// softmax of each row of z/T, computed in float64.
func softmax(z []float32, n, k int, temp float32) []float32 {
	p := make([]float32, n*k)
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
	return p
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

func (o *lossOp) backward() {
	dy := o.out.Data
	if dy == nil || o.in == nil {
		return
	}
	d := o.in.buf()
	c := o.coef * dy[0]
	for i := range o.p {
		d[i] += c * (o.p[i] - o.target[i])
	}
}

func (o *lossOp) saved() []Saved {
	return []Saved{floatRef{d: o.p}, floatRef{d: o.target}}
}
