package bits

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// TestSpecVectors checks packing against testdata/bnn/vectors.json, whose
// bytes numpy's packbits(bitorder="little") produced (gen_vectors.py).
func TestSpecVectors(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/bnn/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name      string
			Shape     []int
			Values    []float64
			PackedHex string `json:"packed_hex"`
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases in vectors.json")
	}
	for _, c := range file.Cases {
		rows := c.Shape[0]
		cols := len(c.Values) / rows
		w := make([]float32, len(c.Values))
		for i, v := range c.Values {
			w[i] = float32(v)
		}
		words := make([]uint64, rows*WordsPerRow(cols))
		PackRows(words, w, rows, cols)
		if got := hex.EncodeToString(Bytes(words)); got != c.PackedHex {
			t.Errorf("%s: packed %s, want %s", c.Name, got, c.PackedHex)
		}
		want, _ := hex.DecodeString(c.PackedHex)
		back, err := Words(want)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		un := make([]float32, len(w))
		UnpackRows(un, back, rows, cols, nil)
		for i := range w {
			if un[i] != Sign(w[i]) {
				t.Errorf("%s: element %d unpacks to %v, want sign(%v)", c.Name, i, un[i], w[i])
				break
			}
		}
	}
}
