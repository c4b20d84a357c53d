package cli

import (
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
)

// FuzzHistory feeds arbitrary bnn.training values, which the digest does
// not cover, to the reader verify --report draws from: loadHistory may
// refuse a curve, and one it accepts must draw, with no error, panic or
// endless loop in the plot library (a flat range at 1e308 panicked, a span
// past float64 looped). Run with a small -fuzzminimizetime, e.g.
//
//	go test ./cmd/bincompress/cli -run '^$' -fuzz FuzzHistory -fuzztime 2m -fuzzminimizetime 5s
func FuzzHistory(f *testing.F) {
	f.Add(`{"steps":[0,0.5,1],"loss":[2.3,1.1,0.7],"epochs":[1],"train_accuracy":[0.8],"val_accuracy":[0.75]}`)
	f.Add(`{"steps":[0,1],"loss":[-1.7e308,1.7e308]}`)
	f.Add(`{"steps":[1.7e308,1.7e308],"loss":[1,1]}`)
	f.Add(`{"epochs":[9223372036854775807],"train_accuracy":[1]}`)
	f.Fuzz(func(t *testing.T, curve string) {
		m := &ir.Model{}
		m.SetMetadata(pack.KeyTraining, curve)
		h, err := loadHistory(m)
		if err != nil || h == nil {
			return
		}
		if _, err := h.images(); err != nil {
			t.Fatalf("loadHistory accepted %s, which does not draw: %v", curve, err)
		}
	})
}
