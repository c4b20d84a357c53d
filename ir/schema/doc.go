// Package schema is the op layer: the one description of every operator
// bincompress reads, which every stage (the executor, the trainer, the
// exporters, the packer and the simplifier) consults instead of parsing
// ONNX attributes or inferring shapes on its own.
//
// # Ops
//
// Each op of the ai.onnx, ai.bincompress and QONNX domains has one entry
// in a map literal of its domain (ops_onnx.go, ops_domains.go): the
// opsets it covers, its input and output arity (per opset), a parser that
// reads its attributes into a typed struct (Conv, Gemm, Pad, ...) and a
// shape function. Bind checks a node against its entry at the opset its
// model imports and returns a *Node carrying the typed attributes:
//
//	b, err := schema.Bind(n, m.Opset(n.Domain), schema.Label(n, i))
//	conv, err := schema.As[schema.Conv](b)
//
// or, in one step, schema.AttrsOf[schema.Conv](m, n).
//
// # Attributes
//
// Reading is strict: an attribute of the wrong type, one the op does not
// define at that opset, a missing required one, or an invalid value (a
// negative pad, an unknown auto_pad) is an *AttrError naming node and
// attribute, never a silent default. Every default is written inline
// where the parser reads it, per opset; TestAgainstONNXSchemas holds the
// attributes (names, types, required, defaults) and the arity of every
// op at every opset up to 17 to ONNX's own operator schemas
// (testdata/onnx_schemas.json, dumped by
// testdata/scripts/dump_onnx_schemas.py from python3-onnx). Valid values
// the op layer does not implement (a sparse Constant, spatial=0) wrap
// ErrUnsupported.
//
// # Shapes and values
//
// A Value is what is known about a tensor without running the graph: its
// element type, its dims (each known, symbolic such as a batch "N", or
// unknown) and, where known, its contents. Node.Infer gives a node's
// outputs for its inputs; the executor calls it on concrete tensors to
// size every output, so there is one shape definition per op. Infer runs
// a whole graph for the shapes its inputs declare (the batch may stay
// symbolic): the contents of small integer vectors are propagated element
// by element, symbols included (Shape → Gather → Unsqueeze → Concat →
// Reshape folds to [N, -1]), and with Options.Eval (the executor's) every
// node whose inputs are all constant is computed, so constant subgraphs
// fold. A value larger than MaxElements (DefaultMaxElements unless set) is
// an error naming the node, not an allocation.
//
// # Stages
//
// The op table also says which stages implement each op (Supports,
// StageOps); each stage's package has a test holding its own
// implementation table to it, and docs/OPERATORS.md lists it
// (TestOperatorsDoc). Check(m, stages...) is the one check a command runs
// before writing anything: it binds every node and returns an
// *UnsupportedOpError naming op, domain, opset, node and stage for the
// first node a stage cannot handle. That error is the only unsupported-op
// error type of bincompress.
//
// # Errors
//
// Errors are prefixed "schema: " and name the node (its quoted name, or
// #index). Node.Infer returns plain messages about the inputs; callers
// add the node. Nothing panics on a bad model.
package schema
