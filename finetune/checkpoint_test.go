package finetune

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkpointed runs one epoch with checkpoints on and returns the config to
// resume with.
func checkpointed(t testing.TB) Config {
	t.Helper()
	cfg := testConfig()
	cfg.Epochs = 1
	cfg.CheckpointDir = t.TempDir()
	if _, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Epochs, cfg.Resume = 2, true
	return cfg
}

// TestResumeSaysWhere: a resumed run reports a "resumed" event with the
// epochs its checkpoint had done, in place of binarizing and re-estimating,
// so that its log does not jump from the float model to epoch 2 unexplained.
func TestResumeSaysWhere(t *testing.T) {
	cfg := checkpointed(t)
	cfg.Epochs = 1 // the run checkpointed: a resume needs its settings
	var phases []string
	var resumed *Event
	_, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, func(e Event) {
		if e.Phase == "batch" || e.Phase == "bn" || e.Phase == "eval" {
			return
		}
		phases = append(phases, e.Phase)
		if e.Phase == "resumed" {
			resumed = &e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if resumed == nil || resumed.Epoch != 1 || resumed.Epochs != 1 || slices.Contains(phases, "binarized") {
		t.Errorf("events %v, resumed %+v: want a resumed event at epoch 1 of 1 in place of binarized", phases, resumed)
	}
}

// TestCheckpointDigest: a checkpoint with one flipped byte anywhere is
// refused with ErrCheckpoint instead of resuming into another model.
func TestCheckpointDigest(t *testing.T) {
	cfg := checkpointed(t)
	cfg.Epochs = 1 // resume at the end: nothing left to train, so the check is all that runs
	path := filepath.Join(cfg.CheckpointDir, CheckpointFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil); err != nil {
		t.Fatalf("intact checkpoint: %v", err)
	}
	for _, at := range []int{0, len(checkpointMagic) + 3, len(good) / 2, len(good) - 1} {
		bad := append([]byte(nil), good...)
		bad[at] ^= 0x10
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil)
		if !errors.Is(err, ErrCheckpoint) {
			t.Errorf("byte %d of %d flipped: %v, want ErrCheckpoint", at, len(good), err)
		}
	}
	if err := os.WriteFile(path, good[:len(good)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("truncated: %v, want ErrCheckpoint", err)
	}
}

// FuzzCheckpoint feeds the resume path mutated checkpoints: whole files
// (the digest must refuse them) and mutated payloads sealed with a valid
// digest (the decoder and restore must reject or accept them without a
// panic). Run: go test ./finetune -run '^$' -fuzz FuzzCheckpoint -fuzzminimizetime 5s
func FuzzCheckpoint(f *testing.F) {
	cfg := checkpointed(f)
	good, err := os.ReadFile(filepath.Join(cfg.CheckpointDir, CheckpointFile))
	if err != nil {
		f.Fatal(err)
	}
	head := len(checkpointMagic) + sha256.Size
	f.Add(good, false)
	f.Add(good[head:], true)
	f.Add(good[head:head+len(good[head:])/2], true)
	tr, err := newTrainer(tinyResNet(3, 3), planOfTest(f, tinyResNet(3, 3)), stripes(1, 48, 3), nil, cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, seal bool) {
		if seal {
			sum := sha256.Sum256(data)
			data = append(append([]byte(checkpointMagic), sum[:]...), data...)
		}
		ck, err := decodeCheckpoint(data)
		if err != nil {
			if !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("error does not wrap ErrCheckpoint: %v", err)
			}
			return
		}
		_ = tr.restore(ck)
	})
}

// TestResumeRefusesAnotherRun: a checkpoint resumes only the run it was
// written for: the same architecture with other weights is refused, naming
// the source model's weights as what differs; a memory limit, which does
// not change the trajectory, does not stop a resume.
func TestResumeRefusesAnotherRun(t *testing.T) {
	cfg := checkpointed(t)
	cfg.Epochs = 1 // nothing left to train: the check is all that runs
	other := tinyResNet(3, 3)
	w := other.Graph.Initializers[0].Data.([]float32)
	w[0] += 1
	_, err := Train(context.Background(), other, stripes(1, 48, 3), nil, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "its source model weights differ") {
		t.Errorf("another model's weights: %v, want a refusal naming the source model's weights", err)
	}
	cfg.MaxMemory = 64 << 30
	if _, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil); err != nil {
		t.Errorf("with a memory limit: %v, want the resume to go on", err)
	}
}

