package onnx

import "google.golang.org/protobuf/encoding/protowire"

// MaxEntries bounds the length-delimited entries (sub-messages, names,
// byte strings) of the messages a model's graphs are made of. An entry
// takes two bytes in the file and a few hundred once decoded, so a 2 GiB
// file of empty nodes would decode into hundreds of gigabytes; a ResNet
// holds a few thousand entries, a graph of a hundred thousand nodes some
// hundreds of thousands.
const MaxEntries = 1 << 21

// maxNesting bounds how deep graphs nest inside attributes, as the
// protobuf decoder bounds message depth.
const maxNesting = 100

// wireKind is a message type whose entries countEntries walks into.
type wireKind int

const (
	wireModel wireKind = iota
	wireGraph
	wireNode
	wireAttribute
	wireTensor
	wireFunction
)

// wireChildren are, per message type, the field numbers (onnx.proto) that
// hold messages countEntries walks into; every other length-delimited field
// of a walked message is counted without being walked.
var wireChildren = map[wireKind]map[protowire.Number]wireKind{
	wireModel:     {7: wireGraph, 25: wireFunction},
	wireGraph:     {1: wireNode, 5: wireTensor},
	wireNode:      {5: wireAttribute},
	wireAttribute: {5: wireTensor, 6: wireGraph, 10: wireTensor, 11: wireGraph},
	wireFunction:  {7: wireNode, 11: wireAttribute},
	wireTensor:    {},
}

// countEntries counts a serialized ModelProto's entries before it is
// decoded: ErrTooMany past MaxEntries. Malformed bytes stop the count
// quietly; the decoder reports them.
func countEntries(data []byte) error {
	n := 0
	var walk func(b []byte, k wireKind, depth int) error
	walk = func(b []byte, k wireKind, depth int) error {
		if depth > maxNesting {
			return errorf(ErrTooMany, "graphs nest more than %d deep", maxNesting)
		}
		for len(b) > 0 {
			num, typ, m := protowire.ConsumeTag(b)
			if m < 0 {
				return nil
			}
			b = b[m:]
			if typ != protowire.BytesType {
				if m = protowire.ConsumeFieldValue(num, typ, b); m < 0 {
					return nil
				}
				b = b[m:]
				continue
			}
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil
			}
			b = b[m:]
			if n++; n > MaxEntries {
				return errorf(ErrTooMany, "more than %d entries (nodes, tensors, attributes, names)", MaxEntries)
			}
			if child, ok := wireChildren[k][num]; ok {
				if err := walk(v, child, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(data, wireModel, 0)
}
