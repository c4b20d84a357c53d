package onnx

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors that a *FormatError wraps; match them with errors.Is.
var (
	// ErrNotONNX: the bytes are not a protobuf ModelProto/TensorProto
	// (truncated, corrupt or another format).
	ErrNotONNX = errors.New("not an ONNX protobuf (truncated or corrupt)")
	// ErrNoGraph: the model has no graph.
	ErrNoGraph = errors.New("model has no graph")
	// ErrUnsupported: a valid ONNX feature this reader does not handle (IR
	// version, opset, element type, attribute kind, ...).
	ErrUnsupported = errors.New("unsupported")
	// ErrShape: tensor dimensions are negative, overflow, or promise more
	// elements than the data holds.
	ErrShape = errors.New("bad tensor dimensions")
	// ErrData: tensor data does not match the element type or dimensions.
	ErrData = errors.New("bad tensor data")
	// ErrExternal: an external-data reference is missing, leaves the model's
	// folder, or points past the end of its file.
	ErrExternal = errors.New("bad external data")
	// ErrInvalidModel: an ir.Model given to Encode cannot be written.
	ErrInvalidModel = errors.New("invalid model")
	// ErrTooMany: the model holds more entries (nodes, tensors, attributes,
	// names) than MaxEntries.
	ErrTooMany = errors.New("too many entries")
	// ErrDuplicate: a name ONNX requires to be unique (an initializer, a
	// node's attribute, a metadata key) appears twice.
	ErrDuplicate = errors.New("duplicate name")
)

// FormatError reports a problem with ONNX input (or with a model that cannot
// be encoded). Its message is one line: "onnx: " followed by the file, the
// node and tensor concerned where known, and the reason.
type FormatError struct {
	Path   string // model or tensor file; "" for in-memory data
	Node   string // node name (or op type and index when unnamed)
	Attr   string // attribute name
	Tensor string // tensor name
	Reason string // what is wrong
	Err    error  // the sentinel or underlying error, may be nil
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("onnx: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Node != "" {
		fmt.Fprintf(&b, "node %s: ", e.Node)
	}
	if e.Attr != "" {
		fmt.Fprintf(&b, "attribute %q: ", e.Attr)
	}
	if e.Tensor != "" {
		fmt.Fprintf(&b, "tensor %q: ", e.Tensor)
	}
	b.WriteString(e.Reason)
	if e.Err != nil && !isSentinel(e.Err) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return strings.ReplaceAll(b.String(), "\n", " ")
}

// isSentinel reports whether err is one of this package's sentinels, whose
// text the Reason already conveys.
func isSentinel(err error) bool {
	switch err {
	case ErrNotONNX, ErrNoGraph, ErrUnsupported, ErrShape, ErrData, ErrExternal, ErrInvalidModel, ErrTooMany, ErrDuplicate:
		return true
	}
	return false
}

func (e *FormatError) Unwrap() error { return e.Err }

// errorf builds a FormatError wrapping sentinel with a formatted reason.
func errorf(sentinel error, format string, args ...any) *FormatError {
	return &FormatError{Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// withTensor adds a tensor name to err if it is a FormatError lacking one.
func withTensor(err error, name string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.Tensor == "" {
		fe.Tensor = name
	}
	return err
}

// withAttr adds an attribute name to err if it is a FormatError lacking one.
func withAttr(err error, name string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.Attr == "" {
		fe.Attr = name
	}
	return err
}

// withNode adds a node label to err if it is a FormatError lacking one.
func withNode(err error, label string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.Node == "" {
		fe.Node = label
	}
	return err
}

// withPath adds the file path to err if it is a FormatError lacking one.
func withPath(err error, path string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.Path == "" {
		fe.Path = path
	}
	return err
}
