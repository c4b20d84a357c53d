// Package pack turns a binarized float graph (the output of package
// convert) into its .bnn form and back, and checks .bnn models as a reader
// must. A .bnn is an ONNX model (an ir.Model here; package onnx encodes it):
// ordinary ONNX ops for what stays float and ops of the domain
// "ai.bincompress" for binary layers, whose weights are bit-packed with
// the convention of internal/bits. docs/bnn-format.md is the spec.
//
// # Operators
//
// BinaryConv(X, W_bits, multiplier, bias) computes a 2-D convolution with
// ±1 weights, then multiplier[k]·y + bias[k] per output channel; it takes
// Conv's attributes plus kernel_shape (required) and channels (C, the
// input channel count). BinaryGemm(A, W_bits, multiplier, bias) is the
// dense layer Y[..., n] = multiplier[n]·Σ_k A[..., k]·sign(W[n, k]) +
// bias[n] with attributes in_features and transA. W_bits is a UINT64
// tensor [K, WordsPerRow(fan_in)]. Both are described, like every op, in
// the op layer (ir/schema): Pack and Check read attributes through it
// (schema.BinaryConv, schema.BinaryGemm, schema.Conv, schema.Gemm).
//
// # Functions
//
//	Pack(m)       binarized float graph → .bnn model (m is not modified)
//	Check(m)      what a reader verifies: version, digest, graph, layers
//	Unpacked(m)   .bnn model → binarized float graph (±multiplier weights)
//	Digest(m)     the digest Pack records under KeyDigest: the graph and the
//	              metadata of DigestedKeys (set those before Pack)
//	Measure(m)    bytes by part: packed bits, multipliers and biases, floats
//	Layers(m)     one LayerInfo per layer for inspect
//
// # Determinism
//
// Pack's output depends only on its input: nodes, initializers and
// metadata keep the input's order, new tensors follow in node order, no
// map is iterated into the output, and nothing records a time.
//
// # Errors
//
// Errors are prefixed "pack: ", name the node, and wrap one of the
// sentinels of format.go (ErrVersion, ErrDigest, ErrLayer, ...) so callers
// can tell which check failed with errors.Is. No input makes this package
// panic.
package pack
