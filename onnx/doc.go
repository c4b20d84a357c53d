// Package onnx reads and writes ONNX models (protobuf ModelProto) as
// ir.Model, and single tensors (TensorProto) as ir.Tensor.
//
//	m, err := onnx.ReadFile("resnet18.onnx") // or onnx.Decode(data)
//	err = onnx.WriteFile("out.onnx", m)       // or data, err := onnx.Encode(m)
//	t, err := onnx.DecodeTensor(inputPB)      // ONNX backend-test input_0.pb
//
// The protobuf bindings are this project's own (internal/onnxpb), generated
// by protoc and protoc-gen-go from a schema written from the ONNX IR
// specification; `go generate ./onnx/...` reproduces them byte for byte.
//
// # What is read
//
// IR versions 3 to 10 and default-domain ("" or "ai.onnx") opsets 1 to 21
// (ResNets come at 7 and up; the older opsets of ONNX's PyTorch backend
// tests are read too, and the executor decides per op what it runs); other domains are passed through with their opset version. Initializers
// in raw_data or in the typed fields (float_data, int32_data, which also
// carries int8, int16, uint8, uint16, bool, float16 and bfloat16 bits,
// int64_data, double_data, uint64_data, string_data), of every element type
// the IR holds: float32, float64, float16 and bfloat16 (raw bits in a
// []uint16), int8 to int64, uint8 to uint64, bool and string. Constant nodes
// keep their attributes (value, value_float(s), value_int(s), ...) for the
// executor to evaluate. Initializers that are also graph inputs, omitted
// optional inputs (""), subgraph attributes (If, Loop, Scan) and every
// attribute kind except sparse tensors and type protos are kept.
//
// Refused with ErrUnsupported: other IR versions and default-domain opsets,
// complex, float8 and 4-bit tensors, model-local functions, sparse
// initializers, segmented tensors, sparse-tensor and type-proto attributes.
//
// Not represented in the IR, so dropped on read: training_info, quantization
// annotations, graph/node/value metadata_props, node overloads and dimension
// denotations. Values of a non-tensor type (sequence, map, optional, sparse
// tensor) are read as untyped values. The node domain "ai.onnx" is read as
// "" (the same domain).
//
// # What is written
//
// Encode writes everything the IR holds: ir_version, opset imports,
// producer name and version, domain, model_version, doc strings, metadata
// in its order, names, inputs, outputs, value_info, initializers and
// attributes of every kind. Numeric tensor data is written little-endian
// in raw_data, strings in string_data; external data is written inline.
// The output is deterministic: the same model gives the same bytes.
// Strings must be valid UTF-8 (the schema is proto3).
//
// WriteFile writes to a temporary file in the destination folder, syncs it
// and renames it into place; on any error no file is left behind and an
// existing file is untouched.
//
// # External data
//
// A tensor with data_location EXTERNAL is read from the file named by its
// location key at offset/length (length defaults to the rest of the file).
// Only ReadFile resolves it, and only inside the model's own folder: an
// absolute location, one that climbs out with "..", or one that reaches a
// file outside the folder through a symlink (checked with
// filepath.EvalSymlinks) is refused, as is a range past the end of the
// file or a length that does not match the tensor's dims. Decode and
// DecodeTensor have no folder and refuse external data.
//
// # Errors
//
// Every error from this package is a one-line *FormatError whose message
// starts with "onnx: " and names the file, node, attribute and tensor
// concerned, then the problem. It wraps one of the sentinels (ErrNotONNX,
// ErrNoGraph, ErrUnsupported, ErrShape, ErrData, ErrExternal,
// ErrInvalidModel) for errors.Is. Sizes are checked before allocation: a
// tensor cannot claim more elements than its data holds (dims whose
// product overflows, or exceeds the raw bytes, typed elements or external
// range available, are refused first), so hostile input cannot force a
// huge allocation. No input makes the reader panic; FuzzRead checks this.
package onnx
