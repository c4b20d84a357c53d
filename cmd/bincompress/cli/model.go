package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/bincompress/bincompress/export"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/internal/termtext"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

// loadModel reads an ONNX model or a .bnn, and its source (the size and
// SHA-256 of its file and external data); a .bnn is checked (version,
// digest, layer consistency) before anything runs it, an ONNX model is
// simplified (ops.go).
func loadModel(path string) (*ir.Model, onnx.Source, error) {
	return loadModelSized(path, nil, nil)
}

// loadModelSized is loadModel that first fixes a symbolic height and width
// of an ONNX model's image input to size (H, W; nil: as declared), and
// refuses an output of f (nil: none) that is the model's external data.
func loadModelSized(path string, size []int, f *files) (*ir.Model, onnx.Source, error) {
	m, src, err := onnx.ReadFileSource(path)
	if err != nil {
		return nil, src, err
	}
	if f != nil {
		if err := f.notModelData(path, src); err != nil {
			return nil, src, err
		}
	}
	if !isArtifact(m) {
		sizeInput(m, size)
		s, err := simplified(path, m)
		return s, src, err
	}
	if err := pack.Check(m); err != nil {
		return nil, src, fmt.Errorf("%s: %w", path, err)
	}
	return m, src, nil
}

// sizeInput fixes a symbolic height and width of m's one image input to
// size (H, W), the size preprocessing gives the images (PrepFlags.inputSize),
// so that a model exported for any input size is planned, trained and
// packed at the size it is fed. Fixed dimensions stay as they are: the data
// checks hold them to the images.
func sizeInput(m *ir.Model, size []int) {
	ins := m.Graph.DataInputs()
	if len(size) != 2 || len(ins) != 1 || len(ins[0].Shape) != 4 {
		return
	}
	d := ins[0].Shape
	hw := []int{2, 3} // NCHW, unless only the last dimension (the channels) is fixed
	if !d[1].Known() && !d[2].Known() && d[3].Known() {
		hw = []int{1, 2}
	}
	for i, k := range hw {
		if !d[k].Known() {
			d[k] = ir.Dim{Size: int64(size[i])}
		}
	}
}

