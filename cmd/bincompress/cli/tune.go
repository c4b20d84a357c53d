package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bincompress/bincompress/convert"
	"github.com/bincompress/bincompress/finetune"
	"github.com/bincompress/bincompress/internal/dataset"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/verify"
)

// trained is what the fine-tuning stage hands on: the planned model,
// trained when there was data.
type trained struct {
	model   *ir.Model
	res     *finetune.Result // nil without training data
	holdout finetune.HoldoutInfo
	auto    *AutoReport // with --keep-float auto
}

// AutoReport says what --keep-float auto measured and tried.
type AutoReport struct {
	Method  string  `json:"method"`
	MaxDrop float64 `json:"max_drop"` // the budget on the held-out data (fraction)
	// Held-out accuracy of the source model, which the drops are taken
	// from, as verify takes the drop on the test split.
	FloatHoldoutAccuracy float64     `json:"float_holdout_accuracy"`
	Rounds               []AutoRound `json:"rounds"`
	// Reached is false when no plan within the size bound met the budget;
	// the run then ends with exit code 3, writing the plan with the
	// smallest held-out drop of those tried.
	Reached bool `json:"reached"`
	// WrittenRound is the round (1-based) whose model was written.
	WrittenRound int `json:"written_round"`
}

// AutoRound is one fine-tuning run of the search.
type AutoRound struct {
	Float       []string `json:"float"` // layers kept float by the search
	SizeRatio   float64  `json:"size_ratio"`
	HoldoutDrop float64  `json:"holdout_drop"`
	// HoldoutDropStdErr is the drop's standard error on these images
	// (finetune.Result.ValDropStdErr): a budget within about two of it of
	// the drop is decided by which images were held out.
	HoldoutDropStdErr *float64 `json:"holdout_drop_stderr,omitempty"`
}

const autoMethod = "each layer the plan binarizes is binarized alone (the rest float), BN re-estimated, and its held-out " +
	"accuracy loss is its sensitivity; layers are ranked by sensitivity per byte kept float, and the plans keeping the " +
	"first k float (k = 0, 1, ...) are fine-tuned in turn until one loses at most --max-drop of the source model's " +
	"held-out accuracy (the drop verify takes on the test split, on other images), or the next would make the .bnn " +
	"more than 1.25x the all-binary one. "

// autoMethodHoldout completes autoMethod with what the held-out images
// are: a slice of the training data biases the drop, which a data set of
// the user's own (--holdout-data) need not.
func autoMethodHoldout(info finetune.HoldoutInfo) string {
	if info.Data != "" {
		return autoMethod + "The held-out images are " + info.Data + " (--holdout-data): if the source model never saw them, " +
			"the held-out drop estimates the drop on unseen images"
	}
	return autoMethod + "If the source model was trained on this data it has seen the held-out images, which can make the " +
		"held-out drop larger than the drop on unseen images (--holdout-data names images it never saw)"
}

// stdErrText is " ± X" (one standard error, in points) where known.
func stdErrText(se float64) string {
	if math.IsNaN(se) {
		return ""
	}
	return fmt.Sprintf(" ± %.2f", 100*se)
}

// autoFloat reports whether --keep-float asks for auto.
func (o *CompressOptions) autoFloat() bool {
	return slices.Contains(convert.SplitList(o.KeepFloat), "auto")
}

