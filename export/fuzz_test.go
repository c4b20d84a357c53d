package export

import (
	"testing"

	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// FuzzExport mutates the encoding of a small .bnn and reseals its digest,
// so that the exporters, not the digest, meet the mutation: whatever passes
// pack.Check must come out of every format (Sizes, as inspect calls it) or
// be refused with an error, never a panic. Run with a small
// -fuzzminimizetime, e.g.
//
//	go test ./export -run '^$' -fuzz FuzzExport -fuzztime 3m -fuzzminimizetime 5s
func FuzzExport(f *testing.F) {
	seed, err := onnx.Encode(synthBNN(f, 13, 1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil || m.Graph == nil {
			return
		}
		m.SetMetadata(pack.KeyDigest, pack.Digest(m))
		if pack.Check(m) != nil {
			return
		}
		_, _ = Sizes(m, onnx.Encode)
	})
}
