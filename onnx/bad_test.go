package onnx

import (
	"archive/zip"
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// badCase mutates a valid model proto into one the reader must refuse with
// the sentinel and a message naming what is wrong.
type badCase struct {
	name   string
	mutate func(p *onnxpb.ModelProto)
	want   error
	words  []string // all must appear in the message
}

func initializer(p *onnxpb.ModelProto, name string) *onnxpb.TensorProto {
	for _, t := range p.Graph.Initializer {
		if t.Name == name {
			return t
		}
	}
	panic("no initializer " + name)
}

var badCases = []badCase{
	{"no graph", func(p *onnxpb.ModelProto) { p.Graph = nil }, ErrNoGraph, []string{"no graph"}},
	{"duplicate initializer", func(p *onnxpb.ModelProto) {
		p.Graph.Initializer = append(p.Graph.Initializer, initializer(p, "fc.b"))
	}, ErrDuplicate, []string{`"fc.b"`, "second initializer"}},
	{"duplicate attribute", func(p *onnxpb.ModelProto) {
		n := p.Graph.Node[0]
		n.Attribute = append(n.Attribute, n.Attribute[0])
	}, ErrDuplicate, []string{`"conv" (Conv)`, "second attribute"}},
	{"duplicate metadata key", func(p *onnxpb.ModelProto) {
		p.MetadataProps = append(p.MetadataProps, &onnxpb.StringStringEntryProto{Key: "k", Value: "1"}, &onnxpb.StringStringEntryProto{Key: "k", Value: "2"})
	}, ErrDuplicate, []string{`metadata key "k"`}},
	{"ir version 2", func(p *onnxpb.ModelProto) { p.IrVersion = 2 }, ErrUnsupported, []string{"IR version 2"}},
	{"ir version 11", func(p *onnxpb.ModelProto) { p.IrVersion = 11 }, ErrUnsupported, []string{"IR version 11"}},
	{"opset 0", func(p *onnxpb.ModelProto) { p.OpsetImport[0].Version = 0 }, ErrUnsupported, []string{"opset 0"}},
	{"opset 22", func(p *onnxpb.ModelProto) { p.OpsetImport[0].Version = 22 }, ErrUnsupported, []string{"opset 22"}},
	{"ai.onnx opset 22", func(p *onnxpb.ModelProto) {
		p.OpsetImport[0] = &onnxpb.OperatorSetIdProto{Domain: "ai.onnx", Version: 22}
	}, ErrUnsupported, []string{"opset 22"}},
	{"no opset import", func(p *onnxpb.ModelProto) { p.OpsetImport = nil }, ErrUnsupported, []string{`"conv" (Conv)`, "no default-domain opset"}},
	{"functions", func(p *onnxpb.ModelProto) { p.Functions = []*onnxpb.FunctionProto{{Name: "f"}} }, ErrUnsupported, []string{"functions", `"f"`, "export_modules_as_functions", "inline_local_functions"}},
	{"raw data short", func(p *onnxpb.ModelProto) {
		t := initializer(p, "conv.w")
		t.RawData = t.RawData[:len(t.RawData)-4]
	}, ErrData, []string{`"conv.w"`, "428 bytes", "108 elements"}},
	{"raw data long", func(p *onnxpb.ModelProto) {
		t := initializer(p, "fc.b")
		t.RawData = append(t.RawData, 0)
	}, ErrData, []string{`"fc.b"`, "21 bytes"}},
	{"typed data short", func(p *onnxpb.ModelProto) {
		t := initializer(p, "fc.b")
		t.RawData, t.FloatData = nil, []float32{1, 2}
	}, ErrData, []string{`"fc.b"`, "float_data holds 2", "need 5"}},
	{"wrong typed field", func(p *onnxpb.ModelProto) {
		t := initializer(p, "fc.b")
		t.RawData, t.Int64Data = nil, []int64{1, 2, 3, 4, 5}
	}, ErrData, []string{`"fc.b"`, "float_data"}},
	{"raw and typed", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").FloatData = []float32{1} }, ErrData, []string{`"fc.b"`, "both"}},
	{"no data", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").RawData = nil }, ErrData, []string{`"fc.b"`, "holds 0"}},
	{"negative dim", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").Dims = []int64{-5} }, ErrShape, []string{`"fc.b"`, "negative", "[-5]"}},
	{"dims overflow", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").Dims = []int64{1 << 40, 1 << 40} }, ErrShape, []string{`"fc.b"`, "overflow"}},
	{"dims overflow with size", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").Dims = []int64{math.MaxInt64 / 2} }, ErrShape, []string{"overflow"}},
	{"dims exceed data", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").Dims = []int64{1 << 30, 1 << 20} }, ErrData, []string{`"fc.b"`, "20 bytes"}},
	{"unknown element type", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").DataType = 99 }, ErrUnsupported, []string{`"fc.b"`, "unknown element type 99"}},
	{"complex element type", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").DataType = 14 }, ErrUnsupported, []string{"unsupported element type COMPLEX64"}},
	{"string raw data", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").DataType = int32(onnxpb.TensorProto_STRING) }, ErrData, []string{"string tensors cannot use raw_data"}},
	{"segment", func(p *onnxpb.ModelProto) { initializer(p, "fc.b").Segment = &onnxpb.TensorProto_Segment{End: 1} }, ErrUnsupported, []string{"segmented"}},
	{"sparse initializer", func(p *onnxpb.ModelProto) {
		p.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{Values: &onnxpb.TensorProto{Name: "sp"}}}
	}, ErrUnsupported, []string{`"sp"`, "sparse"}},
	{"external data from bytes", func(p *onnxpb.ModelProto) {
		t := initializer(p, "fc.b")
		setExternal(t, "w.bin", 0, 20)
	}, ErrExternal, []string{`"fc.b"`, `"w.bin"`, "ReadFile"}},
	{"bad attribute tensor", func(p *onnxpb.ModelProto) {
		p.Graph.Node[0].Attribute = append(p.Graph.Node[0].Attribute, &onnxpb.AttributeProto{
			Name: "value", Type: onnxpb.AttributeProto_TENSOR, T: &onnxpb.TensorProto{DataType: 1, Dims: []int64{3}, RawData: []byte{1}}})
	}, ErrData, []string{`node "conv" (Conv)`, `attribute "value"`, "1 bytes"}},
	{"attribute without type", func(p *onnxpb.ModelProto) {
		p.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "alpha", F: 1}}
	}, ErrUnsupported, []string{`"relu" (Relu)`, `"alpha"`, "no type"}},
	{"type-proto attribute", func(p *onnxpb.ModelProto) {
		p.Graph.Node[2].Name = ""
		p.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "tp", Type: onnxpb.AttributeProto_TYPE_PROTO}}
	}, ErrUnsupported, []string{"#2 (Relu)", "TYPE_PROTO"}},
	{"tensor attribute without tensor", func(p *onnxpb.ModelProto) {
		p.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "value", Type: onnxpb.AttributeProto_TENSOR}}
	}, ErrData, []string{`"value"`, "holds no tensor"}},
	{"graph attribute without graph", func(p *onnxpb.ModelProto) {
		p.Graph.Node[2].Attribute = []*onnxpb.AttributeProto{{Name: "body", Type: onnxpb.AttributeProto_GRAPH}}
	}, ErrData, []string{`"body"`, "holds no graph"}},
}

func TestBadModels(t *testing.T) {
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := modelToProto(tinyConvNet())
			if err != nil {
				t.Fatal(err)
			}
			c.mutate(p)
			data, err := marshalProto(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(data)
			checkBadError(t, err, c.want, c.words...)
			t.Log(err)
		})
	}
}

// checkBadError requires a one-line *FormatError starting "onnx: " that
// wraps want and mentions every word.
func checkBadError(t *testing.T, err, want error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Errorf("error %T is not a *FormatError: %v", err, err)
	}
	if !errors.Is(err, want) {
		t.Errorf("error does not wrap %q: %v", want, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "onnx: ") || strings.Contains(msg, "\n") {
		t.Errorf("not a one-line onnx: error: %q", msg)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q: %s", w, msg)
		}
	}
}

