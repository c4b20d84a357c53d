// Package bits is the one bit-packing convention of bincompress: every
// package that writes, reads or computes with packed 1-bit weights goes
// through it (design.md decision 4; docs/bnn-format.md is the spec).
//
// # Convention
//
//   - Values: bit 1 means +1 and bit 0 means −1. A float x packs to 1 unless
//     x < 0, so sign(0) = sign(−0) = +1 (and NaN packs to +1).
//   - Rows: a weight tensor of shape [K, C/G, kH, kW] (Conv) or [K, N] (a dense
//     layer's rows, one per output) is packed one row per output channel over
//     the row-major flattening of the remaining axes, in ONNX order.
//   - Words: element j of a row is bit j%64 of word j/64, least significant
//     bit first. Words are uint64 in memory and little-endian in bytes, so
//     element j is also bit j%8 of byte j/8 of the serialized row.
//   - Padding: each row takes WordsPerRow(cols) whole words; the bits past
//     cols are 0. No kernel reads them, and a reader checks they are 0.
//
// # Errors
//
// The functions here are kernels: they do not validate their arguments
// beyond what Go's bounds checks do, and a slice too short for the stated
// sizes panics. Callers validate shapes first (packages pack and convert
// turn disagreements into named errors). Words is the exception: it takes
// bytes from a file and returns an error on a length that is not a whole
// number of words.
//
// The scale s of s·sign(W) is not a bit convention: ir.ScaleMode defines
// it, once for the planner, the trainer and the converter.
package bits
