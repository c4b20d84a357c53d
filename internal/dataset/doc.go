// Package dataset loads labelled image classification data and turns it into
// float32 NCHW batches for training and evaluation.
//
// # Formats
//
// Open detects the format from a path (see Open for the search order):
//
//   - IDX (MNIST, Fashion-MNIST): [N,H,W] unsigned-byte images and [N]
//     labels, raw or gzip; train-* and t10k-* files are the two splits.
//     Classes: max(10, largest label+1); Fashion-MNIST class names when the
//     path says "fashion".
//   - CIFAR-10 / CIFAR-100 binary batches (3×32×32, fine labels for 100).
//   - Image folders: one subfolder per class (sorted names are the classes),
//     PNG or JPEG files; optional train/ and test/ (or val/) subfolders.
//     Images decode on demand with Go's image/png and image/jpeg, so JPEG
//     pixels may differ by a few levels from PIL's libjpeg.
//   - NPY pairs: x.npy [N,H,W], [N,C,H,W] (dimension 1 is 1 or 3) or
//     [N,H,W,C] (otherwise, dimension 3 is 1 or 3), uint8 or float pixels
//     (floats taken as already on the [0,1] scale), and y.npy [N] integer
//     labels; also x_train/y_train and x_test/y_test.
//
// Everything but image folders is held in memory as a *Memory.
//
// # Preprocessing and augmentation
//
// Preprocess follows torchvision's ToTensor, Resize, CenterCrop and
// Normalize; its JSON form (Marshal, ParsePreprocess) is recorded in .bnn
// metadata so that inference applies the same. Augment adds pad-and-crop and
// horizontal flips for training.
//
// # Determinism
//
// No global random source is used. The epoch order is Permutation(n, seed,
// epoch) and the augmentation of the image at index i in an epoch draws from
// NewRand(seed, tag, epoch, i), so batches depend only on the data and the
// BatchConfig, never on the worker count or scheduling.
//
// # Concurrency
//
// Batches decodes in a pipeline of worker goroutines, each owning every
// W-th batch and a bounded channel, so the trainer finds batches ready.
// Datasets are safe for concurrent use.
//
// # Errors
//
// Bad input is reported with errors wrapping the sentinels ErrEmpty,
// ErrLabel, ErrShape, ErrCount, ErrCorrupt, ErrImage, ErrClasses and
// ErrUnknownFormat, naming the file, index or value at fault. Nothing here
// panics on bad input. Check validates a dataset against a model's input
// shape and class count before training or evaluation.
package dataset
