package infer

import (
	"fmt"

	"github.com/bincompress/bincompress/ir/schema"
)

// ErrUnsupported marks a feature this executor does not implement (an op, an
// opset, a dtype or an attribute value). It is the op layer's sentinel, so
// errors.Is matches a *schema.UnsupportedOpError too.
var ErrUnsupported = schema.ErrUnsupported

// unsupported returns an error wrapping ErrUnsupported.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}
