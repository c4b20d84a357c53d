package pack

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/internal/bits"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

var update = flag.Bool("update", false, "rewrite testdata/bnn/small.golden.txt")

// TestGoldenSmall compares the packed smallModel with a reviewed listing:
// ir.Dump plus every W_bits row in hex (bytes as stored).
func TestGoldenSmall(t *testing.T) {
	p := mustPack(t, smallModel())
	var b strings.Builder
	if err := ir.Dump(&b, p); err != nil {
		t.Fatal(err)
	}
	for _, init := range p.Graph.Initializers {
		if init.DType != ir.Uint64 {
			continue
		}
		wpr := init.Shape[1]
		words := init.Data.([]uint64)
		for r := range init.Shape[0] {
			fmt.Fprintf(&b, "bits %s row %d: %x\n", init.Name, r, bits.Bytes(words[r*wpr:(r+1)*wpr]))
		}
	}
	const path = "../testdata/bnn/small.golden.txt"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != b.String() {
		t.Errorf("packed small model differs from %s (go test ./pack -update):\n%s", path, b.String())
	}
}

// TestByteIdenticalAcrossThreads converts, packs and encodes a ResNet at
// GOMAXPROCS 1 and 2: the bytes must be identical.
func TestByteIdenticalAcrossThreads(t *testing.T) {
	encode := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m, err := onnx.ReadFile("../testdata/models/resnet20_cifar_op17.onnx")
		if err != nil {
			t.Skip(err)
		}
		if _, err := convert.Binarize(m, convert.Options{KeepFloat: []string{"first"}}); err != nil {
			t.Fatal(err)
		}
		data, err := onnx.Encode(mustPack(t, m))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if a, b := encode(1), encode(2); string(a) != string(b) {
		t.Fatal("the .bnn bytes differ between GOMAXPROCS=1 and 2")
	}
}
