package onnx

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fixtures in ../testdata/onnx")

const fixtureDir = "../testdata/onnx"

// TestFixtures checks that each committed fixture is byte for byte what its
// builder encodes today (Encode is deterministic) and decodes back to the
// builder's IR. With -update it rewrites them, with truncated copies as
// fuzz seeds in bad/.
func TestFixtures(t *testing.T) {
	if *update {
		writeFixtures(t)
	}
	for _, name := range sortedKeys(fixtureBuilders) {
		want := fixtureBuilders[name]()
		data, err := Encode(want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkFixture(t, name, data)
		got, err := ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if d := diffModels(want, got); d != "" {
			t.Errorf("%s: decoded model differs from its builder: %s", name, d)
		}
	}
}

// TestTypedFieldsFixture: the typed-field form of dtypesModel decodes to the
// same IR as the raw_data form.
func TestTypedFieldsFixture(t *testing.T) {
	data, err := marshalProto(typedFieldsProto(t))
	if err != nil {
		t.Fatal(err)
	}
	checkFixture(t, "typed_fields.onnx", data)
	got, err := ReadFile(filepath.Join(fixtureDir, "typed_fields.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(dtypesModel(), got); d != "" {
		t.Errorf("typed fields decode differently from raw_data: %s", d)
	}
}

// TestExternalFixture: a model whose weights live in weights.bin beside it
// reads to the same IR as the inline model.
func TestExternalFixture(t *testing.T) {
	dir := t.TempDir()
	writeExternalFixture(t, dir)
	for _, f := range []string{"model.onnx", "weights.bin"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		checkFixture(t, filepath.Join("external", f), data)
	}
	got, err := ReadFile(filepath.Join(fixtureDir, "external", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(tinyConvNet(), got); d != "" {
		t.Errorf("external-data model differs from the inline one: %s", d)
	}
}

// TestTensorFixtures: each dtypes tensor is committed as a TensorProto file
// (the form of ONNX's backend-test input_0.pb), which DecodeTensor reads
// back unchanged. They also seed FuzzRead's DecodeTensor path.
func TestTensorFixtures(t *testing.T) {
	for _, want := range dtypesTensors() {
		data, err := EncodeTensor(want)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join("tensors", want.Name+".pb")
		checkFixture(t, name, data)
		got, err := DecodeTensor(data)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffTensors(want, got); d != "" {
			t.Errorf("%s: %s", name, d)
		}
	}
}

// checkFixture compares data with the committed file.
func checkFixture(t *testing.T, name string, data []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s differs from what its builder encodes (run with -update if intended)", name)
	}
}

func writeFixtures(t *testing.T) {
	for name, build := range fixtureBuilders {
		data, err := Encode(build())
		if err != nil {
			t.Fatal(err)
		}
		writeBytes(t, filepath.Join(fixtureDir, name), data)
		writeTruncated(t, name, data)
	}
	typed, err := marshalProto(typedFieldsProto(t))
	if err != nil {
		t.Fatal(err)
	}
	writeBytes(t, filepath.Join(fixtureDir, "typed_fields.onnx"), typed)
	writeExternalFixture(t, filepath.Join(fixtureDir, "external"))
	for _, tensor := range dtypesTensors() {
		data, err := EncodeTensor(tensor)
		if err != nil {
			t.Fatal(err)
		}
		writeBytes(t, filepath.Join(fixtureDir, "tensors", tensor.Name+".pb"), data)
	}
}

// writeTruncated stores cut-off copies of a fixture as fuzz seeds. They use
// the .bin extension so that model walks (*.onnx) skip them.
func writeTruncated(t *testing.T, name string, data []byte) {
	base := name[:len(name)-len(filepath.Ext(name))]
	writeBytes(t, filepath.Join(fixtureDir, "bad", base+"_half.bin"), data[:len(data)/2])
	writeBytes(t, filepath.Join(fixtureDir, "bad", base+"_minus1.bin"), data[:len(data)-1])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
