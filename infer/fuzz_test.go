package infer_test

import (
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
