// Package autograd is the reverse-mode differentiation that package finetune
// trains with: a Tape records each op of one forward pass and runs their
// backward passes in reverse.
//
// # Ops
//
// One file per op, with its forward, its backward and a test that checks the
// backward by central finite differences (float64 accumulation): Conv, Gemm
// and MatMul (via internal/kernels), BatchNormTrain (batch statistics, biased
// variance as ONNX's training mode) and BatchNormEval, Relu, Clip, Add, Sum,
// Mul (numpy broadcasting), MaxPool, AveragePool, GlobalAveragePool, View
// (Flatten and Reshape), CrossEntropy and Distill (KL divergence with
// temperature). A nil *Tape computes values only. A recorded Conv hands the
// sums of its output planes to a BatchNormTrain that reads the output (taken
// in the convolution's epilogue while each plane is in cache), so BN needs
// no statistics pass of its own.
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
// Clip its input, Mul both operands, MaxPool an int32 argmax per output.
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
// gradient is computed in one parameter-sized scratch); Buffers.Poison
// makes tests see any use after give-back.
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
// that arena out (greedy by size, as inference runtimes plan tensors:
// buffers live together never overlap) and serves each later pass of a
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
