package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/internal/kernels"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// fusion is the BatchNormalization, Add and Relu nodes folded into a
// convolution step. An inference BatchNormalization after a Conv with
// constant weights becomes new weights and bias at compile time, as every
// inference engine does (the product is rounded once more, so results move
// by float rounding). Add and Relu are folded into the convolution step, which
// then applies them to each output row while it is in cache (see
// kernels.Epilogue) instead of in two more passes over memory, each with a
// fresh tensor. Every ResNet block ends in Conv → Add → Relu and every
// other convolution in Conv → Relu.
type fusion struct {
	bnStep   *step // the folded BatchNormalization, or nil
	addStep  *step // the folded Add, or nil
	add      int   // with addStep: the slot of the Add's other input
	convAt   int   // with addStep: which of the Add's inputs the convolution's output was
	reluStep *step // the folded Relu, or nil
}

func (f fusion) active() bool { return f.bnStep != nil || f.addStep != nil || f.reluStep != nil }

// epilogueOps are the ops whose implementation applies a fusion itself.
var epilogueOps = map[[2]string]bool{{"", "Conv"}: true, {"ai.bincompress", "BinaryConv"}: true}

// fuse returns the steps to run: a copy of steps in which each Add and Relu
// that only post-processes a convolution's output is folded into the
// convolution. keep holds the slots that must stay visible (graph outputs).
// An Add folds only when its other input is ready before the convolution
// runs, so moving it earlier changes nothing else.
func fuse(steps []step, keep map[int]bool, consts map[int]*ir.Tensor) []step {
	out := make([]step, len(steps))
	copy(out, steps)
	readers := map[int]int{}
	producer := map[int]int{}
	for i, st := range out {
		for _, s := range st.in {
			readers[s]++
		}
		for _, s := range st.out {
			producer[s] = i
		}
	}
	// convOutput is the index of the convolution step whose only output
	// slot s is, read once (by the node being folded) and not yet through
	// a folded Relu, or -1.
	convOutput := func(s int) int {
		i, ok := producer[s]
		if !ok || readers[s] != 1 || keep[s] {
			return -1
		}
		st := &out[i]
		dom := st.node.Domain
		if dom == "ai.onnx" {
			dom = ""
		}
		if !epilogueOps[[2]string{dom, st.node.OpType}] || len(st.out) != 1 || st.fused.reluStep != nil {
			return -1
		}
		return i
	}
	folded := make([]bool, len(out))
	for t := range out {
		st := &out[t]
		if st.node.Domain != "" && st.node.Domain != "ai.onnx" || len(st.out) != 1 || st.out[0] < 0 {
			continue
		}
		c := -1
		switch {
		case st.node.OpType == "BatchNormalization" && len(st.in) == 5:
			if c = convOutput(st.in[0]); c >= 0 && (out[c].fused.active() || !foldBatchNorm(&out[c], st, consts)) {
				c = -1
			}
		case st.node.OpType == "Relu" && len(st.in) == 1:
			if c = convOutput(st.in[0]); c >= 0 {
				out[c].fused.reluStep = &steps[t]
			}
		case st.node.OpType == "Add" && len(st.in) == 2 && st.in[0] != st.in[1]:
			for at, s := range st.in {
				ci := convOutput(s)
				if ci < 0 || out[ci].fused.addStep != nil || ci < c {
					continue
				}
				if p, ok := producer[st.in[1-at]]; ok && p >= ci {
					continue // the other input is not ready when the convolution runs
				}
				c = ci
				out[c].fused.convAt, out[c].fused.add = at, st.in[1-at]
			}
			if c >= 0 {
				out[c].fused.addStep = &steps[t]
			}
		}
		if c >= 0 {
			out[c].out = st.out
			producer[st.out[0]] = c
			folded[t] = true
		}
	}
	kept := out[:0]
	for i, st := range out {
		if !folded[i] {
			kept = append(kept, st)
		}
	}
	return kept
}

// suffix names the folded ops for profiles: "+Add+Relu", "+Relu" or "".
func (f fusion) suffix() string {
	s := ""
	if f.bnStep != nil {
		s += "+BatchNormalization"
	}
	if f.addStep != nil {
		s += "+Add"
	}
	if f.reluStep != nil {
		s += "+Relu"
	}
	return s
}

