package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/pack"
	"github.com/bincompress/bincompress/verify"
)

// history is the training curve: the loss every few batches and the
// accuracies at the end of each epoch.
type history struct {
	Steps  []float64 `json:"steps"` // fractional epochs
	Loss   []float64 `json:"loss"`
	Epochs []int     `json:"epochs"`
	Train  []float64 `json:"train_accuracy"`
	Val    []float64 `json:"val_accuracy,omitempty"`
}

// curveFileStem names the PNG of each curve beside the output.
var curveFileStem = map[string]string{"training loss": "loss", "accuracy per epoch": "accuracy"}

// historyOf is the curve of a fine-tuning run (empty for nil: none ran).
func historyOf(res *finetune.Result) history {
	var h history
	if res == nil {
		return h
	}
	for _, p := range res.Loss {
		h.Steps = append(h.Steps, round4(p.Step))
		h.Loss = append(h.Loss, round4(p.Loss))
	}
	for _, e := range res.Epochs {
		h.Epochs = append(h.Epochs, e.Epoch)
		h.Train = append(h.Train, e.TrainAcc)
		if !math.IsNaN(e.ValAcc) {
			h.Val = append(h.Val, e.ValAcc)
		}
	}
	return h
}

// round4 keeps four decimals: the curve is for the eye, and the .bnn
// carries it, so it should stay small.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func (h *history) empty() bool { return len(h.Loss) == 0 && len(h.Epochs) == 0 }

// store records the curve in the model's metadata.
func (h *history) store(m *ir.Model) {
	if h.empty() {
		return
	}
	raw, _ := json.Marshal(h)
	m.SetMetadata(pack.KeyTraining, string(raw))
}

// loadHistory reads the curve a .bnn carries, if any: none when it is not
// JSON or its series do not pair up (the digest does not cover
// bnn.training, so an edited file can hold anything; images plots x
// against y point by point).
func loadHistory(m *ir.Model) *history {
	v, ok := m.MetadataValue(pack.KeyTraining)
	if !ok {
		return nil
	}
	var h history
	if json.Unmarshal([]byte(v), &h) != nil || h.empty() || !h.paired() {
		return nil
	}
	return &h
}

// paired reports whether each series has one value per x: a loss per
// step and a training accuracy per epoch (images leaves out held-out
// accuracies that do not pair up).
func (h *history) paired() bool {
	return len(h.Steps) == len(h.Loss) && len(h.Train) == len(h.Epochs)
}

// images draws the loss and accuracy curves as PNGs.
func (h *history) images() ([]verify.Image, error) {
	var out []verify.Image
	if len(h.Loss) > 0 {
		png, err := linePNG("training loss", "epoch", "loss", map[string][]float64{"loss": h.Loss}, h.Steps)
		if err != nil {
			return nil, err
		}
		out = append(out, verify.Image{Title: "training loss", PNG: png})
	}
	if len(h.Epochs) > 0 {
		xs := make([]float64, len(h.Epochs))
		for i, e := range h.Epochs {
			xs[i] = float64(e)
		}
		series := map[string][]float64{"train": h.Train}
		if len(h.Val) == len(xs) {
			series["validation"] = h.Val
		}
		png, err := linePNG("accuracy per epoch", "epoch", "top-1 accuracy", series, xs)
		if err != nil {
			return nil, err
		}
		out = append(out, verify.Image{Title: "accuracy per epoch", PNG: png})
	}
	return out, nil
}

// linePNG plots one line per series over xs, in a fixed series order.
func linePNG(title, xLabel, yLabel string, series map[string][]float64, xs []float64) ([]byte, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	for i, name := range []string{"loss", "train", "validation"} {
		ys, ok := series[name]
		if !ok {
			continue
		}
		pts := make(plotter.XYs, len(ys))
		for j := range ys {
			pts[j].X, pts[j].Y = xs[j], ys[j]
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", title, err)
		}
		line.Color = plotColors[i]
		points.Color = plotColors[i]
		if len(pts) > 50 {
			points.Radius = 0
		}
		p.Add(line, points)
		p.Legend.Add(name, line)
	}
	w, err := p.WriterTo(6*vg.Inch, 3.5*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
