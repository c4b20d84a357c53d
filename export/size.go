package export

import (
	"errors"
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Formats are the export formats, as the CLI's --format names them.
var Formats = []string{"onnx", "onnx-packed", "qonnx", "c"}

// Model returns the ONNX-family export of m for a format name: "onnx",
// "onnx-packed" or "qonnx". "c" is not a model; use C or WriteC.
func Model(m *ir.Model, format string) (*ir.Model, error) {
	switch format {
	case "onnx":
		return ONNX(m)
	case "onnx-packed":
		return ONNXPacked(m)
	case "qonnx":
		return QONNX(m)
	}
	return nil, fmt.Errorf("export: format %q is not an ONNX format (want onnx, onnx-packed or qonnx)", format)
}

// Size is one format's output size: Bytes is the file size (for "c", the
// header and source together); the C format also reports its footprint.
// Unsupported says why the format cannot take the model (an op it lacks),
// and then the sizes are zero.
type Size struct {
	Format      string `json:"format"`
	Bytes       int64  `json:"bytes"`
	FlashBytes  int64  `json:"flash_bytes,omitempty"`
	RAMBytes    int64  `json:"ram_bytes,omitempty"`
	Unsupported string `json:"unsupported,omitempty"`
}

// Sizes exports m in every format and returns the sizes in Formats order.
// encode serializes an ONNX model (the CLI passes onnx.Encode). A format
// that cannot take m (an op the C target lacks: an error matching
// schema.ErrUnsupported) is reported in its Size; any other error fails
// the call, naming the format.
func Sizes(m *ir.Model, encode func(*ir.Model) ([]byte, error)) ([]Size, error) {
	out := make([]Size, 0, len(Formats))
	for _, f := range Formats {
		s, err := sizeOf(m, f, encode)
		if errors.Is(err, schema.ErrUnsupported) {
			s = Size{Format: f, Unsupported: err.Error()}
		} else if err != nil {
			return nil, fmt.Errorf("export: size of %s: %w", f, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func sizeOf(m *ir.Model, format string, encode func(*ir.Model) ([]byte, error)) (Size, error) {
	if format == "c" {
		g, err := generate(m, DefaultPrefix)
		if err != nil {
			return Size{}, err
		}
		fp := g.footprint()
		return Size{Format: format, Bytes: int64(len(g.header()) + len(g.source())), FlashBytes: fp.FlashBytes, RAMBytes: fp.RAMBytes}, nil
	}
	x, err := Model(m, format)
	if err != nil {
		return Size{}, err
	}
	data, err := encode(x)
	if err != nil {
		return Size{}, err
	}
	return Size{Format: format, Bytes: int64(len(data))}, nil
}
