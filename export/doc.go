// Package export writes a .bnn model (package pack's form of a binarized
// model) in the formats of other runtimes:
//
//	ONNX(m)        standard ONNX, binary layers as Conv/Gemm with ±multiplier float weights
//	ONNXPacked(m)  standard ONNX whose binary weights are stored as bits (UINT8) and
//	               rebuilt at load by a subgraph of standard float ops
//	QONNX(m)       ONNX with QONNX BipolarQuant nodes on the weights, for FINN
//	C(m, prefix)   a portable C99 header and source with packed const weights
//	Footprint(m)   the C export's flash (const data) and RAM (workspace) bytes
//	Sizes(m, enc)  the byte size of every export format
//
// Every function takes a .bnn model, checks it with pack.Check, and never
// modifies it. The ONNX-family functions return an *ir.Model; the caller
// encodes it (package onnx) because this package sits beside onnx in the
// layering and does not import it. docs/EXPORT.md describes each format.
//
// # Binary layers
//
// A BinaryConv or BinaryGemm of domain ai.bincompress computes
// multiplier[k]·Σ sign(W)·x + bias[k]. The ONNX exports start from
// pack.Unpacked, which turns each binary layer into Conv, Gemm or
// MatMul+Add with weights multiplier[k]·(±1), and then replace those float
// weights by their packed (ONNXPacked) or quantizer (QONNX) form. The sign
// always comes from the packed bits, never from the float product, so a
// negative multiplier keeps its meaning.
//
// # Errors
//
// Errors are prefixed "export: " and name the node; an op the C target does
// not implement is the op layer's *schema.UnsupportedOpError (stage
// schema.CExport). Nothing panics on user input.
//
// # Determinism
//
// Every output depends only on the input model: names are derived from node
// names, tensors follow node order, and no map is iterated into the output.
package export
