package onnx

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/bincompress/bincompress/onnx/internal/onnxpb"
)

// writeExternalModel writes tinyConvNet to dir/model.onnx with fc.b (5
// floats, 20 bytes) as external data described by entries.
func writeExternalModel(t *testing.T, dir string, entries map[string]string) string {
	t.Helper()
	p, err := modelToProto(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	tp := initializer(p, "fc.b")
	tp.RawData = nil
	tp.DataLocation = onnxpb.TensorProto_EXTERNAL
	for _, k := range []string{"location", "offset", "length"} {
		if v, ok := entries[k]; ok {
			tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: k, Value: v})
		}
	}
	data, err := marshalProto(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	writeBytes(t, path, data)
	return path
}

// fcBias is fc.b's data as stored in weights files, after 8 bytes of padding.
func fcBias() []byte {
	return append(make([]byte, 8), float32Bytes(weights(9, 5))...)
}

func TestExternalDataGood(t *testing.T) {
	dir := t.TempDir()
	writeBytes(t, filepath.Join(dir, "sub", "w.bin"), fcBias())
	if err := os.Symlink(filepath.Join("sub", "w.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	for _, entries := range []map[string]string{
		{"location": "sub/w.bin", "offset": "8", "length": "20"},
		{"location": "sub/w.bin", "offset": "8"}, // length: to the end of the file
		{"location": "link.bin", "offset": "8", "length": "20"},
		{"location": "sub/../sub/w.bin", "offset": "8", "length": "20"},
	} {
		m, err := ReadFile(writeExternalModel(t, dir, entries))
		if err != nil {
			t.Errorf("%v: %v", entries, err)
			continue
		}
		if d := diffModels(tinyConvNet(), m); d != "" {
			t.Errorf("%v: %s", entries, d)
		}
	}
}

func TestExternalDataBad(t *testing.T) {
	outside := t.TempDir()
	writeBytes(t, filepath.Join(outside, "w.bin"), fcBias())
	dir := t.TempDir()
	writeBytes(t, filepath.Join(dir, "w.bin"), fcBias())
	if err := os.Symlink(filepath.Join(outside, "w.bin"), filepath.Join(dir, "out.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "outdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		entries map[string]string
		want    error
		words   []string
	}{
		{"absolute", map[string]string{"location": filepath.Join(outside, "w.bin")}, ErrExternal, []string{"absolute"}},
		{"dotdot", map[string]string{"location": "../w.bin"}, ErrExternal, []string{`"../w.bin"`, "leaves the model folder"}},
		{"dotdot inside", map[string]string{"location": "adir/../../w.bin"}, ErrExternal, []string{"leaves the model folder"}},
		{"symlink out", map[string]string{"location": "out.bin", "offset": "8"}, ErrExternal, []string{`"out.bin"`, "symlink"}},
		{"symlinked dir out", map[string]string{"location": "outdir/w.bin", "offset": "8"}, ErrExternal, []string{"symlink"}},
		{"missing", map[string]string{"location": "nope.bin"}, ErrExternal, []string{`"nope.bin"`, "not found"}},
		{"no location", map[string]string{"offset": "0"}, ErrExternal, []string{"without a location"}},
		{"directory", map[string]string{"location": "adir"}, ErrExternal, []string{"not a regular file"}},
		{"offset past end", map[string]string{"location": "w.bin", "offset": "29"}, ErrExternal, []string{"offset 29", "28 bytes"}},
		{"length past end", map[string]string{"location": "w.bin", "offset": "12", "length": "20"}, ErrExternal, []string{"offset 12 + length 20"}},
		{"huge length", map[string]string{"location": "w.bin", "offset": "8", "length": "9223372036854775807"}, ErrExternal, []string{"past the end"}},
		{"length mismatch", map[string]string{"location": "w.bin", "offset": "4", "length": "24"}, ErrData, []string{"24 bytes", "need 20"}},
		{"to end mismatch", map[string]string{"location": "w.bin"}, ErrData, []string{"28 bytes", "need 20"}},
		{"bad offset", map[string]string{"location": "w.bin", "offset": "-8"}, ErrExternal, []string{`offset "-8"`}},
		{"text length", map[string]string{"location": "w.bin", "length": "twenty"}, ErrExternal, []string{`length "twenty"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeExternalModel(t, dir, c.entries)
			_, err := ReadFile(path)
			checkBadError(t, err, c.want, append(c.words, path, `"fc.b"`)...)
			t.Log(err)
		})
	}
}

// TestExternalDataBudget: the external data of one model is bounded in
// all: tensors that each fit, naming the same bytes again and again, are
// refused once their sum passes the budget, before it is allocated.
func TestExternalDataBudget(t *testing.T) {
	defer func(b int64) { externalBudget = b }(externalBudget)
	dir := t.TempDir()
	writeBytes(t, filepath.Join(dir, "w.bin"), fcBias())
	path := writeExternalModel(t, dir, map[string]string{"location": "w.bin", "offset": "8", "length": "20"})
	externalBudget = 20
	if _, err := ReadFile(path); err != nil {
		t.Fatalf("20 bytes within a budget of 20: %v", err)
	}
	p, err := modelToProto(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fc.b", "copy.b"} { // the same 20 bytes twice
		tp := initializer(p, "fc.b")
		if name != "fc.b" {
			tp = proto.Clone(tp).(*onnxpb.TensorProto)
			tp.Name = name
			p.Graph.Initializer = append(p.Graph.Initializer, tp)
		}
		tp.RawData, tp.DataLocation = nil, onnxpb.TensorProto_EXTERNAL
		tp.ExternalData = []*onnxpb.StringStringEntryProto{{Key: "location", Value: "w.bin"}, {Key: "offset", Value: "8"}, {Key: "length", Value: "20"}}
	}
	data, err := marshalProto(p)
	if err != nil {
		t.Fatal(err)
	}
	twice := filepath.Join(dir, "twice.onnx")
	writeBytes(t, twice, data)
	externalBudget = 39
	_, err = ReadFile(twice)
	checkBadError(t, err, ErrExternal, `"copy.b"`, "40 bytes", "ceiling of 39")
	externalBudget = 40
	if _, err := ReadFile(twice); err != nil {
		t.Errorf("40 bytes within a budget of 40: %v", err)
	}
}

// TestReadFileSourceCoversExternalData: a model's Source is its file and
// then its external data, so that a .bnn's recorded source size and digest
// change with the weights file beside the model; they were the model
// file's alone (the summary called the .bnn of such a model "3.8x larger"
// than its source, and new weights kept the old digest). Without external
// data the Source is the file's size and SHA-256. Its External lists the
// weights file, which commands must not write over.
func TestReadFileSourceCoversExternalData(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.bin")
	writeBytes(t, weights, fcBias())
	path := writeExternalModel(t, dir, map[string]string{"location": "w.bin", "offset": "8", "length": "20"})
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, src, err := ReadFileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(append(append([]byte(nil), file...), fcBias()[8:]...))
	if src.Bytes != int64(len(file))+20 || src.SHA256 != want {
		t.Errorf("source %d bytes %x, want %d bytes %x (the file, then the 20 bytes of fc.b)", src.Bytes, src.SHA256, len(file)+20, want)
	}
	if real, _ := filepath.EvalSymlinks(weights); len(src.External) != 1 || src.External[0] != real {
		t.Errorf("source's external files %q, want [%s]", src.External, real)
	}
	other := fcBias()
	other[8] ^= 1
	writeBytes(t, weights, other)
	if _, changed, err := ReadFileSource(path); err != nil || changed.SHA256 == src.SHA256 {
		t.Errorf("new weights beside the model: digest %x (err %v), want a new one", changed.SHA256, err)
	}
	inline := filepath.Join(dir, "inline.onnx")
	data, err := Encode(tinyConvNet())
	if err != nil {
		t.Fatal(err)
	}
	writeBytes(t, inline, data)
	if _, s, err := ReadFileSource(inline); err != nil || s.Bytes != int64(len(data)) || s.SHA256 != sha256.Sum256(data) || s.External != nil {
		t.Errorf("inline model: source %d bytes %x (err %v), want the file's %d bytes and SHA-256", s.Bytes, s.SHA256, err, len(data))
	}
}
