// Package infer runs an ir.Model in float32 on the CPU.
//
// Compile checks a model once and resolves every node to an operator
// implementation for the opset its model imports; the resulting Program runs
// any number of batches:
//
//	p, err := infer.Compile(m)
//	out, err := p.Run(map[string]*ir.Tensor{"input": x})
//
// RunDense does the same with gorgonia.org/tensor Dense values at the
// boundary, and InferShapes reports every value's shape for given input
// shapes without doing the heavy arithmetic.
//
// # Data layout
//
// Tensors are ir.Tensor values: a row-major typed slice and a shape.
// Convolutions and pools use NCHW (N, C, spatial...). Activations and
// weights are float32; int64 and int32 tensors flow where ONNX needs them
// (shapes, indices, Cast), and the element-wise, shape and Cast ops accept
// the other numeric types as the ONNX node tests use them. Dense math is
// done by internal/kernels (Sgemm, Conv2D) on the backing slices.
//
// # Operator table
//
// Operators are looked up by domain and op type in the table of the domain:
// onnxOps for the default domain (ops_onnx.go), bincompressOps for
// "ai.bincompress" (ops_bincompress.go, owned by the pack engineer) and
// qonnxOps for QONNX (ops_qonnx.go, owned by the export engineer). A new
// domain needs one line in the domains map of ops_onnx.go. An entry is an
// opDef:
//
//	opDef{since: 1, until: 21, minIn: 2, run: opConv}
//
// since and until are the opset versions of the node's domain the
// implementation covers (inclusive), minIn the number of inputs that must be
// present, and run has the signature
//
//	func(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error)
//
// in holds one entry per node input, nil for an omitted optional input;
// inputs must never be modified. run returns the node's outputs in order (it
// may return more than the node names; extra ones are dropped) and may
// return a tensor sharing an input's Data for view ops such as Reshape.
// c.opset is the opset of the node's domain, c.f32(shape) allocates a zeroed
// float32 output from the run's buffer pool, and when c.shapeOnly is set the
// op must still validate its inputs and produce outputs of the right shape
// and type but may skip the arithmetic (InferShapes sets it; values
// derived from shapes are still computed by the cheap ops). Errors are
// plain lowercase messages without a prefix: Run adds "infer: node NAME
// (OP): ". docs/OPERATORS.md lists every entry of every domain and
// TestOperatorsDoc keeps it in step with the tables, so a new op needs a row
// there too.
//
// # Fusion
//
// Run does not run every node as its own pass (fuse.go): an inference
// BatchNormalization after a Conv with constant weights becomes new weights
// and bias at compile time, and an Add and a Relu that only post-process a
// convolution's output are applied by the convolution to each output row
// (kernels.Epilogue), bit for bit as the separate nodes would. Profile
// names such steps "Conv+BatchNormalization+Add+Relu". InferShapes runs
// the nodes one by one, so it still reports every value. Constant binary
// weights are prepared once per Program (sign classes, int8 panels).
//
// # Memory
//
// Compile records where each value is read for the last time; Run drops a
// value right after that node and recycles its float32 buffer for later
// outputs of the same size, so only the live activations of a network are
// held at any time. The freed buffers stay with the Program for its next
// run, so a model run batch after batch does not fault in fresh memory
// each time. Graph outputs are never recycled and belong to the caller.
//
// No tensor a run allocates may exceed Options.MaxElements (default
// DefaultMaxElements, 2^28), checked where ctx allocates and before an op
// builds an index of its output's size: a crafted shape fails with
// ErrTooLarge naming the node instead of allocating gigabytes.
// Program.CheckShapes runs the shape pass on the declared input shapes, so a
// caller can refuse such a model before running it (limits.go).
//
// # Errors
//
// Every error is one line prefixed "infer: " and names the node (its name,
// or #index when unnamed) and op type. An op missing from the table, or
// present but not at the model's opset, is an *UnsupportedOpError; features
// an implemented op does not cover (3-D convolution, float8, training mode)
// wrap ErrUnsupported so callers can tell "not implemented" from bad input
// with errors.Is. Bad input (missing graph inputs, wrong dtype, rank or
// shape, shapes that do not broadcast, dims whose product overflows) is an
// ordinary error; nothing panics on user input.
//
// # Concurrency
//
// A Program is immutable after Compile: Run, RunDense and InferShapes may be
// called from several goroutines at once. Each Run keeps its own values and
// buffer pool. Initializers are shared read-only between runs.
package infer
