package dataset

import (
	"testing"
)

// BenchmarkBatches measures the pipeline on Fashion-MNIST's training set
// with the fine-tuning recipe's augmentation (images/s is reported).
func BenchmarkBatches(b *testing.B) {
	s, err := Open("/usr/share/datasets/fashion-mnist")
	if err != nil {
		b.Skip("dataset-fashion-mnist not installed")
	}
	for _, c := range []struct {
		name string
		prep Preprocess
	}{
		{"28x28", Preprocess{Mean: []float32{0.286}, Std: []float32{0.353}}},
		{"3x32x32", Preprocess{Resize: []int{32, 32}, Channels: 3, Mean: []float32{0.286}, Std: []float32{0.353}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ds := Head(s.Train, 10000)
			cfg := BatchConfig{Size: 125, Shuffle: true, Aug: Augment{Pad: 4, Flip: true}, Prep: c.prep}
			images := 0
			for i := 0; b.Loop(); i++ {
				cfg.Epoch = i
				for bt, err := range Batches(b.Context(), ds, cfg) {
					if err != nil {
						b.Fatal(err)
					}
					images += bt.N()
				}
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
