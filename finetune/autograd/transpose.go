package autograd

import "fmt"

// transposeOp permutes axes; its backward applies the inverse permutation.
// It saves nothing.
type transposeOp struct {
	inv     []int
	shape   []int // the input's
	out, in *Grad
	bufs    *Buffers
}

// Transpose permutes x's axes: output axis k is input axis perm[k] (ONNX
// Transpose; nil perm reverses them).
func (tp *Tape) Transpose(x *Tensor, perm []int) (*Tensor, error) {
	r := len(x.Shape)
	if perm == nil {
		for k := r - 1; k >= 0; k-- {
			perm = append(perm, k)
		}
	}
	inv := make([]int, r)
	seen := make([]bool, r)
	if len(perm) != r {
		return nil, fmt.Errorf("autograd: transpose perm %v does not fit %v", perm, x.Shape)
	}
	for k, p := range perm {
		if p < 0 || p >= r || seen[p] {
			return nil, fmt.Errorf("autograd: transpose perm %v is not a permutation of %d axes", perm, r)
		}
		seen[p], inv[p] = true, k
	}
	shape := make([]int, r)
	for k, p := range perm {
		shape[k] = x.Shape[p]
	}
	y := tp.output(len(x.Data), x)
	permute(y, x.Data, x.Shape, perm)
	out := result(shape, y, x)
	if tp.recording(x) {
		tp.record(out, &transposeOp{inv: inv, shape: shape, out: out.g, in: x.g, bufs: tp.Buffers})
	}
	return out, nil
}

// permute writes dst = src (of shape) with its axes permuted by perm, one
// output row per step, rows split across goroutines.
func permute(dst, src []float32, shape, perm []int) {
	r := len(shape)
	if r == 0 || len(src) == 0 {
		copy(dst, src)
		return
	}
	st := rowMajor(shape)
	out, ost := make([]int, r), make([]int, r) // output shape, input stride of each output axis
	for k, p := range perm {
		out[k], ost[k] = shape[p], st[p]
	}
	inner, step := out[r-1], ost[r-1]
	rows := len(dst) / inner
	parts := min(rows, max(1, len(dst)/grain))
	parallelFor(parts, func(p int) {
		r0, r1 := p*rows/parts, (p+1)*rows/parts
		idx := make([]int, r-1)
		base := 0
		for k, rest := r-2, r0; k >= 0; k-- { // the multi-index of row r0
			idx[k] = rest % out[k]
			rest /= out[k]
			base += idx[k] * ost[k]
		}
		for row := r0; row < r1; row++ {
			d := dst[row*inner : (row+1)*inner]
			for j := range d {
				d[j] = src[base+j*step]
			}
			for k := r - 2; k >= 0; k-- {
				base += ost[k]
				if idx[k]++; idx[k] < out[k] {
					break
				}
				base -= ost[k] * out[k]
				idx[k] = 0
			}
		}
	})
}

func (o *transposeOp) backward() {
	if o.out.Data == nil || o.in == nil {
		return
	}
	dx := o.bufs.get(len(o.out.Data))
	permute(dx, o.out.Data, o.shape, o.inv)
	if !o.in.take(dx) {
		o.bufs.put(dx)
	}
}

func (o *transposeOp) saved() []Saved { return nil }
