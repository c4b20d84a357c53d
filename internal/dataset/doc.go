// Package dataset loads labelled image classification data and turns it into
// float32 batches (NCHW or NHWC) for training and evaluation: the one batch
// pipeline that fine-tuning, BN re-estimation and verification all read.
//
// # Formats
//
// Open (OpenWith for Options) detects the format from a path (see Open for
// the search order):
//
//   - IDX (MNIST, Fashion-MNIST): [N,H,W] unsigned-byte images and [N]
//     labels, raw or gzip; train-* and t10k-* files are the two splits
//     (in the folder given, or in its raw/, as torchvision downloads them).
//     Classes: largest label+1; Fashion-MNIST's 10, named, when the path
//     says "fashion".
//   - CIFAR-10 / CIFAR-100 binary batches (3×32×32, fine labels for 100),
//     read by the format's own file names only (see Open).
//   - Image folders: one subfolder per class (sorted names are the classes;
//     links to folders followed, hidden files and folders and macOS's
//     __MACOSX skipped),
//     PNG, JPEG, BMP, TIFF, WebP, PPM or PGM files (torchvision's
//     IMG_EXTENSIONS; a .ppm or .pgm may hold any netpbm image, P1 to P6,
//     as PIL reads it; .pbm and .pnm, which torchvision skips, are
//     skipped, as .gif files are, but a GIF under a .png or .jpg name is
//     read, its first frame, as PIL reads it); optional train/ and test/ (or val/, valid/, validation/)
//     subfolders, or one of them alone.
//     Opening lists the files and reads none: a header is read when an
//     image's shape is asked for and when it is decoded. Images decode with
//     Go's image/png, image/jpeg and golang.org/x/image, and netpbm with
//     this package's decoder (netpbm.go), so JPEG and lossy WebP pixels may
//     differ by a few levels from PIL's libjpeg and libwebp. Samples over 8
//     bits (16-bit PNG and TIFF, netpbm maxval over 255) keep their high
//     byte (netpbm's first scaled to 16 bits), as PIL reads 16-bit colour
//     PNG and TIFF, where PIL rounds netpbm's. A 16-bit grayscale PNG or
//     TIFF differs: PIL opens it as mode I (I;16), whose convert("L") and
//     convert("RGB"), torchvision's loader, clip each value to 255, so that
//     every sample from 256 up is white there (a 12-bit scan almost
//     entirely); here it is value/256, the image as it looks.
//     A JPEG's EXIF orientation is not applied, as torchvision's loader
//     (PIL's Image.open, convert("RGB")) does not apply it: a photo stored
//     sideways is read sideways (ImageOps.exif_transpose the files first
//     if the model was trained on upright ones).
//     Each image keeps its own channels (one for grayscale and bitmaps,
//     three otherwise); Preprocess.Channels reconciles them.
//   - NPY pairs: x.npy [N,H,W], [N,C,H,W] or [N,H,W,C] (ImageDims's rule),
//     uint8 pixels (or any integer dtype holding 0..255, ErrPixel for a
//     value outside) or float ones (taken as already on the [0,1] scale),
//     and y.npy [N] integer labels; also x_train/y_train and x_test/y_test,
//     and X for x (X_train.npy, as scikit-learn names it).
//
// Everything but image folders is held in memory as a *Memory.
//
// # Limits
//
// Bad or hostile input cannot make the package allocate without bound or
// hang:
//
//   - Options.Limit reads only the first Limit images of each split and
//     nothing after them (a gzipped IDX file is inflated only that far);
//   - an image file's header is checked before decoding: at most 16384
//     pixels a side and Options.MaxPixels (DefaultMaxPixels, 40 megapixels)
//     in all, else ErrTooLarge naming the file; the images being decoded at
//     once, by all workers together, share a budget of MaxPixels pixels;
//   - only regular files are read (ErrNotRegular): a FIFO or device named
//     like a data file is refused, without blocking, even if it replaces a
//     file after the folder was listed;
//   - header sizes are checked against the bytes the file really holds
//     before anything is allocated for them; a gzipped IDX file may claim
//     at most 64 times its size (or 64 MiB) of the data read, else
//     ErrTooLarge naming the file.
//
// # Preprocessing and augmentation
//
// Preprocess follows torchvision's ToTensor, Resize, CenterCrop and
// Normalize and writes NCHW or NHWC (Layout); its JSON form (Marshal,
// ParsePreprocess) is recorded in .bnn metadata so that inference applies
// the same. Augment adds, for training, a random crop in place of the
// center crop (the 224 crop of the 256 resize), pad-and-crop and
// horizontal flips. Only the pixels the crop keeps are resized.
//
// # Determinism
//
// No global random source is used. The epoch order is Permutation(n, seed,
// epoch) and the augmentation of the image at index i in an epoch draws from
// NewRand(seed, tag, epoch, i); results are written at their place in the
// batch. So batches depend only on the data and the BatchConfig, never on
// the worker count or scheduling. Holdout's split is seeded the same way.
//
// # Concurrency and memory
//
// Batches runs a producer that keeps at most BatchConfig.Prefetch batches
// (fewer when BatchConfig.MaxBytes says so) filled ahead of the consumer,
// and BatchConfig.Workers goroutines (GOMAXPROCS by default) that decode,
// preprocess and augment images one at a time straight into their batch
// rows, so every worker helps with the next batch and the trainer finds it
// ready. Datasets are safe for concurrent use.
//
// # Errors
//
// Bad input is reported with errors wrapping the sentinels ErrEmpty,
// ErrLabel, ErrLabelType, ErrShape, ErrCount, ErrCorrupt, ErrImage,
// ErrClasses, ErrUnknownFormat, ErrTooLarge and ErrNotRegular, naming the
// file, index or value at fault (a label's file where labels have their
// own). Nothing here panics on bad input. Check validates a
// dataset against a model's input shape and class count before training
// or evaluation (for an image folder, from its first image; the others are
// checked as they are decoded, in epoch order).
package dataset
