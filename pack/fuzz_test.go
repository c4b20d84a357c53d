package pack

import (
	"errors"
	"testing"

	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// encodedBNN is the onnx encoding of a packed mixedModel.
func encodedBNN(t testing.TB, edit func(*ir.Model)) []byte {
	t.Helper()
	p, err := Pack(mixedModel())
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
		p.SetMetadata(KeyDigest, Digest(p))
	}
	b, err := onnx.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncodedRoundTrip checks that the digest survives onnx encoding and
// that a truncated file or a flipped byte is reported, never accepted.
func TestEncodedRoundTrip(t *testing.T) {
	data := encodedBNN(t, nil)
	m, err := onnx.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(m); err != nil {
		t.Fatalf("decoded .bnn fails Check: %v", err)
	}
	again, err := onnx.Encode(m)
	if err != nil || string(again) != string(data) {
		t.Fatalf("re-encoding differs (err %v)", err)
	}
	for _, cut := range []int{1, 10, len(data) / 2, len(data) - 1} {
		if err := decodeAndCheck(data[:cut]); err == nil {
			t.Errorf("a file truncated to %d of %d bytes passed", cut, len(data))
		}
	}
	bitsAt := indexOf(data, bytes8(m.Graph.Initializer("c70_bits").Data.([]uint64)[0]))
	if bitsAt < 0 {
		t.Fatal("packed bits not found in the encoding")
	}
	flipped := append([]byte(nil), data...)
	flipped[bitsAt] ^= 0x10
	if err := decodeAndCheck(flipped); !errors.Is(err, ErrDigest) {
		t.Errorf("flipped bit in W_bits: %v, want ErrDigest", err)
	}
}

func bytes8(w uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(w >> (8 * i))
	}
	return b
}

func indexOf(hay, needle []byte) int {
	for i := 0; i+len(needle) <= len(hay); i++ {
		if string(hay[i:i+len(needle)]) == string(needle) {
			return i
		}
	}
	return -1
}

func decodeAndCheck(data []byte) error {
	m, err := onnx.Decode(data)
	if err != nil {
		return err
	}
	if err := Check(m); err != nil {
		return err
	}
	_, err = Unpacked(m)
	return err
}

// smallModel is a small binarized graph (a float stem, a grouped binary
// conv with 14 channels, a binary Gemm and a MatMul) whose encoding is
// about 2 KB, so the fuzzer's minimization stays quick.
func smallModel() *ir.Model {
	b := newBinModel(3, 1, 2, 5, 5)
	y := b.layer("Conv", "stem", false, []string{"x", b.float("stem.w", 4, 2, 1, 1)}, "s")
	y = b.layer("Conv", "c14", true, []string{y, b.binary("c14.w", 14, 18, false, 14, 2, 3, 3), b.float("c14.b", 14)}, "c",
		attrInt("group", 2), ints("pads", 1, 0, 1, 0), ints("strides", 2, 1))
	y = b.layer("GlobalAveragePool", "gap", false, []string{y}, "g")
	y = b.layer("Flatten", "flat", false, []string{y}, "f", attrInt("axis", 1))
	y = b.layer("Gemm", "fc", true, []string{y, b.binary("fc.w", 3, 14, false, 3, 14), b.float("fc.c", 3)}, "z",
		attrInt("transB", 1), attrFloat("alpha", 2))
	y = b.layer("MatMul", "mm", true, []string{y, b.binary("mm.w", 2, 3, true, 3, 2)}, "y")
	return b.done(y)
}

func encodedSmall(t testing.TB, edit func(*ir.Model)) []byte {
	t.Helper()
	p, err := Pack(smallModel())
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
		p.SetMetadata(KeyDigest, Digest(p))
	}
	b, err := onnx.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecode feeds mutated .bnn encodings to onnx.Decode, Check and
// Unpacked: anything may be rejected, nothing may panic, and whatever
// passes Check must unpack.
func FuzzDecode(f *testing.F) {
	f.Add(encodedSmall(f, nil))
	f.Add(encodedSmall(f, func(m *ir.Model) { m.SetMetadata(KeyFormatVersion, "1") }))
	f.Add(encodedSmall(f, func(m *ir.Model) { nodeNamed(m, "c14").SetAttr(attrInt("channels", 20)) }))
	f.Add(encodedSmall(f, func(m *ir.Model) { nodeNamed(m, "fc").SetAttr(attrInt("in_features", 1<<40)) }))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil {
			return
		}
		if Check(m) != nil {
			return
		}
		u, err := Unpacked(m)
		if err != nil {
			t.Fatalf("Check passed but Unpacked failed: %v", err)
		}
		if err := u.Validate(); err != nil {
			t.Fatalf("Unpacked gave a malformed graph: %v", err)
		}
		Measure(m)
		_, _ = Layers(m) // may reject bad records metadata; must not panic
	})
}

func TestSmallSeedSize(t *testing.T) {
	if n := len(encodedSmall(t, nil)); n > 4096 {
		t.Errorf("fuzz seed is %d bytes; keep it small", n)
	}
}

// FuzzResealed mutates .bnn encodings and, when they still decode,
// recomputes the digest so that the structural checks behind it see the
// mutation: whatever then passes Check must unpack, and running it from its
// bits under a 2^20-element limit must return outputs or an error, never
// panic. Run with a small -fuzzminimizetime, e.g.
//
//	go test ./pack -run '^$' -fuzz FuzzResealed -fuzztime 3m -fuzzminimizetime 5s
func FuzzResealed(f *testing.F) {
	f.Add(encodedSmall(f, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil || m.Graph == nil {
			return
		}
		m.SetMetadata(KeyDigest, Digest(m))
		if Check(m) != nil {
			return
		}
		if _, err := Unpacked(m); err != nil {
			t.Fatalf("Check passed but Unpacked failed: %v", err)
		}
		p, err := infer.CompileWith(m, infer.Options{MaxElements: 1 << 20}) // bounded memory whatever the mutation
		if err != nil || len(p.Inputs()) != 1 {
			return
		}
		_, _ = p.Run(map[string]*ir.Tensor{p.Inputs()[0]: randomInput(1, 1, 2, 5, 5)})
	})
}
