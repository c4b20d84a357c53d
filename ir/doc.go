// Package ir is the graph representation every stage of bincompress exchanges.
//
// The importer (package onnx) builds an ir.Model, the conversion passes rewrite
// it, the trainer updates its initializers, the packer serializes it and the
// executor (package infer) runs it. None of those packages import one another;
// they only share this package.
//
// # Data model
//
// The IR mirrors the parts of ONNX's ModelProto that a ResNet needs, keeping
// everything an unchanged read-then-write must preserve: opset imports,
// producer, metadata, names and doc strings. Node inputs are names of values;
// an empty name is an omitted optional input, as in ONNX.
//
// Tensor data is held as a typed Go slice that matches the element type
// (see DType.GoType); float16 and bfloat16 keep their raw bits in a []uint16
// so that nothing is lost until a caller asks for float32.
//
// # Errors
//
// Validation functions return errors prefixed "ir: "; nothing in this package
// panics on bad input.
package ir
