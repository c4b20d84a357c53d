package infer_test

import (
	"math"
	"sort"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
)

// fuzzOps is every default-domain op, so the fuzzer can pick one by index.
var fuzzOps = func() []string {
	ops := []string{"Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv",
		"Div", "Dropout", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Identity",
		"LeakyRelu", "LogSoftmax", "MatMul", "MaxPool", "Mul", "Pad", "ReduceMean", "Relu", "Reshape",
		"Shape", "Sigmoid", "Softmax", "Squeeze", "Sub", "Sum", "Transpose", "Unsqueeze"}
	sort.Strings(ops)
	return ops
}()

// byteReader hands out fuzz bytes, zeros once they run out.
type byteReader struct{ b []byte }

func (r *byteReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

// small returns a value in [lo, lo+n).
func (r *byteReader) small(lo, n int) int { return lo + r.next()%n }

func (r *byteReader) tensor() *ir.Tensor {
	shape := make([]int, r.small(0, 5))
	for i := range shape {
		shape[i] = r.small(0, 5)
	}
	n := ir.NumElements(shape)
	if r.next()%4 == 0 {
		data := make([]int64, n)
		for i := range data {
			data[i] = int64(r.small(-3, 8))
		}
		return ir.NewInt64("", shape, data)
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(r.small(-4, 9)) / 2
	}
	return ir.NewFloat32("", shape, data)
}

func (r *byteReader) attrs() []*ir.Attr {
	var out []*ir.Attr
	names := []string{"axis", "axes", "perm", "pads", "kernel_shape", "strides", "dilations", "group",
		"keepdims", "transA", "transB", "ceil_mode", "to", "allowzero", "start", "end", "auto_pad", "mode"}
	for range r.small(0, 4) {
		name := names[r.next()%len(names)]
		switch name {
		case "auto_pad", "mode":
			vals := []string{"NOTSET", "SAME_UPPER", "VALID", "constant", "reflect", "edge", "wrap", "bogus"}
			out = append(out, strAttr(name, vals[r.next()%len(vals)]))
		case "axes", "perm", "pads", "kernel_shape", "strides", "dilations":
			v := make([]int64, r.small(0, 7))
			for i := range v {
				v[i] = int64(r.small(-2, 6))
			}
			out = append(out, ints(name, v...))
		default:
			out = append(out, intAttr(name, int64(r.small(-2, 8))))
		}
	}
	return out
}

// FuzzOps runs one node of a random op on random tensors and attributes:
// any outcome but a panic is fine.
func FuzzOps(f *testing.F) {
	for i := range fuzzOps {
		f.Add([]byte{byte(i), 13, 2, 2, 1, 3, 3, 0, 2, 1, 3, 9, 9, 9})
		f.Add([]byte{byte(i), 7, 3, 4, 1, 2, 3, 2, 4, 1, 1, 1, 2, 2, 5, 6})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &byteReader{data}
		op := fuzzOps[r.next()%len(fuzzOps)]
		opset := int64(r.small(6, 16))
		b := newBuilder(opset, 1)
		in := map[string]*ir.Tensor{}
		var names []string
		for i := range r.small(0, 4) {
			name := string(rune('a' + i))
			tt := r.tensor()
			b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: name, DType: tt.DType})
			in[name] = tt
			names = append(names, name)
		}
		b.output(b.node(op, names, r.attrs()...))
		p, err := infer.Compile(b.m)
		if err != nil {
			return
		}
		_, _ = p.Run(in)
		_, _ = p.InferShapes(map[string][]int{})
	})
}

// FuzzFusedChain builds Conv → [BatchNormalization] → [Add] → [Relu] with
// random shapes, attributes, constant or fed weights, and broadcasting or
// mismatched Add operands, and runs it fused and one node per step: the
// two must fail together, and agree within float rounding otherwise.
func FuzzFusedChain(f *testing.F) {
	f.Add([]byte{2, 3, 3, 1, 1, 1, 1, 0, 1, 3, 3, 1})
	f.Add([]byte{1, 2, 5, 2, 0, 0, 0, 1, 4, 2, 2, 0, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &byteReader{data}
		b := newBuilder(int64(r.small(11, 7)), 1)
		c, k, hw := r.small(1, 4), r.small(1, 5), r.small(1, 6)
		x := b.input("x", int64(c), int64(hw), int64(hw))
		feed := map[string]*ir.Tensor{"x": randomInput(uint64(r.next()), 2, c, hw, hw)}
		ks := r.small(1, 3)
		wShape := []int{k, c, ks, ks}
		if r.next()%5 == 0 {
			wShape[0] = r.small(1, 5) // weights of another channel count
		}
		w := b.random(wShape, -1, 1)
		if r.next()%4 == 0 { // weights a caller may override
			b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: w, DType: ir.Float32})
		}
		inputs := []string{x, w}
		if r.next()%2 == 0 {
			inputs = append(inputs, b.random([]int{k}, -1, 1))
		}
		y := b.node("Conv", inputs, r.attrs()...)
		if r.next()%2 == 0 {
			n := []int{k, k, k, r.small(1, 5)}[r.next()%4]
			y = b.node("BatchNormalization", []string{y, b.random([]int{n}, 0.5, 1.5), b.random([]int{n}, -1, 1),
				b.random([]int{n}, -1, 1), b.random([]int{n}, 0.5, 2)})
		}
		if r.next()%2 == 0 {
			other := []string{b.random([]int{1, k, 1, 1}, -1, 1), b.random([]int{2, k, hw, hw}, -1, 1), x}[r.next()%3]
			if r.next()%2 == 0 {
				y = b.node("Add", []string{y, other})
			} else {
				y = b.node("Add", []string{other, y})
			}
		}
		if r.next()%2 == 0 {
			y = b.node("Relu", []string{y})
		}
		b.output(y)
		p, err := infer.Compile(b.m)
		if err != nil {
			return
		}
		got, errFused := p.Run(feed)
		want, errPlain := infer.RunUnfused(p, feed)
		if (errFused == nil) != (errPlain == nil) {
			t.Fatalf("fused run error %v, node-per-step run error %v", errFused, errPlain)
		}
		if errFused != nil {
			return
		}
		for name, w := range want {
			g, wd := got[name].Data.([]float32), w.Data.([]float32)
			if len(g) != len(wd) {
				t.Fatalf("output %q: %d values, node-per-step run %d", name, len(g), len(wd))
			}
			for i := range wd {
				if d := math.Abs(float64(g[i] - wd[i])); d > 1e-4*(1+math.Abs(float64(wd[i]))) && !(g[i] != g[i] && wd[i] != wd[i]) {
					t.Fatalf("output %q[%d] = %v, node-per-step run %v", name, i, g[i], wd[i])
				}
			}
		}
	})
}
