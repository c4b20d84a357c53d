package convert

import (
	"fmt"
	"strings"
)

// ScaleMode chooses the scale s of the binarized weights s·sign(W).
type ScaleMode string

// The scale modes.
const (
	ScaleHe      ScaleMode = "he"      // sqrt(2/fan_in) per layer (McDonnell)
	ScaleChannel ScaleMode = "channel" // mean|W| per output channel (default)
	ScaleLayer   ScaleMode = "layer"   // mean|W| per layer
)

// ParseScaleMode accepts "he", "channel" or "layer"; "" means ScaleChannel.
func ParseScaleMode(s string) (ScaleMode, error) {
	switch m := ScaleMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return ScaleChannel, nil
	case ScaleHe, ScaleChannel, ScaleLayer:
		return m, nil
	}
	return "", fmt.Errorf("convert: unknown scale mode %q (want he, channel or layer)", s)
}

// Options configure the conversion.
type Options struct {
	// Scale is the scale mode; "" means ScaleChannel.
	Scale ScaleMode
	// KeepFloat lists layers to leave in float: "first" (the first
	// binarizable layer in graph order), "last" (the last one) and node
	// names. A name that is no binarizable layer is an error.
	KeepFloat []string
	// AllowEmpty lets a model with no layer to binarize through.
	AllowEmpty bool
}

func (o Options) scale() (ScaleMode, error) { return ParseScaleMode(string(o.Scale)) }

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