// runFusion is a fused step's epilogue during one run.
type runFusion struct {
	add    *ir.Tensor // the value to add, when hasAdd
	hasAdd bool
	relu   bool
	done   bool // the op applied it
}

// epilogue is the kernel epilogue for the output y of a fused step, and
// marks it applied; it is empty when the step is not fused or the added
// value is not a float32 tensor of y's shape (a broadcast), in which case
// the folded nodes run after the op as they would have unfused.
func (c *ctx) epilogue(y *ir.Tensor) kernels.Epilogue {
	f := c.fusion
	if f == nil {
		return kernels.Epilogue{}
	}
	ep := kernels.Epilogue{ReLU: f.relu}
	if f.hasAdd {
		a := f.add
		if a == nil || a.DType != ir.Float32 || !equalShape(a.Shape, y.Shape) {
			return kernels.Epilogue{}
		}
		data, ok := a.Data.([]float32)
		if !ok {
			return kernels.Epilogue{}
		}
		ep.Add = data
	}
	f.done = true
	return ep
}

// unfused runs the folded Add and Relu of f on a step's output y, as
// their own nodes would have.
func unfused(c *ctx, f fusion, y *ir.Tensor, vals []*ir.Tensor) (*ir.Tensor, error) {
	apply := func(st *step, in []*ir.Tensor) error {
		c.fusion = nil
		out, err := c.runNode(st.node, st.run, in)
		if err != nil {
			return fmt.Errorf("node %s (%s): %w", st.label, st.node.OpType, err)
		}
		if len(out) == 0 || out[0] == nil {
			return fmt.Errorf("node %s (%s) produced no output", st.label, st.node.OpType)
		}
		if dataPtr(out[0].Data) != dataPtr(y.Data) {
			c.pool.release(y)
		}
		y = out[0]
		return nil
	}
	if f.addStep != nil {
		in := make([]*ir.Tensor, 2)
		in[f.convAt], in[1-f.convAt] = y, vals[f.add]
		if err := apply(f.addStep, in); err != nil {
			return nil, err
		}
	}
	if f.reluStep != nil {
		if err := apply(f.reluStep, []*ir.Tensor{y}); err != nil {
			return nil, err
		}
	}
	return y, nil
}

// foldBatchNorm makes conv compute conv followed by the inference
// BatchNormalization bn, through new constant weights and bias in its
// inputs, when all the parameters are float32 constants that fit; it
// reports whether it did.
func foldBatchNorm(conv *step, bn *step, consts map[int]*ir.Tensor) bool {
	a, ok := bn.node.Attrs.(*schema.BatchNormalization)
	if !ok || len(bn.in) != 5 || a.TrainingMode || conv.node.OpType != "Conv" || len(conv.in) < 2 {
		return false
	}
	w, ok := consts[conv.in[1]]
	if !ok || w.DType != ir.Float32 || len(w.Shape) < 3 || w.Shape[0] == 0 {
		return false
	}
	ws, ok := w.Data.([]float32)
	if !ok || len(ws)%w.Shape[0] != 0 {
		return false
	}
	k := w.Shape[0]
	params := make([]*ir.Tensor, 5)
	for i, s := range bn.in[1:] {
		t, ok := consts[s]
		if !ok || t.DType != ir.Float32 || ir.NumElements(t.Shape) != k {
			return false
		}
		params[i+1] = t
	}
	mul, add, err := bnCoefficients(params, k, float64(a.Epsilon))
	if err != nil {
		return false
	}
	var bias []float32
	if len(conv.in) > 2 && conv.in[2] >= 0 {
		b, ok := consts[conv.in[2]]
		if !ok || b.DType != ir.Float32 {
			return false
		}
		if bias, ok = b.Data.([]float32); !ok || len(bias) != k {
			return false
		}
	}
	per := len(ws) / k
	folded, fbias := make([]float32, len(ws)), make([]float32, k)
	for ch := range k {
		for i, v := range ws[ch*per : (ch+1)*per] {
			folded[ch*per+i] = v * mul[ch]
		}
		var b float32
		if bias != nil {
			b = bias[ch]
		}
		fbias[ch] = float32(float64(b)*float64(mul[ch]) + float64(add[ch]))
	}
	conv.override = []*ir.Tensor{nil, ir.NewFloat32(w.Name, w.Shape, folded), ir.NewFloat32("", []int{k}, fbias)}
	conv.fused.bnStep = bn
	return true
}
