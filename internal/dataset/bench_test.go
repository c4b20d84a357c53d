package dataset

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"path/filepath"
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

// BenchmarkBatchesJPEG measures the pipeline on 500×375 colour JPEGs with
// ImageNet's preprocessing for training: resize to 256, random 224 crop,
// flip, normalize (images/s is reported; compare with GOMAXPROCS), with and
// without antialiasing the shrink.
func BenchmarkBatchesJPEG(b *testing.B) {
	root := b.TempDir()
	for i := range 64 {
		var buf bytes.Buffer
		must(b, jpeg.Encode(&buf, photo(500, 375, i), &jpeg.Options{Quality: 90}))
		writeFile(b, filepath.Join(root, fmt.Sprintf("c%d", i%4), fmt.Sprintf("%d.jpg", i)), buf.Bytes())
	}
	f, err := OpenFolder(root)
	must(b, err)
	for _, antialias := range []bool{false, true} {
		b.Run(fmt.Sprintf("antialias=%v", antialias), func(b *testing.B) {
			cfg := BatchConfig{Size: 32, Shuffle: true, Aug: Augment{Crop: true, Flip: true},
				Prep: Preprocess{Resize: []int{256}, Antialias: antialias, CenterCrop: []int{224},
					Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}}
			images := 0
			for i := 0; b.Loop(); i++ {
				cfg.Epoch = i
				for bt, err := range Batches(b.Context(), f, cfg) {
					must(b, err)
					images += bt.N()
				}
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