// train fine-tunes the planned model (with --data) or re-estimates BN
// (with --calib); with neither it returns the model as it is.
func (o *CompressOptions) train(ctx context.Context, planned *ir.Model, data *compressData, prep dataset.Preprocess, log *logger) (*trained, error) {
	if data.train == nil {
		if o.Device != "cpu" {
			log.warnf("--device %s: nothing is fine-tuned without --data or --calib, so no device is used", o.Device)
		}
		return &trained{model: planned}, nil
	}
	cfg := o.Train
	if o.Calib != "" {
		cfg.Epochs, cfg.BNBatches = 0, o.CalibBatches
	}
	dev, err := o.selectDevice(planned, log)
	if err != nil {
		return nil, err
	}
	if dev != nil {
		defer dev.Close()
		cfg.Backend = dev.Backend()
	}
	all, err := finetune.NewDatasetSource(data.train, prep)
	if err != nil {
		return nil, err
	}
	cfg.Augment.Crop = len(prep.CenterCrop) > 0 // training crops at random where evaluation takes the center
	train, held, info, err := o.holdout(all, data.held, prep, cfg.Seed)
	switch {
	case errors.Is(err, finetune.ErrEmptyData):
		return nil, err // the data set is too small for the holdout: it does not fit (exit 1), as for the trainer
	case err != nil:
		return nil, usageError{err}
	}
	verifies := "the test split only verifies"
	if data.eval == nil {
		verifies = "there is no test split to verify on"
	}
	if info.Data != "" {
		log.printf("deciding with the %d images of %s (--holdout-data); all %d training images train; %s", info.Images, info.Data, info.TrainImages, verifies)
	} else {
		log.printf("holding out %d of %d training images to decide with (--holdout); %s", info.Images, all.Len(), verifies)
	}
	log.sourceTrainedOnHoldout = info.Data == ""
	var tr *trained
	if o.autoFloat() {
		tr, err = o.trainAuto(ctx, planned, train, held, info, cfg, log)
	} else {
		var res *finetune.Result
		if res, err = finetune.Train(ctx, planned, train, held, cfg, log.trainEvent); err == nil { // Train copies what it changes
			tr = &trained{model: res.Model, res: res}
		}
	}
	if tr == nil {
		return nil, err
	}
	tr.holdout = info
	if cfg.Epochs > 0 {
		log.printf("%s", memoryLine(tr.res.Memory, cfg.ExactBackward))
	}
	return tr, err
}

// holdout splits the images that decide from those that train: the
// held-out data set of --holdout-data (given, not nil) with all of the
// training data, else a seeded slice of it (--holdout).
func (o *CompressOptions) holdout(all finetune.Source, given dataset.Dataset, prep dataset.Preprocess, seed uint64) (train, held finetune.Source, info finetune.HoldoutInfo, err error) {
	if given == nil {
		return finetune.Holdout(all, o.Holdout, seed)
	}
	if held, err = finetune.NewDatasetSource(given, prep); err != nil {
		return nil, nil, info, err
	}
	return all, held, finetune.GivenHoldout(o.HoldoutData, held.Len(), all.Len()), nil
}

// trainAuto measures each binarized layer's sensitivity on the held-out
// data, then fine-tunes the plans that keep the most worthwhile layers
// float, fewest bytes first, until one meets --max-drop on the held-out
// data (autoMethodHoldout).
func (o *CompressOptions) trainAuto(ctx context.Context, planned *ir.Model, train, held finetune.Source, info finetune.HoldoutInfo, cfg finetune.Config, log *logger) (*trained, error) {
	if held == nil { // validateAuto refuses --holdout 0
		return nil, usagef("--keep-float auto needs held-out images (--holdout)")
	}
	if cfg.MaxMemory > 0 { // checked once, before any work, for every run of the search
		// Planned as round 1, whose checkpoint on --resume gives the batch
		// with --batch-size auto (as it does a run's of its own).
		dir, resume := cfg.CheckpointDir, cfg.Resume
		var err error
		var first finetune.MemoryPlan
		if cfg, first, err = finetune.PinMemory(planned, train, roundConfig(cfg, 1)); err != nil {
			return nil, err
		}
		cfg.CheckpointDir, cfg.Resume = dir, resume
		defer first.Hold()() // between the runs too, as each run does while it runs
	}
	log.printf("keep-float auto: measuring each layer's sensitivity on %d held-out images", held.Len())
	floatAcc, plan, err := finetune.Sensitivity(ctx, planned, train, held, cfg, log.trainEvent)
	log.endProgress() // no event follows the last layer's
	if err != nil {
		return nil, err
	}
	log.printf("keep-float auto: the source model's holdout accuracy is %.2f%%; the drops are taken from it", 100*floatAcc)
	rep := &AutoReport{Method: autoMethodHoldout(info), MaxDrop: o.Gate.MaxDrop, FloatHoldoutAccuracy: floatAcc}
	return autoRounds(ctx, planned, plan, rep, func(round int, m *ir.Model) (*finetune.Result, error) {
		return finetune.Train(ctx, m, train, held, roundConfig(cfg, round), log.trainEvent)
	}, log)
}

