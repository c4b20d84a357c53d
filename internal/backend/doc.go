// Package backend is the seam between the trainer and the hardware it runs
// on: one interface, Backend, for every tensor operation the trainer
// (finetune and finetune/autograd) performs, with two implementations:
//
//   - autograd.CPU, the op bodies of package autograd over the kernels of
//     internal/kernels, on host memory (Host);
//   - gpu.Backend, the CUDA kernels of internal/gpu on device memory.
//
// Autograd records the tape, owns the gradients and decides what each op
// saves; a Backend does the arithmetic. Both backends compute the same
// quantities with the same formulas: element-wise work, pooling, the
// stochastic codes and the optimizer step give the same bits on both (for
// the same inputs); sums and matrix products, which a GPU takes in another
// order, agree within a tolerance. A parity suite (internal/gpu's tests)
// holds the GPU to the CPU op by op, forward and backward, and over whole
// training steps.
//
// # Storage
//
// A Buffer is a tensor's storage on one backend, opaque to the caller: Host
// on the CPU, a device allocation on a GPU. An op receives only buffers of
// its own backend. Host data crosses to a device only through Upload and
// Download, which the trainer calls for a batch's input, the loss and
// metrics, and checkpoints: a training step otherwise keeps every tensor on
// the device. Saved is the same for what an op keeps for backward that is
// not a float tensor (stochastic codes, exact masks, pooling indices).
// Buffers and Saved values are freed explicitly (Free, Release): a device
// backend returns them to its memory pool, the CPU leaves them to the
// garbage collector.
//
// # Errors
//
// Ops do not return errors: shapes are validated by the caller, and a
// device backend records its first failure (an allocation that does not
// fit, a failed launch) and skips later work until the trainer asks Err at
// the end of a step, as a CUDA stream's errors surface at the next
// synchronization. The CPU backend never fails.
package backend
