package pack

import (
	"errors"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Domain is the operator set of the binary layers (the op layer's
// BincompressDomain).
const Domain = schema.BincompressDomain

// DomainVersion is the version of Domain this package writes and reads.
const DomainVersion = 1

// FormatVersion is the .bnn format version this package writes and reads.
// Version 2 extended the digest to the metadata a reader acts on
// (DigestedKeys); a version 1 file is refused with ErrVersion.
const FormatVersion = "2"

// The custom operators of Domain.
const (
	OpBinaryConv = "BinaryConv"
	OpBinaryGemm = "BinaryGemm"
)

// Metadata keys of a .bnn (docs/bnn-format.md). Pack writes
// KeyFormatVersion and KeyDigest and keeps the others; the stages that know
// their values set them, the digested ones (DigestedKeys) before Pack.
const (
	KeyFormatVersion = "bnn.format_version" // "2"
	KeyDigest        = "bnn.digest"         // "sha256:" + 64 hex digits over the graph and DigestedKeys
	KeyPreprocess    = "bnn.preprocess"     // JSON: how to turn an image into the input tensor
	KeyLabels        = "bnn.labels"         // JSON array of class names, index = output position
	KeySourceSHA256  = "bnn.source_sha256"  // hex SHA-256 of the source model file, then its external data (onnx.Source)
	KeySourceBytes   = "bnn.source_bytes"   // decimal size of the source model file and its external data (inspect compares)
	KeySeed          = "bnn.seed"           // decimal seed of the run that made the file
	KeyVerify        = "bnn.verify_report"  // JSON verify report (docs/report-schema.md)
	KeyTraining      = "bnn.training"       // JSON training curve (verify --report draws it)
)

// isRunReport reports whether key holds what one run found about the very
// .bnn it wrote (its verify report, its training curve). Pack and Unpacked
// drop them: a new .bnn, or an export compressed again, has not been
// verified or trained by that run, and inspect would show the old report
// as its own.
func isRunReport(kv ir.KeyValue) bool { return kv.Key == KeyVerify || kv.Key == KeyTraining }

// Errors a reader returns, matched with errors.Is; each names the check
// that failed.
var (
	// ErrNotBNN: the model lacks the format version or the domain import.
	ErrNotBNN = errors.New("not a .bnn model")
	// ErrVersion: the format or domain version is not one this reader knows.
	ErrVersion = errors.New("unsupported .bnn version")
	// ErrDigest: the digest is missing, malformed or does not match the
	// graph and digested metadata (the file is corrupt or was edited).
	ErrDigest = errors.New("digest check failed")
	// ErrMetadata: a metadata value this package reads (ir.LayersKey) is
	// malformed.
	ErrMetadata = errors.New("malformed metadata")
	// ErrGraph: the graph is not well formed (tensor sizes, dangling names).
	ErrGraph = errors.New("malformed graph")
	// ErrLayer: a binary layer's attributes disagree with its tensors, or
	// an ai.bincompress op is unknown.
	ErrLayer = errors.New("bad binary layer")
	// ErrNotBinary: Pack found a layer recorded as binarized whose weight
	// rows are not ±m (run the convert passes first).
	ErrNotBinary = errors.New("weights are not binarized")
)
