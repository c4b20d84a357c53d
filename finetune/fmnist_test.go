package finetune

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bincompress/bincompress/internal/dataset"
)

const fashionMNIST = "/usr/share/datasets/fashion-mnist"

// TestFashionMNISTTiny fine-tunes the PyTorch-trained fmnist_tiny
// (ResNet-8) into binary weights on a Fashion-MNIST subset and checks that
// fine-tuning recovers accuracy lost to binarization (compressed backward;
// FMNIST_EXACT=1 adds a run with exact backward). About a minute: skipped
// with -short and where the Debian dataset is not installed. FMNIST_TRAIN
// (images), FMNIST_EPOCHS, FMNIST_BNBITS, FMNIST_KEEP, FMNIST_LR_MILLI and
// FMNIST_DISTILL_PCT override the subset size, the epochs, the BN code
// width, the keep-float layers, the peak learning rate (in thousandths) and
// the distillation weight (in percent).
func TestFashionMNISTTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("long: fine-tunes on Fashion-MNIST")
	}
	if _, err := os.Stat(fashionMNIST); err != nil {
		t.Skip("dataset-fashion-mnist is not installed")
	}
	splits, err := dataset.Open(fashionMNIST)
	if err != nil {
		t.Fatal(err)
	}
	prep := dataset.Preprocess{Mean: []float32{0.286}, Std: []float32{0.353}}
	train, err := NewDatasetSource(dataset.Head(splits.Train, envInt("FMNIST_TRAIN", 3000)), prep)
	if err != nil {
		t.Fatal(err)
	}
	val, err := NewDatasetSource(dataset.Head(splits.Test, 1000), prep)
	if err != nil {
		t.Fatal(err)
	}
	float, err := compile(readModel(t, "fmnist_tiny"), nil)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := accuracy(context.Background(), float, val, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("float model: %.4f on %d test images", acc, val.Len())
	modes := []bool{false}
	if os.Getenv("FMNIST_EXACT") == "1" {
		modes = append(modes, true)
	}
	for _, exact := range modes {
		cfg := DefaultConfig()
		cfg.Epochs, cfg.ExactBackward = envInt("FMNIST_EPOCHS", 1), exact
		cfg.Augment = Augment{Pad: 2, Flip: true}
		if lr := envInt("FMNIST_LR_MILLI", 0); lr > 0 {
			cfg.Schedule.LRMax = float64(lr) / 1000
		}
		cfg.Distill = float32(envInt("FMNIST_DISTILL_PCT", 0)) / 100
		if k := os.Getenv("FMNIST_KEEP"); k != "" {
			cfg.KeepFloat = strings.Split(k, ",")
		}
		cfg.BNBatches, cfg.BNBits = 20, envInt("FMNIST_BNBITS", 2)
		begin := time.Now()
		res, err := Train(context.Background(), readModel(t, "fmnist_tiny"), train, val, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("exact=%v: binarized %.4f, BN re-estimated %.4f, fine-tuned %.4f (%d epochs on %d images, %.0f s); %.0f / %.0f B per image saved for backward",
			exact, res.ValBinarized, res.ValReestimated, res.ValFinal, cfg.Epochs, train.Len(), time.Since(begin).Seconds(),
			res.Memory.ExactPerImage, res.Memory.CompressedPerImage)
		if res.ValFinal < res.ValReestimated || res.ValFinal < 0.6 {
			t.Errorf("exact=%v: fine-tuning ended at %.4f from %.4f", exact, res.ValFinal, res.ValReestimated)
		}
	}
}

func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err != nil || v <= 0 {
		return def
	}
	return v
}
