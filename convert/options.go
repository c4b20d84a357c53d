package convert

import (
	"strings"

	"github.com/bincompress/bincompress/ir"
)

// DefaultSizeBound is the project's bound on what keeping the first and
// last layers float may cost: the .bnn within 1.25x the all-binary one.
const DefaultSizeBound = 1.25

// Options configure the conversion.
type Options struct {
	// Scale is the scale mode; "" means ir.ScaleChannel.
	Scale ir.ScaleMode
	// KeepFloat lists layers to leave in float: "first" (the first
	// binarizable layer in graph order), "last" (the last one) and node
	// names ("none" and "auto" add nothing; see KeepFloat). A name that is
	// no binarizable layer is an error.
	KeepFloat []string
	// SizeBound caps what "first" and "last" may cost: the .bnn at most
	// this many times the all-binary one (0: no bound).
	SizeBound float64
	// AllowEmpty lets a model with no layer to binarize through.
	AllowEmpty bool
}

func (o Options) scale() (ir.ScaleMode, error) { return ir.ParseScaleMode(string(o.Scale)) }

// SplitList splits a comma-separated flag value such as "first,last,conv1"
// into trimmed, non-empty items. A backslash escapes a comma that belongs to
// an item (`conv\,0` is the node "conv,0") and a backslash (`a\\` is
// "a\"); any other backslash is kept as it is.
func SplitList(s string) []string {
	var out []string
	var item strings.Builder
	end := func() {
		if f := strings.TrimSpace(item.String()); f != "" {
			out = append(out, f)
		}
		item.Reset()
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == ',' || s[i+1] == '\\'):
			i++
			item.WriteByte(s[i])
		case c == ',':
			end()
		default:
			item.WriteByte(c)
		}
	}
	end()
	return out
}

// JoinList is SplitList's inverse for trimmed, non-empty items: the items
// joined by commas, each comma and backslash in them escaped.
func JoinList(items []string) string {
	esc := strings.NewReplacer(`\`, `\\`, `,`, `\,`)
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = esc.Replace(it)
	}
	return strings.Join(out, ",")
}