// roundConfig is cfg for round (1-based) of the search. Each round is a
// run of its own plan, so it checkpoints into a folder of its own,
// --checkpoint's round-N (one file for all would hold the last round's,
// which --resume refuses for round 1 as written for another run); with
// --resume a round continues from its folder when it holds a checkpoint (a
// finished round then ends without training) and starts afresh when not
// (the interrupted search had not reached it).
func roundConfig(cfg finetune.Config, round int) finetune.Config {
	if cfg.CheckpointDir == "" {
		return cfg
	}
	cfg.CheckpointDir = filepath.Join(cfg.CheckpointDir, fmt.Sprintf("round-%d", round))
	if cfg.Resume {
		_, err := os.Stat(filepath.Join(cfg.CheckpointDir, finetune.CheckpointFile))
		cfg.Resume = !errors.Is(err, fs.ErrNotExist) // any other error is the resume's to report
	}
	return cfg
}

// autoRounds fine-tunes (with tune) the plans keeping the first k layers of
// the ranking float, k = 0, 1, ..., within the size bound, until one's
// held-out drop meets the budget. When none does it returns the one with
// the smallest drop: keeping a layer more float does not always lower the
// measured drop (training noise), so the last round tried need not be the
// best.
func autoRounds(ctx context.Context, planned *ir.Model, plan []ir.LayerRecord, rep *AutoReport, tune func(round int, m *ir.Model) (*finetune.Result, error), log *logger) (*trained, error) {
	rank := convert.RankFloat(plan)
	all, err := convert.EstimateBytes(planned, convert.AllBinary(plan))
	if err != nil {
		return nil, err
	}
	var best *trained
	bestDrop := math.Inf(1)
	for k := 0; k <= len(rank); k++ {
		try := convert.KeepRanked(plan, rank[:k])
		size, err := convert.EstimateBytes(planned, try)
		if err != nil {
			return nil, err
		}
		ratio := float64(size) / float64(all)
		if k > 0 && ratio > convert.DefaultSizeBound {
			break
		}
		m := planned.Clone()
		if err := m.SetLayerRecords(try); err != nil {
			return nil, err
		}
		float := floatNames(plan, rank[:k])
		log.printf("keep-float auto: round %d: fine-tuning with %s float (.bnn tensors %.2fx the all-binary ones)", k+1, listOr(float, "no layer"), ratio)
		res, err := tune(k+1, m)
		if err != nil {
			return nil, err
		}
		drop := rep.FloatHoldoutAccuracy - res.ValFinal
		rep.Rounds = append(rep.Rounds, AutoRound{Float: float, SizeRatio: ratio, HoldoutDrop: drop, HoldoutDropStdErr: finite(res.ValDropStdErr)})
		log.printf("keep-float auto: round %d: held-out drop %.2f pt%s (budget %.2f pt)", k+1, 100*drop, stdErrText(res.ValDropStdErr), 100*rep.MaxDrop)
		if best == nil || drop < bestDrop { // a NaN drop never wins over a number
			best, rep.WrittenRound = &trained{model: res.Model, res: res, auto: rep}, k+1
			if !math.IsNaN(drop) {
				bestDrop = drop
			}
		}
		if !math.IsNaN(drop) && verify.DropWithin(drop, rep.MaxDrop) {
			rep.Reached = true
			return best, nil
		}
	}
	log.printf("keep-float auto: --max-drop %.4g is out of reach: no plan within %.2fx the all-binary size met it on the held-out data; "+
		"writing round %d's, the smallest held-out drop (%.2f pt), exit code 3", rep.MaxDrop, convert.DefaultSizeBound, rep.WrittenRound, 100*rep.Rounds[rep.WrittenRound-1].HoldoutDrop)
	return best, ctx.Err()
}

func floatNames(plan []ir.LayerRecord, idx []int) []string {
	out := []string{}
	for _, i := range idx {
		out = append(out, plan[i].Node)
	}
	return out
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}
