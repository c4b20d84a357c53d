// Package finetune trains a float ONNX ResNet (an ir.Model) into one with
// binary conv and dense weights, McDonnell's way, with compressed learning:
// the activations kept for the backward pass take about one bit each.
//
// # Entry point
//
//	res, err := finetune.Train(ctx, model, train, val, cfg, progress)
//
// model is not modified; res.Model is a copy holding the float latent
// weights W (Ŵ = s·sign(W) is what runs), re-estimated BN statistics, and
// the list of binary layers in res.Layers and metadata key MetadataKey.
// train and val are Sources: images and the preprocessing that makes them
// the model's input. NewDatasetSource adapts an internal/dataset Dataset
// and its Preprocess, SliceSource serves samples already in memory, and
// Holdout splits off a seeded held-out slice. Every batch the trainer
// reads (training, BN re-estimation, validation) comes from
// internal/dataset's one pipeline, dataset.Batches, whose workers decode,
// preprocess and augment (Config.Augment, dataset.Augment: random crop,
// pad-and-crop with black, flip) ahead of the step. val may be nil.
// progress receives Events; nothing is printed (the CLI draws the training
// curves from them).
//
// # Method
//
//   - Binary weights: the forward and backward passes use Ŵ = s·sign(W),
//     sign(0) = +1, recomputed from W before every step; the gradient of Ŵ
//     goes unchanged to W (identity straight-through, no clipping), which
//     SGD updates. s is per layer sqrt(2/fan_in) (he), per output channel
//     mean|W| (channel, the default) or per layer mean|W| (layer), with the
//     formulas of package convert. Every Conv, Gemm and MatMul with an
//     initializer weight is binary unless Config.KeepFloat names it
//     (node or weight name, "first", "last").
//   - Compressed learning (package autograd's doc.go has the codes): a
//     binary layer's input is saved as one stochastic bit per element,
//     A_q = 1[(A−lo)/(c−lo) + U > 1] with c the channel's maximum in the
//     batch and lo its minimum (0 after a ReLU), so the weight gradient is
//     unbiased; ReLU masks are exact bits; BN's normalized input is saved in
//     Config.BNBits (2) bits with stochastic rounding; a BN whose only
//     reader is a ReLU shares one 2-bit code with that ReLU's mask and the
//     next binary layer's input (autograd.BatchNormRelu), so a ResNet
//     block keeps 6 bits per element against float autograd's 128. Other
//     activations keep an exact bit where their derivative is piecewise
//     constant (LeakyReLU, PReLU, HardSigmoid) and 8-bit codes of their
//     input where it is smooth (SiLU, GELU, HardSwish, …); the families'
//     compressed tapes hold 8× to 31× less than exact ones.
//     ExactBackward keeps float32 copies instead.
//   - Memory is planned before training (memplan.go): a training step, an
//     evaluation and a statistics pass are traced at batches 2 and 3 on a
//     copy of the model (on the CPU), and the trace replayed at the run's
//     batch gives the bytes saved for backward, the arena of float tensors
//     every pass then takes its buffers from, and the peak (MemoryPlan).
//     The Go memory limit follows the plan while the run lasts (unless
//     GOMEMLIMIT is set); Config.MaxMemory refuses a batch whose plan
//     exceeds it (ErrMemory names the largest batch that fits) and
//     BatchSize AutoBatch takes that batch. Result.Memory reports the
//     saved bytes per image both ways, both modes' plans, the peak heap and
//     the process's peak resident memory. On a device backend the plan
//     gives the saved bytes only: the step's tensors come from the
//     device's pool, which it does not model, so there is no arena, no
//     heap limit and no MaxMemory or AutoBatch (docs/GPU.md).
//   - BN statistics are re-estimated right after binarizing and again at
//     the end: BNBatches augmented training batches run with batch
//     statistics; the running mean becomes the mean of batch means and the
//     running variance E[σ²_B] + Var[μ_B]. During training the running
//     statistics follow ONNX's rule (momentum attribute, biased variance).
//   - Loss: (1 − Distill)·cross-entropy + Distill·T²·KL(teacher ‖ student)
//     at temperature T, the teacher being the source float model run with
//     its own weights and running statistics.
//   - SGD with momentum (Nesterov optional), weight decay on conv and dense
//     weights only, SGDR cosine warm restarts stepped per batch, optional
//     momentum reset at each restart. DefaultConfig and DefaultSchedule
//     document the defaults (lr 0.01 → 1e-4, T0 = 2 epochs, Tmult = 2).
//
// # Devices
//
// Config.Backend runs the training's arithmetic on a device backend (the
// GPU: gpu.Device.Backend): the same graph, plan, codes and recipe as on
// the CPU. The parameters, Ŵ, the momentum, the BN running statistics and
// the float constants move to the device once; a batch goes up and the
// loss and the number of correct predictions come down each step; an
// evaluation brings the logits down, a BN re-estimation each BN's batch
// statistics; checkpoints and the end of training bring the model's
// initializers down. A graph with an op that does not yet do its
// arithmetic through the backend is refused before training by CheckDevice:
// the op layer's *schema.UnsupportedOpError for stage
// schema.TrainerDevice (docs/OPERATORS.md lists its ops; TestDeviceTable
// holds deviceOps to it). When the device runs out of memory, the error
// names the largest batch that fits.
//
// # Determinism and checkpoints
//
// Shuffling, augmentation and stochastic codes are drawn from generators
// keyed by (seed, epoch), (seed, epoch, image) and (seed, step), never
// from shared state,
// and every reduction runs in a fixed order, so equal inputs give
// bit-identical weights at any GOMAXPROCS. With Config.CheckpointDir set, a
// checkpoint (latent weights, momentum, BN statistics, epoch and step; the
// random state follows from those) is written atomically after each epoch;
// Config.Resume continues from it and ends with the weights an
// uninterrupted run would have. A resume with different settings is
// refused.
//
// # Supported graphs
//
// Every op of the ResNet families (testdata/models/families, each trained
// one epoch both ways by TestFamiliesTrain): Conv (1-D and 2-D), Gemm,
// MatMul, BatchNormalization, Relu, Clip, LeakyRelu, PRelu (slope trained),
// Sigmoid, HardSigmoid, HardSwish, Tanh, Erf, Gelu, Softplus, Elu, Selu,
// Add, Sub, Mul, Div, Sum, Neg, Pow (constant exponent), Sqrt, Reciprocal,
// Exp, Log, Max, Min, Where (constant condition), Softmax, MaxPool,
// AveragePool, GlobalAveragePool, ReduceMean, ReduceSum, ReduceMax, Pad,
// Slice, Split, Concat, Transpose, Expand, Flatten, Reshape, Identity,
// Dropout (identity), and the shape ops PyTorch exports (Constant,
// ConstantOfShape, Shape, Gather, Unsqueeze, Squeeze, Cast, and integer
// Add/Sub/Mul/Div, Concat, Slice, Reshape, Transpose), folded as they run.
// SiLU, HardSwish and GELU exported as chains of nodes train as one op each
// (fuse_act.go). A final Softmax or LogSoftmax is dropped so that the loss
// sees logits. Anything else is a *schema.UnsupportedOpError (stage
// trainer); the op layer lists the trainer's ops (docs/OPERATORS.md), and
// TestTrainerTable holds the handler table to it. TestNodeConformance
// runs ONNX's backend node tests through the trainer's forward pass and
// checks their gradients (skips in testdata/conformance_skips.txt).
//
// # Errors
//
// Errors are prefixed "finetune: ". Bad data is reported with the
// sentinels ErrEmptyData, ErrSampleShape, ErrLabel and ErrNaNLoss (a non-finite loss
// stops the run; the last checkpoint is kept), a model with nothing to
// binarize with ErrNoBinaryLayer.
package finetune
