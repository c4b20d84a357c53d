package export

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/npy"
	"github.com/bincompress/bincompress/internal/reftest"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

const modelsDir = "../testdata/models"

var bnnCache sync.Map // model name -> *ir.Model

// loadBNN binarizes testdata/models/NAME.onnx with every conv and dense
// layer binary (convert's defaults) except those keep names (--keep-float)
// and packs it: the .bnn the CLI writes.
func loadBNN(t testing.TB, name string, keep ...string) *ir.Model {
	t.Helper()
	key := name + fmt.Sprint(keep)
	if m, ok := bnnCache.Load(key); ok {
		return m.(*ir.Model)
	}
	m, err := onnx.ReadFile(filepath.Join(modelsDir, name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Binarize(m, convert.Options{KeepFloat: keep}); err != nil {
		t.Fatal(err)
	}
	b, err := pack.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	bnnCache.Store(key, b)
	return b
}

// loadInput reads testdata/models/NAME.input.npy (a batch of 2).
func loadInput(t testing.TB, name string) *ir.Tensor {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(modelsDir, name+".input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return ir.NewFloat32("input", a.Shape, a.Data.([]float32))
}

// runOurs runs m with infer and returns its only output.
func runOurs(t testing.TB, m *ir.Model, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	p, err := infer.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(map[string]*ir.Tensor{m.Graph.DataInputs()[0].Name: x})
	if err != nil {
		t.Fatal(err)
	}
	return out[m.Graph.Outputs[0].Name]
}

// writeModel encodes m into dir/name and returns the path.
func writeModel(t testing.TB, dir, name string, m *ir.Model) string {
	t.Helper()
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// closeTo fails unless got and want have the same shape and every element
// within tol·max(1, |want|).
func closeTo(t testing.TB, what string, got, want *ir.Tensor, tol float64) {
	t.Helper()
	if err := reftest.Compare(got, want, tol); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// withMetadata is a copy of the .bnn m with metadata key set to value and
// the digest resealed, as the CLI writes it.
func withMetadata(t testing.TB, m *ir.Model, key, value string) *ir.Model {
	t.Helper()
	c := *m
	c.Metadata = append([]ir.KeyValue(nil), m.Metadata...)
	c.SetMetadata(key, value)
	c.SetMetadata(pack.KeyDigest, pack.Digest(&c))
	if err := pack.Check(&c); err != nil {
		t.Fatal(err)
	}
	return &c
}