func TestNotONNX(t *testing.T) {
	good, err := Encode(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not an ONNX model\n"),
		"truncated": good[:len(good)-7],
		"half":      good[:len(good)/2],
		"png":       {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(data)
			checkBadError(t, err, ErrNotONNX)
		})
	}
}

// TestOtherModelFormats: a PyTorch, Keras or TFLite file given as the
// model is refused as not ONNX, naming its format and how to export ONNX,
// not as a protobuf parse error.
func TestOtherModelFormats(t *testing.T) {
	var zipped bytes.Buffer // torch.save's format since PyTorch 1.6
	zw := zip.NewWriter(&zipped)
	w, err := zw.Create("archive/data.pkl")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("\x80\x02}q\x00."))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"torch.save":        {zipped.Bytes(), "torch.onnx.export"},
		"legacy torch.save": {[]byte("\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03."), "torch.onnx.export"},
		"Keras .h5":         {append([]byte("\x89HDF\r\n\x1a\n"), make([]byte, 64)...), "tf2onnx"},
		"TFLite":            {append([]byte("\x1c\x00\x00\x00TFL3"), make([]byte, 64)...), "tf2onnx"},
	} {
		_, err := Decode(c.data)
		checkBadError(t, err, ErrNotONNX)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want the format named and %s", name, err, c.want)
		}
	}
}

