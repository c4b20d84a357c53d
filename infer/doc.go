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
// shapes through the op layer, without doing the heavy arithmetic.
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
// Every node is first bound by the op layer (package ir/schema), which
// checks its arity and reads its attributes strictly into the op's typed
// struct; then the op is looked up by domain and op type in the executor's
// table of the domain: onnxOps for the default domain (ops_onnx.go),
// bincompressOps for "ai.bincompress" (ops_bincompress.go) and qonnxOps for
// QONNX (ops_qonnx.go). The op layer says which opsets each op covers and
// lists the ops the executor implements; TestExecutorTable holds the
// tables to that list, and docs/OPERATORS.md prints it. An entry is an
// opFunc:
//
//	func(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error)
//
// in holds one entry per node input, nil for an omitted optional input;
// inputs must never be modified. Before the op runs, the op layer has
// inferred its outputs' types and shapes from the inputs (c.out, c.shape(i)):
// there is one shape definition per op, and an op allocates what it is
// told. c.node is the bound node (c.node.Attrs the typed attributes, e.g.
// attrs[schema.Conv](c); c.opset() the opset of its domain), c.f32(shape)
// allocates a zeroed float32 output from the run's buffer pool. run returns
// the node's outputs in order (it may return more than the node names;
// extra ones are dropped) and may return a tensor sharing an input's Data
// for view ops such as Reshape. Errors are plain lowercase messages
// without a prefix: Run adds "infer: node NAME (OP): ".
//
// Eval runs one bound node on known inputs; it is the evaluator the op
// layer's graph inference takes (schema.Options.Eval), so InferShapes and
// the simplifier fold constant subgraphs through the same code that runs
// them.
//
// # Fusion
//
// Run does not run every node as its own pass (fuse.go): an inference
// BatchNormalization after a Conv with constant weights becomes new weights
// and bias at compile time, and an Add and a Relu that only post-process a
// convolution's output are applied by the convolution to each output row
// (kernels.Epilogue), bit for bit as the separate nodes would. Profile
// names such steps "Conv+BatchNormalization+Add+Relu". InferShapes works
// on the graph, so it still reports every value. Constant binary
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
// Program.CheckShapes infers every shape with the op layer for the declared
// input shapes (allocating nothing of the model's size) and applies the
// limit to each, so a caller can refuse such a model before running it
// (limits.go).
//
// # Errors
//
// Every error is one line prefixed "infer: " (or "schema: " when the op
// layer refuses the node) and names the node (its name, or #index when
// unnamed) and op type. An op missing from the table, or present but not at
// the model's opset, is a *schema.UnsupportedOpError; features
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
