// Package finetune trains a float ONNX ResNet (an ir.Model) into one with
// binary conv and dense weights, McDonnell's way, with compressed learning:
// the activations kept for the backward pass take about one bit each.
//
// # Entry point
//
//	train, held, info, err := finetune.Holdout(all, finetune.DefaultHoldout, seed)
//	res, err := finetune.Train(ctx, model, train, held, cfg, progress)
//
// model must carry a binarization plan (ir.LayersKey, made by package
// convert's PlanPipeline): the trainer trains exactly the layers it marks
// binary, with their scale modes, and the converter later binarizes
// exactly those. model is not modified; res.Model is a copy holding the
// float latent weights W (Ŵ = s·sign(W) is what runs), re-estimated BN
// statistics and the same plan.
// train and held are Sources: images and the preprocessing that makes them
// the model's input. NewDatasetSource adapts an internal/dataset Dataset
// and its Preprocess, and SliceSource serves samples already in memory.
// Every batch the trainer reads (training, BN re-estimation, held-out
// evaluation) comes from internal/dataset's one pipeline, dataset.Batches,
// whose workers decode, preprocess and augment (Config.Augment,
// dataset.Augment: random crop, pad-and-crop with black, flip) ahead of the
// step. progress receives Events; nothing is printed (the CLI draws the
// training curves and the progress of each phase from them).
//
// # Held-out data decides; the test split only verifies
//
// held is a seeded slice of the training data (Holdout: 10 %, at most
// 5,000 images, by default, drawn by dataset.Holdout). Every decision the
// trainer makes is taken on it: the accuracies reported after binarizing,
// after BN re-estimation and after each epoch, and the snapshot kept. A
// caller verifies the result on the test split, which the trainer never
// sees. held may be nil (then the last snapshot is kept and no accuracy is
// reported).
//
// # Method
//
//   - Binary weights: the forward and backward passes use Ŵ = s·sign(W),
//     sign(0) = +1, recomputed from W before every step; the gradient of Ŵ
//     goes unchanged to W (identity straight-through, no clipping), which
//     SGD updates. s is per layer sqrt(2/fan_in) (he), per output channel
//     mean|W| (channel) or per layer mean|W| (layer), as the plan records
//     it; ir.ScaleMode holds the formulas, once for every stage.
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
//     GOMEMLIMIT is set), and Memory.KeepWithinPlan holds it there for
//     what the caller does after (packing, verification); Config.MaxMemory refuses a batch whose plan
//     exceeds it (ErrMemory names the largest batch that fits) and
//     BatchSize AutoBatch takes that batch. Result.Memory reports the
//     saved bytes per image both ways, both modes' plans, the peak heap and
//     the process's peak resident memory. On a device backend the step's
//     tensors come from the device's pool, so the plan there is of device
//     memory (memplan_device.go, MemoryPlan.Device): the same passes are
//     traced on the device at batches 2 and 3, the pool recording every
//     request, and replayed through the pool at the run's batch; the pool
//     is held to that plan (a pass it did not trace frees the cache rather
//     than add to it); there is no arena and no heap limit, MaxMemory and AutoBatch bound the
//     device's memory, and Memory.PeakDevice measures the pool's
//     high-water mark (docs/GPU.md).
//   - BN statistics are re-estimated right after binarizing and at every
//     snapshot: BNBatches unaugmented training batches run with batch
//     statistics; the running mean becomes the mean of batch means and the
//     running variance E[σ²_B] + Var[μ_B]. During training the running
//     statistics follow ONNX's rule (momentum attribute, biased variance),
//     but they lag binary weights that flip fast at high rates, so nothing
//     is measured with them.
//   - Sensitivity (sensitivity.go) measures, for --keep-float auto, what
//     each binarized layer costs alone: the held-out accuracy of the float
//     model less that with only that layer binarized and BN re-estimated.
//   - Snapshots (snapshots.go): each cycle end and each epoch end is
//     measured on the held-out data after a BN re-estimation (a quarter of
//     BNBatches at an epoch end that ends no cycle); the best is the
//     result (Result.Snapshots).
//   - Loss: (1 − Distill)·cross-entropy + Distill·T²·KL(teacher ‖ student)
//     at temperature T, the teacher being the source float model run with
//     its own weights and running statistics.
//   - SGD with momentum (Nesterov optional), weight decay on conv and dense
//     weights only, SGDR cosine warm restarts stepped per batch, optional
//     momentum reset at each restart. The cycles are fitted to the epoch
//     budget (Schedule, FitRule) so that the last batch always runs at
//     LRMin. DefaultConfig and DefaultSchedule document the defaults.
//
// # Devices
//
// Config.Backend runs the training's arithmetic on a device backend (the
// GPU: gpu.Device.Backend): the same graph, plan, codes and recipe as on
// the CPU. The parameters, Ŵ, the momentum, the BN running statistics and
// the float constants move to the device once; a batch goes up and the
// loss and the number of correct predictions come down each step; an
// evaluation brings the logits down, a BN re-estimation each BN's batch
// statistics; checkpoints, snapshots and the end of training bring the
// model's initializers down (a snapshot kept goes back up). A graph with an op that does not yet do its
// arithmetic through the backend is refused before training by CheckDevice:
// the op layer's *schema.UnsupportedOpError for stage
// schema.TrainerDevice (docs/OPERATORS.md lists its ops; TestDeviceTable
// holds deviceOps to it). When the device runs out of memory, the error
// names the largest batch whose device plan fits.
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
// sees logits; Check, which commands run before writing anything, checks
// the graph without it, so the two agree. Anything else is a
// *schema.UnsupportedOpError (stage trainer); the op layer lists the trainer's ops (docs/OPERATORS.md), and
// TestTrainerTable holds the handler table to it. TestNodeConformance
// runs ONNX's backend node tests through the trainer's forward pass and
// checks their gradients (skips in testdata/conformance_skips.txt).
//
// # Errors
//
// Errors are prefixed "finetune: ". Bad data is reported with the
// sentinels ErrEmptyData, ErrSampleShape, ErrLabel and ErrNaNLoss (a non-finite loss
// stops the run; the last checkpoint is kept), a model without a plan with
// ErrNoPlan, a plan with nothing to binarize with ErrNoBinaryLayer.
package finetune
