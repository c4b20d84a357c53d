package dataset_test

import (
	"context"
	"fmt"

	"github.com/bincompress/bincompress/internal/dataset"
)

// An epoch of shuffled, augmented batches from an in-memory dataset.
func ExampleBatches() {
	ds := &dataset.Memory{Name: "tiny", Format: "memory", Size: dataset.Shape{C: 1, H: 4, W: 4},
		U8: make([]uint8, 10*16), Labels: []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, Classes: 3}
	if err := ds.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	prep := dataset.Preprocess{Channels: 3, Mean: []float32{0.5}, Std: []float32{0.25}}
	if err := dataset.Check(ds, &prep, dataset.Shape{C: 3, H: 4, W: 4}, 3); err != nil {
		fmt.Println(err)
		return
	}
	cfg := dataset.BatchConfig{Size: 4, Prep: prep, Shuffle: true, Seed: 7, Epoch: 0,
		Aug: dataset.Augment{Pad: 1, Flip: true}}
	for b, err := range dataset.Batches(context.Background(), ds, cfg) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.Seq, b.N(), b.Shape, len(b.X))
	}
	fmt.Println(prep.Marshal())
	// Output:
	// 0 4 3x4x4 192
	// 1 4 3x4x4 192
	// 2 2 3x4x4 96
	// {"version":1,"channels":3,"mean":[0.5],"std":[0.25]}
}
