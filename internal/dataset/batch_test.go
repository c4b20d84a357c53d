package dataset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"
)

func smallMemory(n int) *Memory {
	m := &Memory{Name: "small", Format: "memory", Size: Shape{1, 6, 5}, U8: pattern(n*30, 1), Classes: 10}
	for i := range n {
		m.Labels = append(m.Labels, i%10)
	}
	return m
}

func TestBatchesDeterministicAcrossWorkers(t *testing.T) {
	ds := smallMemory(103)
	cfg := BatchConfig{Size: 10, Shuffle: true, Seed: 42, Epoch: 3, Aug: Augment{Pad: 2, Flip: true},
		Prep: Preprocess{Channels: 3, Mean: []float32{0.5}, Std: []float32{0.25}}}
	var ref []*Batch
	for _, w := range []int{1, 2, 3, 8, 16} {
		cfg.Workers, cfg.Prefetch = w, 1+w%2
		got := collect(t, ds, cfg)
		if ref == nil {
			ref = got
			continue
		}
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("%d workers gave different batches than 1", w)
		}
	}
	if len(ref) != 11 || ref[10].N() != 3 || ref[0].Shape != (Shape{3, 6, 5}) || len(ref[0].X) != 10*90 {
		t.Fatalf("got %d batches, last of %d", len(ref), ref[len(ref)-1].N())
	}
	seen := map[int]bool{}
	for s, b := range ref {
		if b.Seq != s {
			t.Fatalf("batch %d has Seq %d", s, b.Seq)
		}
		for k, i := range b.Index {
			seen[i] = true
			if b.Labels[k] != ds.Label(i) {
				t.Fatalf("label of %d", i)
			}
		}
	}
	if len(seen) != 103 {
		t.Fatalf("epoch visited %d of 103 images", len(seen))
	}
	cfg.Epoch = 4
	if other := collect(t, ds, cfg); reflect.DeepEqual(other[0].Index, ref[0].Index) {
		t.Fatal("epochs 3 and 4 share an order")
	}
}

// TestBatchesMatchApply checks that without augmentation each batch row is
// exactly Preprocess.Apply of its image.
func TestBatchesMatchApply(t *testing.T) {
	ds := smallMemory(25)
	cfg := BatchConfig{Size: 8, DropLast: true, Workers: 3, Prep: Preprocess{Resize: []int{4, 4}, Mean: []float32{0.1}}}
	bs := collect(t, ds, cfg)
	if len(bs) != 3 || NumBatches(25, cfg) != 3 {
		t.Fatalf("%d batches with DropLast", len(bs))
	}
	for _, b := range bs {
		for k, i := range b.Index {
			img, _ := ds.Image(i)
			want := make([]float32, 16)
			must(t, cfg.Prep.Apply(want, img))
			if !reflect.DeepEqual(b.X[k*16:(k+1)*16], want) || i != b.Seq*8+k {
				t.Fatalf("batch %d row %d (image %d) differs", b.Seq, k, i)
			}
		}
	}
}

