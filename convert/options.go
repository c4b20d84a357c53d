package convert

import (
	"strings"

	"github.com/bincompress/bincompress/ir"
)

// Options configure the conversion.
type Options struct {
	// Scale is the scale mode; "" means ir.ScaleChannel.
	Scale ir.ScaleMode
	// KeepFloat lists layers to leave in float: "first" (the first
	// binarizable layer in graph order), "last" (the last one) and node
	// names. A name that is no binarizable layer is an error.
	KeepFloat []string
	// AllowEmpty lets a model with no layer to binarize through.
	AllowEmpty bool
}

func (o Options) scale() (ir.ScaleMode, error) { return ir.ParseScaleMode(string(o.Scale)) }

// SplitList splits a comma-separated flag value such as "first,last,conv1"
// into trimmed, non-empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
