package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/bincompress/bincompress/export"
	"github.com/bincompress/bincompress/infer"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/internal/ortref"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// errNoORT marks a cross-check skipped because onnxruntime is not there.
var errNoORT = errors.New("onnxruntime not available")

// ortMaxDiff exports a .bnn as standard ONNX, runs one batch of ds through
// onnxruntime and through our executor on the .bnn, and returns the largest
// |logit| difference. It returns an error wrapping errNoORT when
// onnxruntime (node + onnxruntime-node, see internal/ortref) is missing.
func ortMaxDiff(ctx context.Context, m *ir.Model, ds dataset.Dataset, prep dataset.Preprocess, mio modelIO) (float64, error) {
	if err := ortref.Available(); err != nil {
		return 0, fmt.Errorf("%w: %v", errNoORT, err)
	}
	std, err := export.ONNX(m)
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "bincompress-ort")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.onnx")
	if err := onnx.WriteFile(path, std); err != nil {
		return 0, err
	}
	x, err := firstBatch(ctx, ds, prep, mio)
	if err != nil {
		return 0, err
	}
	prog, err := infer.Compile(m)
	if err != nil {
		return 0, err
	}
	ours, err := prog.Run(map[string]*ir.Tensor{mio.Input: x})
	if err != nil {
		return 0, err
	}
	theirs, err := ortref.Run(path, map[string]*ir.Tensor{mio.Input: x})
	if err != nil {
		return 0, err
	}
	out := m.Graph.Outputs[0].Name
	return maxAbsDiff(ours[out], theirs[out])
}

// firstBatch is up to 64 preprocessed images of ds.
func firstBatch(ctx context.Context, ds dataset.Dataset, prep dataset.Preprocess, mio modelIO) (*ir.Tensor, error) {
	for b, err := range dataset.Batches(ctx, ds, dataset.BatchConfig{Size: 64, Prep: prep}) {
		if err != nil {
			return nil, err
		}
		return ir.NewFloat32(mio.Input, b.Dims(), b.X), nil
	}
	return nil, errors.New("no images")
}

func maxAbsDiff(a, b *ir.Tensor) (float64, error) {
	if a == nil || b == nil {
		return 0, errors.New("an output is missing")
	}
	x, err := a.Float32s()
	if err != nil {
		return 0, err
	}
	y, err := b.Float32s()
	if err != nil {
		return 0, err
	}
	if len(x) != len(y) {
		return 0, fmt.Errorf("outputs have %d and %d values", len(x), len(y))
	}
	worst := 0.0
	for i := range x {
		worst = math.Max(worst, math.Abs(float64(x[i])-float64(y[i])))
	}
	return worst, nil
}
