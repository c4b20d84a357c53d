package export

import (
	"bytes"
	"testing"

	"github.com/bincompress/bincompress/onnx"

	"github.com/bincompress/bincompress/ir"
)

// TestPlanNoLiveOverlap checks the workspace plan: buffers alive at the
// same step never share bytes, every value fits its buffer, the workspace
// holds every buffer, and reuse makes it smaller than one buffer per value.
func TestPlanNoLiveOverlap(t *testing.T) {
	models := map[string]*ir.Model{"resnet20": loadBNN(t, "resnet20_cifar_op11"), "synth": synthBNN(t, 13, 3)}
	if !testing.Short() {
		models["resnet50"] = loadBNN(t, "resnet50_w8_op17")
	}
	for name, m := range models {
		p, err := newPlan(m)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i, a := range p.storages {
			total += a.floats
			if a.offset%4 != 0 || a.offset+a.floats > p.wsFloats {
				t.Errorf("%s: buffer %d at %d+%d is misaligned or past the workspace (%d)", name, i, a.offset, a.floats, p.wsFloats)
			}
			for _, b := range p.storages[i+1:] {
				live := a.first <= b.last && b.first <= a.last
				overlap := a.offset < b.offset+b.floats && b.offset < a.offset+a.floats
				if live && overlap {
					t.Errorf("%s: buffers [%d,%d)@%d-%d and [%d,%d)@%d-%d overlap while both are alive", name,
						a.offset, a.offset+a.floats, a.first, a.last, b.offset, b.offset+b.floats, b.first, b.last)
				}
			}
		}
		for v, s := range p.store {
			if n := ir.NumElements(p.shapes[v]); n > s.floats {
				t.Errorf("%s: value %q has %d floats, its buffer %d", name, v, n, s.floats)
			}
		}
		if p.wsFloats >= total {
			t.Errorf("%s: workspace %d floats, no smaller than all %d buffers together", name, p.wsFloats, total)
		}
		t.Logf("%s: %d nodes, %d buffers, workspace %d of %d floats", name, len(p.nodes), len(p.storages), p.wsFloats, total)
	}
}

// TestFloatLiteral checks that every C float literal names exactly the
// float32 it came from and is valid C (a '.' or exponent before 'f').
func TestFloatLiteral(t *testing.T) {
	g := &cgen{}
	cases := map[float32]string{0: "0.0f", 1: "1.0f", -2.5: "-2.5f", 1e-5: "1e-05f", 3e38: "3e+38f", 0.1: "0.1f", 16777217: "1.6777216e+07f"}
	for v, want := range cases {
		if got := g.float(v); got != want {
			t.Errorf("float(%v) = %s, want %s", v, got, want)
		}
	}
}

// TestExportsDeterministic: the same .bnn gives byte-identical files.
func TestExportsDeterministic(t *testing.T) {
	for _, f := range Formats {
		var prev []byte
		for range 2 {
			bnn := synthBNN(t, 13, 7)
			var cur []byte
			if f == "c" {
				h, c, err := C(bnn, "")
				if err != nil {
					t.Fatal(err)
				}
				cur = append(h, c...)
			} else {
				m, err := Model(bnn, f)
				if err != nil {
					t.Fatal(err)
				}
				if cur, err = onnx.Encode(m); err != nil {
					t.Fatal(err)
				}
			}
			if prev != nil && !bytes.Equal(prev, cur) {
				t.Errorf("%s: two exports differ", f)
			}
			prev = cur
		}
	}
}
