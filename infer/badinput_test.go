package infer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// oneNode builds a model with float32 inputs of fixed shapes feeding one node.
func oneNode(opset int64, op string, inputs map[string][]int, order []string, attrs ...*ir.Attr) *ir.Model {
	b := newBuilder(opset, 1)
	for _, name := range order {
		var dims []ir.Dim
		for _, d := range inputs[name] {
			dims = append(dims, ir.Dim{Size: int64(d)})
		}
		b.m.Graph.Inputs = append(b.m.Graph.Inputs, &ir.ValueInfo{Name: name, DType: ir.Float32, Shape: dims})
	}
	b.output(b.node(op, order, attrs...))
	b.m.Graph.Nodes[0].Name = "the_node"
	return b.m
}

func feed(inputs map[string][]int) map[string]*ir.Tensor {
	in := map[string]*ir.Tensor{}
	for name, shape := range inputs {
		in[name] = ir.NewFloat32(name, shape, make([]float32, ir.NumElements(shape)))
	}
	return in
}

// wantOneLine checks that err exists, is one line and mentions every part.
func wantOneLine(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error mentioning %q", parts)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "infer: ") && !strings.HasPrefix(msg, "schema: ") {
		t.Errorf("error %q should be one line starting with \"infer: \" (or \"schema: \" from the op layer)", msg)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not mention %q", msg, p)
		}
	}
}

func TestUnknownOp(t *testing.T) {
	m := oneNode(13, "FancyOp", map[string][]int{"x": {2}}, []string{"x"})
	_, err := infer.Compile(m)
	wantOneLine(t, err, "FancyOp", "the_node", "opset 13")
	var u *schema.UnsupportedOpError
	if !errors.As(err, &u) || u.Op != "FancyOp" || u.Opset != 13 || !errors.Is(err, infer.ErrUnsupported) {
		t.Errorf("want *UnsupportedOpError{FancyOp, opset 13} matching ErrUnsupported, got %#v", err)
	}
	// A known op at an opset outside its range is unsupported too.
	m = oneNode(3, "Relu", map[string][]int{"x": {2}}, []string{"x"})
	_, err = infer.Compile(m)
	wantOneLine(t, err, "Relu", "the_node", "opset 3")
}

func TestInputProducedByNothing(t *testing.T) {
	m := oneNode(13, "Add", map[string][]int{"x": {2}}, []string{"x"})
	m.Graph.Nodes[0].Inputs = []string{"x", "ghost"}
	_, err := infer.Compile(m)
	wantOneLine(t, err, "ghost", "the_node")
}

func TestBroadcastMismatch(t *testing.T) {
	in := map[string][]int{"a": {2, 3}, "b": {4}}
	p := compile(t, oneNode(13, "Add", in, []string{"a", "b"}))
	_, err := p.Run(feed(in))
	wantOneLine(t, err, "the_node", "Add", "[2 3]", "[4]")
}

func TestConvChannelMismatch(t *testing.T) {
	in := map[string][]int{"x": {1, 3, 8, 8}, "w": {4, 2, 3, 3}}
	p := compile(t, oneNode(13, "Conv", in, []string{"x", "w"}))
	_, err := p.Run(feed(in))
	wantOneLine(t, err, "the_node", "Conv", "input channels")
}

func TestGemmInnerMismatch(t *testing.T) {
	in := map[string][]int{"a": {2, 3}, "b": {4, 5}}
	p := compile(t, oneNode(13, "Gemm", in, []string{"a", "b"}))
	_, err := p.Run(feed(in))
	wantOneLine(t, err, "the_node", "inner dimension")
}

// TestOverflowingDims feeds shapes whose element count overflows int: the
// executor must refuse them instead of allocating or panicking.
func TestOverflowingDims(t *testing.T) {
	b := newBuilder(13, 1)
	x := b.input("input")
	huge := b.init(&ir.Tensor{DType: ir.Float32, Shape: []int{1 << 32, 1 << 32}, Data: []float32{}})
	b.output(b.node("Add", []string{huge, x}))
	b.m.Graph.Nodes[0].Name = "the_node"
	_, err := infer.Compile(b.m)
	wantOneLine(t, err, huge, "elements")

	// Broadcasting [65536, 1] against [65536] would need 2^32 elements.
	b = newBuilder(13, 1)
	x = b.input("input")
	col := b.init(ir.NewFloat32("", []int{1 << 16, 1}, make([]float32, 1<<16)))
	b.output(b.node("Mul", []string{col, x}))
	_, err = compile(t, b.m).Run(map[string]*ir.Tensor{"input": randomInput(1, 1<<16)})
	wantOneLine(t, err, "Mul", "elements")

	b = newBuilder(13, 1)
	x = b.input("input", 2)
	shape := b.init(ir.NewInt64("", []int{3}, []int64{1 << 31, 1 << 31, 1 << 31}))
	b.output(b.node("Reshape", []string{x, shape}))
	_, err = compile(t, b.m).Run(map[string]*ir.Tensor{"input": randomInput(1, 1, 2)})
	wantOneLine(t, err, "Reshape", "shape")

	b = newBuilder(13, 1)
	x = b.input("input", 2)
	pads := b.init(ir.NewInt64("", []int{4}, []int64{0, 1 << 30, 0, 1 << 30}))
	b.output(b.node("Pad", []string{x, pads}))
	_, err = compile(t, b.m).Run(map[string]*ir.Tensor{"input": randomInput(1, 1, 2)})
	wantOneLine(t, err, "Pad", "elements")
}

func TestBadRunInputs(t *testing.T) {
	p := compile(t, resnet(13, 4, 1, 10))
	cases := map[string]struct {
		in   map[string]*ir.Tensor
		want []string
	}{
		"missing":  {map[string]*ir.Tensor{}, []string{"missing input", "input"}},
		"unknown":  {map[string]*ir.Tensor{"input": randomInput(1, 1, 3, 32, 32), "extra": randomInput(1, 1)}, []string{"unknown input", "extra"}},
		"rank":     {map[string]*ir.Tensor{"input": randomInput(1, 3, 32, 32)}, []string{"rank 3", "rank 4"}},
		"shape":    {map[string]*ir.Tensor{"input": randomInput(1, 1, 3, 30, 32)}, []string{"[1 3 30 32]", "dimension 2"}},
		"dtype":    {map[string]*ir.Tensor{"input": ir.NewInt64("input", []int{1}, []int64{1})}, []string{"int64", "float32"}},
		"short":    {map[string]*ir.Tensor{"input": ir.NewFloat32("input", []int{1, 3, 32, 32}, make([]float32, 5))}, []string{"5 elements"}},
		"nil data": {map[string]*ir.Tensor{"input": {DType: ir.Float32, Shape: []int{1, 3, 32, 32}}}, []string{"input"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := p.Run(c.in)
			wantOneLine(t, err, c.want...)
		})
	}
}
