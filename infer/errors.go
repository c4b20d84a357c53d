package infer

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks a feature this executor does not implement (an op, an
// opset, a dtype or an attribute value). Match it with errors.Is.
var ErrUnsupported = errors.New("unsupported")

// UnsupportedOpError reports a node whose op type has no implementation for
// the opset the model imports for the node's domain.
type UnsupportedOpError struct {
	Op     string
	Domain string
	Node   string
	Opset  int64
}

func (e *UnsupportedOpError) Error() string {
	dom := e.Domain
	if dom == "" {
		dom = "ai.onnx"
	}
	return fmt.Sprintf("infer: unsupported op %s (domain %s, opset %d) at node %s", e.Op, dom, e.Opset, e.Node)
}

// Is makes errors.Is(err, ErrUnsupported) true for an UnsupportedOpError.
func (e *UnsupportedOpError) Is(target error) bool { return target == ErrUnsupported }

// unsupported returns an error wrapping ErrUnsupported.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}