// TestResumeNamesSettings: a resume refused for other settings names each
// setting that changed, with the checkpoint's value and this run's, not
// just "settings".
func TestResumeNamesSettings(t *testing.T) {
	cfg := checkpointed(t) // Epochs 1 in the checkpoint, 2 here
	cfg.Schedule.LRMax *= 2
	_, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil)
	for _, want := range []string{"Epochs: 1 in the checkpoint, 2 now",
		fmt.Sprintf("Schedule.LRMax: %v in the checkpoint, %v now", cfg.Schedule.LRMax/2, cfg.Schedule.LRMax)} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("other epochs and learning rate: %v, want %q in it", err, want)
		}
	}
}

// TestResumeAutoBatch: a resume with AutoBatch trains at its checkpoint's
// batch, not at the largest that fits now (which moves with the process's
// memory); a limit that batch does not fit names it.
func TestResumeAutoBatch(t *testing.T) {
	cfg := checkpointed(t)                                          // batch 16 on 48 images
	cfg.Epochs, cfg.BatchSize, cfg.MaxMemory = 1, AutoBatch, 64<<30 // nothing left to train
	res, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil)
	if err != nil || res.Memory.Batch != 16 {
		t.Fatalf("auto resume: %v, want batch 16", err)
	}
	cfg.MaxMemory = 1 << 20
	_, err = Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "the checkpoint was trained at batch 16") {
		t.Fatalf("auto resume over the limit: %v, want the checkpoint's batch named", err)
	}
}

// TestResumeRefusesOtherData: a checkpoint written on other training data
// of the same size is refused, naming the training data; a copy of the
// same data resumes.
func TestResumeRefusesOtherData(t *testing.T) {
	cfg := checkpointed(t) // on stripes(1, 48, 3)
	cfg.Epochs = 1         // nothing left to train: the check is all that runs
	other := stripes(1, 48, 3)
	other.X[len(other.X)-1] += 0.5 // the last image, one pixel
	_, err := Train(context.Background(), tinyResNet(3, 3), other, nil, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "its training data differ") {
		t.Errorf("other training data: %v, want a refusal naming the training data", err)
	}
	relabeled := stripes(1, 48, 3)
	relabeled.Labels[7] = (relabeled.Labels[7] + 1) % 3
	if _, err := Train(context.Background(), tinyResNet(3, 3), relabeled, nil, cfg, nil); err == nil || !strings.Contains(err.Error(), "its training data differ") {
		t.Errorf("other labels: %v, want a refusal naming the training data", err)
	}
	if _, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil); err != nil {
		t.Errorf("the same data: %v", err)
	}
}

// TestResumeVersion4: a checkpoint written before the tensors were
// written one gob value each (version 4: the whole checkpoint one value)
// still resumes, to the same result as the same state in version 5; and
// the plan sees the decoder's buffer of each (firstValueBytes): the whole
// payload in version 4, the small header in version 5.
func TestResumeVersion4(t *testing.T) {
	cfg := checkpointed(t)
	cfg.Epochs = 1 // the checkpoint's: a resume at its end restores it and finishes
	path := filepath.Join(cfg.CheckpointDir, CheckpointFile)
	v5, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := decodeCheckpoint(v5)
	if err != nil || ck.Version != checkpointVersion || len(ck.Params) == 0 || len(ck.Momentum) == 0 || ck.Best == nil {
		t.Fatalf("version-5 checkpoint: %v (version %d, %d params, %d momentum, best %v)", err, ck.Version, len(ck.Params), len(ck.Momentum), ck.Best != nil)
	}
	header := firstValueBytes(cfg.CheckpointDir)
	ck.Version, ck.Tensors, ck.HasBest = oneValueVersion, 0, false
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(ck); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload.Bytes())
	v4 := append(append([]byte(checkpointMagic), sum[:]...), payload.Bytes()...)
	weightsAfter := func(file []byte) string {
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Train(context.Background(), tinyResNet(3, 3), stripes(1, 48, 3), nil, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		for _, in := range res.Model.Graph.Initializers {
			fmt.Fprintf(&out, "%s %v\n", in.Name, in.Data)
		}
		return out.String()
	}
	if err := os.WriteFile(path, v4, 0o644); err != nil {
		t.Fatal(err)
	}
	if n := firstValueBytes(cfg.CheckpointDir); header <= 0 || n < int64(payload.Len())/2 || 2*header > n {
		t.Errorf("first value: %d B in version 4 (a %d-B payload), %d B in version 5", n, payload.Len(), header)
	}
	if weightsAfter(v4) != weightsAfter(v5) {
		t.Error("resumed from version 4, the run ends with other weights than from version 5")
	}
}