// checkModel checks, before any work, that a model is an image classifier
// the executor can run: one float32 image input, a class count, a well-formed graph
// of supported ops whose shapes fit and whose tensors for one image stay
// within the element limit, and, when its input declares a symbolic batch,
// that it takes one (checkBatchFree): the commands that check it run data
// through it in batches. Errors name the file and the node.
func checkModel(path string, m *ir.Model, opts infer.Options) (modelIO, *infer.Program, error) {
	mio, prog, err := checkModelBatch(path, m, opts, 1)
	if err == nil && mio.Batch == 0 {
		if err = checkBatchFree(m, prog); err != nil {
			return mio, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return mio, prog, err
}

// checkModelBatch is checkModel with the shapes checked for batch images
// at once, as bench runs its --batch: a tensor over the element limit is
// reported at the shape that would be allocated, not at batch 1.
func checkModelBatch(path string, m *ir.Model, opts infer.Options, batch int) (modelIO, *infer.Program, error) {
	mio, err := classifierInput(m)
	if err != nil {
		return mio, nil, fmt.Errorf("%s: %w", path, err)
	}
	// The nodes the executor cannot run, up front rather than at the first
	// batch; the element limit below it is CheckShapes's, at batch.
	if err := schema.CheckLimit(m, max(int64(opts.MaxElements), schema.CheckElements), schema.Executor); err != nil {
		return mio, nil, fmt.Errorf("%s: %w", path, err)
	}
	prog, err := infer.CompileWith(m, opts)
	if err != nil {
		return mio, nil, fmt.Errorf("%s: %w", path, err)
	}
	outputs, err := prog.CheckShapes(batch)
	if err != nil {
		if batch != 1 {
			path = fmt.Sprintf("%s at --batch %d", path, batch)
		}
		return mio, nil, fmt.Errorf("%s: %w", path, err)
	}
	if mio.Classes, err = classCount(m, outputs); err != nil {
		return mio, nil, fmt.Errorf("%s: %w", path, err)
	}
	return mio, prog, nil
}

// bakedBatchHint ends checkBatchFree's refusals: the likely cause and fix.
const bakedBatchHint = "does the graph fix the batch it was exported at, as a Reshape to a constant [1, -1] does? export it with the batch symbolic throughout"

// checkBatchFree checks that a model whose input declares a symbolic batch
// takes one: its shapes fit for a batch of 2 images as well, and its first
// output's leading dimension is that batch. A graph that fixes the batch
// somewhere (a Reshape to a constant [1, -1], from an export at batch 1)
// passes the shape pass for one image and used to fail at the first batch
// of fine-tuning or verification, after the work before it.
func checkBatchFree(m *ir.Model, prog *infer.Program) error {
	const batch = 2
	outputs, err := prog.CheckShapes(batch)
	if err != nil {
		return fmt.Errorf("for a batch of %d images, which its symbolic batch admits: %w (%s)", batch, err, bakedBatchHint)
	}
	out := m.Graph.Outputs[0].Name
	if shape, ok := outputs[out]; ok && (len(shape) == 0 || shape[0] != batch) {
		return fmt.Errorf("output %q has shape %v for a batch of %d images, which its symbolic batch admits (%s)", out, shape, batch, bakedBatchHint)
	}
	return nil
}

// modelInfo names a model in a verify report: its path, its digest (a .bnn's
// bnn.digest, which covers everything that changes its results; else the
// SHA-256 of the file's bytes and external data, src, when not nil) and
// the preprocessing applied to its input.
func modelInfo(path string, m *ir.Model, src *onnx.Source, prep dataset.Preprocess) *verify.ModelInfo {
	info := &verify.ModelInfo{Path: path, Preprocess: json.RawMessage(prep.Marshal())}
	if d, ok := m.MetadataValue(pack.KeyDigest); ok && isArtifact(m) {
		info.Digest = d
	} else if src != nil {
		info.Digest = "sha256:" + hex.EncodeToString(src.SHA256[:])
	}
	return info
}

// isArtifact reports whether a model is a .bnn: it declares a .bnn format
// version or imports the ai.bincompress operator set.
func isArtifact(m *ir.Model) bool {
	_, ok := m.MetadataValue(pack.KeyFormatVersion)
	return ok || m.Opset(pack.Domain) != 0
}

// modelLabels returns the class names recorded in a .bnn, if any, with
// control characters replaced: they reach the terminal (run --top), and a
// hostile file could move its cursor or change its colours.
func modelLabels(m *ir.Model) []string {
	v, ok := m.MetadataValue(pack.KeyLabels)
	if !ok {
		return nil
	}
	var labels []string
	if json.Unmarshal([]byte(v), &labels) != nil {
		return nil
	}
	for i, l := range labels {
		labels[i] = termtext.Clean(l)
	}
	return labels
}

// ArtifactSummary is the .bnn part of `inspect`.
type ArtifactSummary struct {
	FormatVersion string           `json:"format_version"`
	Layers        []pack.LayerInfo `json:"layers"`
	Sizes         pack.Sizes       `json:"tensor_bytes"`
	SourceSHA256  string           `json:"source_sha256,omitempty"`
	SourceBytes   int64            `json:"source_bytes,omitempty"`
	FileBytes     int64            `json:"file_bytes"`
	Verify        json.RawMessage  `json:"verify,omitempty"`
	Exports       []export.Size    `json:"exports"`
}

func summarizeArtifact(m *ir.Model) (*ArtifactSummary, error) {
	if err := pack.Check(m); err != nil {
		return nil, err
	}
	layers, err := pack.Layers(m)
	if err != nil {
		return nil, err
	}
	a := &ArtifactSummary{Layers: layers, Sizes: pack.Measure(m)}
	if a.Exports, err = export.Sizes(m, onnx.Encode); err != nil {
		return nil, err
	}
	a.FormatVersion, _ = m.MetadataValue(pack.KeyFormatVersion)
	a.SourceSHA256, _ = m.MetadataValue(pack.KeySourceSHA256)
	if v, ok := m.MetadataValue(pack.KeySourceBytes); ok {
		a.SourceBytes, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := m.MetadataValue(pack.KeyVerify); ok && json.Valid([]byte(v)) {
		a.Verify = json.RawMessage(v)
	}
	return a, nil
}

func printArtifact(w io.Writer, a *ArtifactSummary) error {
	fmt.Fprintf(w, "\n.bnn format %s\n", a.FormatVersion)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "layer\top\tshape\tkind\tscale\tsensitivity\tbits B\tscale+bias B\tfloat B")
	for _, l := range a.Layers {
		kind := "binary"
		if !l.Binarized {
			kind = "float: " + l.Reason
		}
		sens := "-"
		if l.Sensitivity != nil {
			sens = fmt.Sprintf("%.2f pt", 100**l.Sensitivity)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\t%d\t%d\t%d\n", l.Node, l.Op, l.Shape, kind, l.Scale, sens, l.BitsBytes, l.ScaleBytes, l.FloatBytes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := a.Sizes
	fmt.Fprintf(w, "tensor bytes: packed bits %d, multipliers+biases %d, float weights %d, other %d, total %d\n",
		s.PackedBits, s.MultBias, s.FloatWeights, s.OtherFloat, s.Tensors())
	if a.SourceBytes > 0 && a.FileBytes > 0 {
		fmt.Fprintf(w, "file: %d bytes against %d of the source model: %s it\n", a.FileBytes, a.SourceBytes, sizeComparison(a.SourceBytes, a.FileBytes))
	}
	for _, e := range a.Exports {
		if e.Unsupported != "" {
			fmt.Fprintf(w, "export %-12s unsupported: %s\n", e.Format, e.Unsupported)
			continue
		}
		fmt.Fprintf(w, "export %-12s %d bytes", e.Format, e.Bytes)
		if e.Format == "c" {
			fmt.Fprintf(w, " (flash %d, RAM %d)", e.FlashBytes, e.RAMBytes)
		}
		fmt.Fprintln(w)
	}
	if len(a.Verify) > 0 {
		fmt.Fprintf(w, "verify report: %s\n", a.Verify)
	}
	return nil
}
