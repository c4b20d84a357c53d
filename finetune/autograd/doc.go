// Package autograd is the reverse-mode differentiation that package finetune
// trains with: a Tape records each op of one forward pass and runs their
// backward passes in reverse.
//
// # Ops
//
// One file per op (or family of twin ops), with its forward, its backward and
// a test that checks the backward by central finite differences (float64
// accumulation): Conv, Gemm and MatMul (via internal/kernels),
// BatchNormTrain (batch statistics, biased variance as ONNX's training mode)
// and BatchNormEval, Relu, Clip, Add, Sum, Mul, Sub and Neg, Div, Max and
// Min (numpy broadcasting; ties split the gradient as PyTorch does),
// MaxPool, AveragePool, GlobalAveragePool, View (Flatten and Reshape),
// CrossEntropy and Distill (KL divergence with temperature); the
// activations Sigmoid, Silu (x·σ(x) as one op), Tanh, Erf, Gelu (erf and
// tanh forms), Softplus, Elu and Selu, HardSigmoid, HardSwish, LeakyRelu,
// PRelu (a trained slope broadcast to x), Pow (constant exponent), Sqrt,
// Reciprocal, Exp, Log and Softmax; and the ops that move elements: Slice
// (steps, negative too) and Split, Pad (constant, reflect, edge, wrap),
// Expand, Concat, Transpose, ReduceSum, ReduceMean, ReduceMax and Where
// (constant condition). Slice, Pad, Expand, Concat's parts and the
// reductions are one axisMap each (axismap.go): a gather whose adjoint
// scatter is the backward. A nil *Tape computes values only. A recorded
// Conv hands the sums of its output planes to a BatchNormTrain that reads
// the output (taken in the convolution's epilogue while each plane is in
// cache), so BN needs no statistics pass of its own.
//
// Besides its own gradient check, each op runs in TestOpsBuffers (same bits
// with recycled, poisoned Buffers), TestOpsDeterministic (same bits at
// GOMAXPROCS 1 and 8 on inputs past the goroutine grain) and
// TestOpsSavedBytes (SavedBytes equals what this file says each op keeps).
//
// # Backends
//
// Each op checks shapes, records itself and owns the gradients; its
// arithmetic goes through a backend.Backend: CPU (this package's op bodies
// over internal/kernels, on host memory; its methods sit beside the ops
// that call them) or a device backend (internal/gpu). A Tensor lives on one
// backend: host Data, or an opaque device buffer (OnDevice, DeviceParam;
// Data nil); an op runs on its inputs' backend, which must be the same for
// all of them, and its outputs, gradients and saved codes stay there. On a
// device, the tape frees an op's output and gradient buffers when backward
// is done with them (or at Release), transient buffers (a loss's
// softmax, BN's statistics) at the end of the pass, and what ops saved
// when the backward pass ends; with a nil or ValuesOnly tape, Release
// frees an op's output, and BatchStats.Free the statistics. Buffers and
// their plan (below) hold host buffers only: a device's come from its
// pool. The ops of a
// ResNet's main path go through the backend (Conv, Gemm, MatMul, the batch
// normalizations, Relu, Clip, Add, Sum, Mul, the pools, View and the
// losses); the others (the activations, Sub, Div, Max/Min, Pow, Where, the
// element-moving ops and reductions) compute on host Data only, and the
// trainer refuses them on a device before training (the op layer's stage
// schema.TrainerDevice).
//
// # Gradients and binary weights
//
// A Tensor's gradient lives in a separate Grad, so an op's backward holds the
// gradient sink but not the forward data: what a tape keeps alive is exactly
// what its ops saved. Alias gives a tensor (Ŵ = s·sign(W)) the gradient of
// another (W): the identity straight-through estimator.
//
// # What is saved for backward
//
// On an exact tape ops keep float32 references, as float autograd does: a
// conv or Gemm its input, BatchNormalization its input, ReLU its output,
// Clip its input, Mul the operand the other's gradient needs, MaxPool an
// int32 argmax per output, smooth activations and LeakyRelu/PRelu their
// input, HardSigmoid and Softmax their output, Max/Min both operands.
// Ops that move elements (Slice, Pad, Expand, Concat, Transpose, Split,
// Sub, Neg, ReduceSum/Mean) keep nothing; ReduceMax keeps an int32 argmax
// per output; Where its constant condition (a parameter).
// On a compressing tape (Tape.Compress):
//   - a binary conv or dense layer keeps its input as one stochastic bit per
//     element (Codes with k = 1): A_q = 1[(A−lo)/(c−lo) + U > 1], decoded as
//     lo + (c−lo)·A_q, with U ~ Uniform[0,1) and a per-channel range [lo, c]
//     taken from the batch itself: c is the channel's maximum and lo its
//     minimum (0 after a ReLU). With c the maximum no value saturates, so
//     E[decoded] = A exactly and the weight gradient, linear in A, is
//     unbiased; this also covers inputs that can be negative (a normalized
//     image). The weight gradient uses the decoded values; the input gradient
//     needs only the weights and stays exact.
//   - ReLU and Clip keep their exact condition, one bit per element.
//   - BatchNormalization keeps x̂ = (x−μ)/σ in Tape.BNBits bits (2 by
//     default) with per-channel ranges and stochastic rounding (ActNN's
//     scheme), plus μ and 1/σ per channel.
//   - MaxPool keeps one byte per output (the argmax's window offset).
//   - Where the derivative is piecewise constant, the exact condition as
//     bits: LeakyRelu and PRelu's dx one bit (x > 0), HardSigmoid one bit
//     (0 < αx + β < 1), Max/Min two bits per output (a won, tie). These
//     gradients are the exact tape's, bit for bit.
//   - Where the derivative is a smooth, bounded function of the input
//     (Sigmoid, Silu, Tanh, Erf, Gelu, Softplus, Elu, Selu, HardSwish, Pow
//     with exponent ≥ 1; Softmax of its output), the input in SmoothBits
//     (8) bits with per-channel ranges and stochastic rounding: the
//     derivative is then taken at a value within one step (range/255) of
//     the true one, off by at most that step times its slope. SiLU's
//     Sigmoid → Mul, HardSwish's HardSigmoid → Mul and GELU's Div → Erf →
//     Add → Mul → Mul run as one op (the trainer fuses them), keeping 8
//     bits per element where the chains keep three float tensors.
//   - Where the saved value enters a gradient linearly (a Mul operand for
//     the other operand's gradient, PRelu's min(x, 0) for the slope's), an
//     activation as large as the output in SmoothBits codes (unbiased; the
//     SE gate's gradient from the feature map it scales), one that is
//     broadcast (the SE gate [N, C, 1, 1] itself, tiny) as a float, a
//     parameter or constant as a float reference counted as a parameter.
//   - Sqrt, Reciprocal, Exp, Log, Div and Pow below 1 keep float
//     references: their derivatives are unbounded near values a code
//     could round to, where a finite gradient would turn infinite. They
//     sit on small side paths in ResNets (normalizations), not on the
//     main one.
//   - BatchNormRelu (BN whose only reader is a ReLU) keeps one BNBits-bit
//     code per element for all three consumers: bit 0 is the exact ReLU
//     mask, the rest round x̂ stochastically within its side of the ReLU
//     threshold, and a binary layer reading the output decodes its input
//     from the same code (for 2 bits exactly the 1-bit A_q above, c the
//     channel's maximum). A post-activation block (conv → BN → ReLU → conv
//     → BN → add → ReLU) then keeps 6 bits per element where float autograd
//     keeps 128, against 8 bits unfused.
//
// Estimators: the weight gradients, dγ and dβ are unbiased; BN's dx has a
// bias of order 1/M (M values per channel) from the product of two noisy
// terms in x̂·mean(g·x̂), negligible at training batch sizes.
//
// Layers kept in float keep float references in both modes. Tape.SavedBytes
// adds up the buffers the recorded ops hold (each shared buffer once), split
// into activations and parameter references.
//
// # Memory reuse
//
// A Tape with Buffers (the trainer keeps one for all its steps) recycles its
// float buffers: op outputs and every activation gradient come from them
// and go back as soon as backward is done with them, and a residual Add
// hands its gradient to both inputs as one buffer shared copy-on-write
// (Grad.share, Grad.own). The caller gives an output back in the forward
// pass once the last op that reads it has run (Tape.Release; the trainer's
// graph runner does, for values no live value shares data with); outputs
// an op saved as float references stay until backward, so on an exact
// tape most stay, on a compressing tape, which saves codes, almost none.
// A ValuesOnly tape records nothing but takes its outputs from Buffers
// too, so evaluation and statistics passes reuse the same memory.
// Parameter gradients never adopt a recycled buffer (a conv's filter
// gradient is computed in one parameter-sized scratch); every other
// gradient an op computes starts in a buffer from Buffers, so that none
// lives outside the arena (Buffers.Foreign counts those that do, for
// tests); Buffers.Poison makes tests see any use after give-back.
//
// # Planning memory
//
// Every buffer Buffers hands out has the batch as its first dimension or
// a fixed size, and every saved buffer knows how its size follows the
// batch (codes by their word layout). A Trace records, for passes at a
// small batch, each float buffer and saved buffer with the ticks at which
// it is taken and let go; Trace.Plan replays them at any batch: the bytes
// saved for backward (what Tape.SavedBytes would count), the most float
// memory live at once, and the arena that holds it. Buffers.Plan lays
// that arena out (greedy, by size as inference runtimes plan tensors or
// in request order, whichever is smaller: buffers live together never
// overlap) and serves each later pass of a
// planned kind (Buffers.Begin) from it in request order, so a step holds
// the float memory its worst moment needs, not every size's worst case.
// A pass that strays from its plan is served by plain allocations from
// there on, never by a region still in use.

// # Determinism
//
// Stochastic codes draw from a counter-based generator keyed by (Tape.Key,
// the op's position on the tape, the channel); work is split by channel or
// plane with each index writing its own memory, and reductions run in a
// fixed order. Results are therefore the same at any GOMAXPROCS.
//
// # Errors
//
// Shape mismatches and bad labels return errors prefixed "autograd: ".
package autograd