func TestBatchesStopEarly(t *testing.T) {
	base := runtime.NumGoroutine()
	ds := smallMemory(500)
	n := 0
	for _, err := range Batches(t.Context(), ds, BatchConfig{Size: 5, Workers: 4}) {
		must(t, err)
		if n++; n == 2 {
			break
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base {
		t.Fatalf("%d goroutines left running after break (was %d)", g, base)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, err := range Batches(ctx, ds, BatchConfig{Size: 5, Workers: 1, Prefetch: 1}) {
		if errors.Is(err, context.Canceled) {
			return
		}
	}
	t.Fatal("a canceled context did not end the epoch with context.Canceled")
}

func TestBatchesErrors(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "1.png"), grayImage(4, 4, 1))
	writePNG(t, filepath.Join(root, "b", "2.png"), grayImage(5, 4, 2))
	f, err := OpenFolder(root)
	must(t, err)
	errOf := func(ds Dataset, cfg BatchConfig) error {
		for _, err := range Batches(t.Context(), ds, cfg) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := errOf(f, BatchConfig{Size: 2}); !errors.Is(err, ErrShape) {
		t.Errorf("mixed sizes in a batch: %v", err)
	}
	if err := errOf(f, BatchConfig{Size: 2, Prep: Preprocess{Resize: []int{3, 3}}}); err != nil {
		t.Errorf("resized: %v", err)
	}
	must(t, os.WriteFile(f.File(1), []byte("broken"), 0o644))
	if err := errOf(f, BatchConfig{Size: 1, Workers: 2}); !errors.Is(err, ErrImage) {
		t.Errorf("broken file: %v", err)
	}
	if err := errOf(f, BatchConfig{}); err == nil {
		t.Error("batch size 0 accepted")
	}
	if err := errOf(Head(f, 0), BatchConfig{Size: 1}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if err := errOf(f, BatchConfig{Size: 3, DropLast: true}); !errors.Is(err, ErrEmpty) {
		t.Errorf("no full batch: %v", err)
	}
}

func TestCheck(t *testing.T) {
	ds := smallMemory(20)
	if err := Check(ds, nil, Shape{1, 6, 5}, 10); err != nil {
		t.Fatal(err)
	}
	if err := Check(ds, &Preprocess{Channels: 3, CenterCrop: []int{4}}, Shape{3, 4, 4}, 10); err != nil {
		t.Fatal(err)
	}
	sub, err := Subset(ds, []int{9, 19})
	must(t, err)
	cases := map[string]struct {
		ds      Dataset
		p       *Preprocess
		want    Shape
		classes int
		err     error
	}{
		"empty":         {Head(ds, 0), nil, Shape{1, 6, 5}, 10, ErrEmpty},
		"more classes":  {ds, nil, Shape{1, 6, 5}, 5, ErrClasses},
		"wrong size":    {ds, nil, Shape{1, 28, 28}, 10, ErrShape},
		"wrong channel": {ds, nil, Shape{3, 6, 5}, 10, ErrShape},
		"bad crop":      {ds, &Preprocess{CenterCrop: []int{7}}, Shape{1, 8, 8}, 10, ErrShape},
		"crop pads":     {ds, &Preprocess{CenterCrop: []int{7}}, Shape{1, 7, 7}, 10, nil},
	}
	for name, c := range cases {
		if err := Check(c.ds, c.p, c.want, c.classes); !errors.Is(err, c.err) {
			t.Errorf("%s: got %v, want %v", name, err, c.err)
		}
	}
	ds.Labels[19] = 12 // beyond both the declared and the model's classes
	if err := Check(sub, nil, Shape{1, 6, 5}, 10); !errors.Is(err, ErrLabel) {
		t.Errorf("label 12: %v", err)
	}
	if err := ds.Validate(); !errors.Is(err, ErrLabel) {
		t.Errorf("Validate label 12: %v", err)
	}
	ds.Labels = ds.Labels[:19]
	if err := ds.Validate(); !errors.Is(err, ErrCount) {
		t.Errorf("Validate counts: %v", err)
	}
	if _, err := Subset(ds, []int{-1}); err == nil {
		t.Error("negative subset index accepted")
	}
}

func TestBatchesSkip(t *testing.T) {
	ds := smallMemory(50)
	cfg := BatchConfig{Size: 7, Shuffle: true, Seed: 1, Aug: Augment{Pad: 1, Flip: true}, Workers: 3}
	full := collect(t, ds, cfg)
	cfg.Skip = 4
	tail := collect(t, ds, cfg)
	if !reflect.DeepEqual(tail, full[4:]) {
		t.Fatalf("skipping 4 of %d batches gave %d batches that differ from the full run's tail", len(full), len(tail))
	}
	cfg.Skip = 100
	if got := collect(t, ds, cfg); len(got) != 0 {
		t.Fatalf("skip past the end gave %d batches", len(got))
	}
}
