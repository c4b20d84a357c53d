package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/bincompress/bincompress/finetune"
)

// logger writes progress and messages to stderr: a line per epoch, and a
// live bar redrawn in place only when stderr is a terminal.
type logger struct {
	w        io.Writer
	terminal bool
	lastBar  time.Time
	history  history
	// events, when set, receives a JSON line per training event (--json).
	events io.Writer
}

func newLogger(streams IO) *logger { return &logger{w: streams.ErrOut, terminal: streams.IsTerminal} }

func (l *logger) printf(format string, args ...any) {
	if l.terminal {
		fmt.Fprint(l.w, "\r\033[K")
	}
	fmt.Fprintf(l.w, format+"\n", args...)
}

// trainEvent renders the trainer's progress callback.
func (l *logger) trainEvent(e finetune.Event) {
	l.history.add(e)
	if e.Phase != "batch" {
		l.jsonEvent(e)
	}
	switch e.Phase {
	case "float":
		l.printf("float model: holdout accuracy %s (these images trained it; the drops below are from this)", pct(e.ValAcc))
	case "binarized":
		l.printf("binarized: holdout accuracy %s (BatchNormalization statistics still from the float model)", pct(e.ValAcc))
	case "reestimated":
		l.printf("BatchNormalization re-estimated: holdout accuracy %s", pct(e.ValAcc))
	case "batch":
		l.bar(e)
	case "epoch":
		l.printf("epoch %d/%d  loss %.4f  train %s  holdout %s  lr %.3g  %.0f img/s  ETA %s",
			e.Epoch, e.Epochs, e.Loss, pct(e.TrainAcc), pct(e.ValAcc), e.LR, e.ImagesPerSec, e.ETA.Round(time.Second))
	case "sensitivity":
		l.printf("sensitivity %d/%d: %s binarized alone: holdout accuracy %s", e.Batch, e.Batches, e.Layer, pct(e.ValAcc))
	case "done":
		l.printf("fine-tuning done in %s: holdout accuracy %s (snapshot kept)", e.Elapsed.Round(time.Second), pct(e.ValAcc))
	}
}

func (l *logger) bar(e finetune.Event) {
	if !l.terminal || time.Since(l.lastBar) < 200*time.Millisecond || e.Batches == 0 {
		return
	}
	l.lastBar = time.Now()
	const width = 30
	done := width * e.Batch / e.Batches
	fmt.Fprintf(l.w, "\r\033[Kepoch %d/%d [%s%s] %d/%d loss %.4f %.0f img/s", e.Epoch, e.Epochs,
		strings.Repeat("=", done), strings.Repeat(" ", width-done), e.Batch, e.Batches, e.Loss, e.ImagesPerSec)
}

// eventJSON is one line of the --json training log; accuracies are null
// when not measured.
type eventJSON struct {
	Event        string   `json:"event"`
	Epoch        int      `json:"epoch,omitempty"`
	Epochs       int      `json:"epochs,omitempty"`
	Loss         *float64 `json:"loss,omitempty"`
	TrainAcc     *float64 `json:"train_accuracy"`
	ValAcc       *float64 `json:"val_accuracy"`
	LR           float64  `json:"lr,omitempty"`
	ImagesPerSec float64  `json:"images_per_sec,omitempty"`
	ElapsedSec   float64  `json:"elapsed_s"`
	ETASec       float64  `json:"eta_s"`
}

func (l *logger) jsonEvent(e finetune.Event) {
	if l.events == nil {
		return
	}
	ev := eventJSON{Event: e.Phase, Epoch: e.Epoch, Epochs: e.Epochs, TrainAcc: finite(e.TrainAcc), ValAcc: finite(e.ValAcc),
		LR: e.LR, ImagesPerSec: e.ImagesPerSec, ElapsedSec: e.Elapsed.Seconds(), ETASec: e.ETA.Seconds()}
	if e.Phase == "epoch" {
		ev.Loss = finite(e.Loss)
	}
	_ = json.NewEncoder(l.events).Encode(ev)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*x)
}
