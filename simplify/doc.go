// Package simplify rewrites an imported model into the graph every stage
// sees: what onnx-simplifier and onnxruntime's constant folding do, for
// the input shapes the model declares, the batch kept symbolic.
//
// # What it does
//
// Model infers every value with the op layer (ir/schema), the executor
// (infer.Eval) evaluating each node whose inputs are all constant, then:
//
//   - replaces each node whose outputs are all constant by initializers
//     (shape arithmetic such as Shape → Gather → Unsqueeze → Concat, Cast
//     and Transpose of weights, Constant nodes), when the folded values
//     are small or no larger than the constants they come from (a Constant
//     node's own value counts, so a large weight held by one folds), so a
//     ConstantOfShape of a large zero tensor stays a node;
//   - rewrites a Reshape whose target still holds the symbolic batch (a
//     flatten written x.view(x.size(0), -1)) to the constant target
//     [0, -1]: a 0 copies the input's dim;
//   - removes Identity and each Dropout that passes its input through
//     (schema.DropoutModeOf: inference, or training with ratio 0; their
//     readers read the input; a random training-mode Dropout stays for
//     schema.Check to refuse), then every node no graph output depends
//     on, and the initializers and value_info entries nothing refers to
//     any more.
//
// The batch stays symbolic, so a .bnn made from the result still takes any
// batch. Model never changes its argument: the result shares the tensors
// it keeps.
//
// # Errors
//
// A node the op layer refuses (an unknown op, a badly typed attribute, an
// absurd shape) is an error naming it, prefixed "simplify: "; commands
// call Model right after import, so a bad model fails before any work.
package simplify