// TestHugeDimsDoNotAllocate: dims promising 2^50 floats over 20 bytes of
// data are refused before anything of that size is allocated.
func TestHugeDimsDoNotAllocate(t *testing.T) {
	p, err := modelToProto(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	initializer(p, "fc.b").Dims = []int64{1 << 30, 1 << 20}
	data, err := marshalProto(p)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Decode(data)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrData) {
		t.Fatalf("want ErrData, got %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("decoding allocated %d bytes", grew)
	}
}

func TestBadTensors(t *testing.T) {
	_, err := DecodeTensor([]byte{0xff, 0xff})
	checkBadError(t, err, ErrNotONNX)
	data, err := marshalProto(&onnxpb.TensorProto{Name: "x", DataType: 1, Dims: []int64{2, 2}, FloatData: []float32{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeTensor(data)
	checkBadError(t, err, ErrData, `"x"`, "3 elements", "need 4")
}

// TestTooManyEntries: a file of millions of empty nodes (two bytes each,
// hundreds once decoded) is refused before it is decoded, with the memory
// it would have taken bounded; a graph under the limit decodes.
func TestTooManyEntries(t *testing.T) {
	emptyNodes := func(n int) []byte {
		graph := bytes.Repeat([]byte{0x0a, 0x00}, n)          // GraphProto.node = {}
		b := protowire.AppendTag(nil, 8, protowire.BytesType) // opset_import {version: 13}
		b = protowire.AppendBytes(b, []byte{0x10, 13})
		b = protowire.AppendTag(b, 7, protowire.BytesType) // graph
		return protowire.AppendBytes(b, graph)
	}
	var err error
	alloc := testing.AllocsPerRun(1, func() { _, err = Decode(emptyNodes(MaxEntries + 1)) })
	if !errors.Is(err, ErrTooMany) {
		t.Fatalf("%d empty nodes: %v, want ErrTooMany", MaxEntries+1, err)
	}
	if alloc > 100 {
		t.Errorf("refusing them took %v allocations", alloc)
	}
	if _, err := Decode(emptyNodes(1000)); errors.Is(err, ErrTooMany) {
		t.Errorf("1000 empty nodes: %v", err)
	}
}
