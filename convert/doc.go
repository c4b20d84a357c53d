// Package convert binarizes the weights of a float model: it turns an
// ir.Model imported from ONNX into the "binarized float graph", the same
// graph with each chosen Conv, Gemm and MatMul weight replaced by
// s·sign(W) in float32 (sign(0) = +1). The float executor runs that graph
// as is, package pack turns it into a .bnn, and exports and cross-checks
// start from it.
//
// # Passes
//
// Conversion is an explicit, ordered list of passes (a Pipeline) over a
// State that holds the model, the Options and one ir.LayerRecord per
// binarizable layer. DefaultPipeline runs, in order:
//
//	select       find Conv (any kernel, stride, dilation, groups), Gemm and
//	             MatMul nodes with constant float32 weights; record the
//	             others with the reason they cannot be binarized
//	keep-float   apply Options.KeepFloat: node names; "first" and "last"
//	             only while the .bnn stays within Options.SizeBound times
//	             the all-binary one (EstimateBytes)
//	require      fail when no layer is left to binarize (unless AllowEmpty)
//	binarize     replace each chosen weight by s·sign(W)
//	fold-bn      fold a BatchNormalization that follows a binarized Conv or
//	             Gemm into its weights and bias, so that each output channel
//	             carries one multiplier and one bias
//	record       store the layer records under ir.LayersKey
//
// # One plan
//
// PlanPipeline (select, keep-float, require, record) makes the binarization
// plan once, without touching a weight: the records under ir.LayersKey.
// Package finetune trains exactly the layers the plan marks binary, and
// FinishPipeline (load, binarize, fold-bn, record) completes the plan from
// the records stored in the model; DefaultPipeline is the two in one go.
// Nothing re-selects layers after planning, so a layer cannot be trained
// binary and shipped float.
// A caller that re-estimates BatchNormalization statistics on data between
// binarizing and folding runs Pipeline{Load(), BinarizeWeights(), Record()},
// then Pipeline{Load(), FoldBatchNorm(), Record()}.
//
// # Float layers chosen from data
//
// For --keep-float auto the caller measures each binarized layer's
// Sensitivity (package finetune) into the plan; RankFloat orders the
// layers by sensitivity per byte kept float, and KeepRanked keeps the first
// k of them float. The caller fine-tunes k = 0, 1, ... and stops at the
// first plan that meets its budget (auto.go).
//
// # Scales
//
// ir.ScaleMode defines the scales once for every stage: ir.ScaleHe is
// McDonnell's per-layer constant sqrt(2/fan_in); ir.ScaleChannel (the
// default, best for pretrained models) is mean|W| per output channel, the s
// that minimizes ‖W − s·sign(W)‖² (XNOR-Net); ir.ScaleLayer is mean|W|
// over the whole layer. fan_in is C/groups·kH·kW for a Conv and the input
// width for a dense layer. docs/bnn-format.md says how the per-channel
// multiplier and bias of the .bnn follow from s and a folded
// BatchNormalization, or from a Conv bias when the source already had its
// BatchNormalization folded away.
//
// # Errors
//
// Errors are prefixed "convert: " and name the pass and node. The passes
// change the model in place; on error the model may be half converted, so
// callers convert a copy they can drop.
package convert
