package schema

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks something valid that a stage (or the op layer
// itself) does not implement: an op, an opset, an element type or an
// attribute value. Match it with errors.Is; every stage's "not
// implemented" errors wrap it.
var ErrUnsupported = errors.New("unsupported")

// UnsupportedOpError is the one error every stage returns for a node it
// cannot handle: the op is unknown to the op layer (Stage is empty), or the
// stage has no implementation of it at the model's opset, or (Reason set)
// the stage lacks a feature the node uses.
type UnsupportedOpError struct {
	Op     string
	Domain string // "" is ai.onnx
	Opset  int64  // the model's opset for Domain
	Node   string // the node's name, or #index when unnamed
	Stage  Stage  // "" when the op layer does not know the op
	Reason string // optional: what the stage lacks, e.g. "3-D convolution"
}

func (e *UnsupportedOpError) Error() string {
	who := "no stage of bincompress supports"
	if e.Stage != "" {
		who = "the " + string(e.Stage) + " does not support"
	}
	s := fmt.Sprintf("schema: %s op %s (domain %s, opset %d) at node %s", who, e.Op, DomainName(e.Domain), e.Opset, e.Node)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedOpError) Is(target error) bool { return target == ErrUnsupported }

// AttrError reports an attribute that is absent though required, of the
// wrong type, unknown to the op, or of an invalid value.
type AttrError struct {
	Node, Op, Attr, Reason string
	Err                    error // ErrUnsupported for valid values the op layer does not handle, else nil
}

func (e *AttrError) Error() string {
	return fmt.Sprintf("schema: node %s (%s): attribute %s: %s", e.Node, e.Op, e.Attr, e.Reason)
}

func (e *AttrError) Unwrap() error { return e.Err }

// DomainName is the name messages use for a domain: "ai.onnx" for "".
func DomainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

// normDomain maps "ai.onnx" to "", the IR's spelling of the default domain.
func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}
