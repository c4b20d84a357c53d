package finetune

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CheckpointFile is the checkpoint's name inside Config.CheckpointDir.
const CheckpointFile = "finetune.ckpt"

// checkpoint is everything a resumed run needs to continue exactly: the
// latent weights, BN running statistics, momentum buffers and the position.
// The random state is a function of (seed, step, epoch), so the position
// is the RNG state.
type checkpoint struct {
	Version     int
	Fingerprint string
	Epoch, Step int
	Params      map[string][]float32
	Momentum    map[string][]float32
	Running     map[string][]float32 // BN mean and variance initializers
	History     []EpochStats
	ValBin      float64
	ValReest    float64
}

const checkpointVersion = 1

// fingerprint captures what the trajectory depends on, so that a resume
// with different settings is refused.
func (t *trainer) fingerprint() string {
	c := t.cfg
	c.Epochs, c.CheckpointDir, c.Resume, c.Backend = 0, "", false, nil
	return fmt.Sprintf("%+v|%v|%d", c, t.names, t.batch)
}

func (t *trainer) snapshot() *checkpoint {
	t.student.syncHost()
	ck := &checkpoint{Version: checkpointVersion, Fingerprint: t.fingerprint(), Epoch: t.epoch, Step: t.step,
		Params: map[string][]float32{}, Momentum: map[string][]float32{}, Running: map[string][]float32{},
		History: t.res.Epochs, ValBin: t.res.ValBinarized, ValReest: t.res.ValReestimated}
	for i, name := range t.names {
		ck.Params[name] = t.student.hostValues(name)
		ck.Momentum[name] = t.opt.momentumOf(i)
	}
	for nd, s := range t.student.bn {
		ck.Running[nd.Input(3)], ck.Running[nd.Input(4)] = s.mean, s.variance
	}
	return ck
}

// saveCheckpoint writes the checkpoint atomically: a temporary file in the
// same directory, synced, then renamed over the old one.
func (t *trainer) saveCheckpoint() error {
	if t.cfg.CheckpointDir == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(t.snapshot()); err != nil {
		return fmt.Errorf("finetune: encoding checkpoint: %w", err)
	}
	if err := os.MkdirAll(t.cfg.CheckpointDir, 0o755); err != nil {
		return fmt.Errorf("finetune: checkpoint directory: %w", err)
	}
	return writeAtomic(filepath.Join(t.cfg.CheckpointDir, CheckpointFile), buf.Bytes())
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ckpt-*")
	if err != nil {
		return fmt.Errorf("finetune: checkpoint: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("finetune: writing checkpoint %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("finetune: checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint restores a run saved by saveCheckpoint.
func (t *trainer) loadCheckpoint() error {
	path := filepath.Join(t.cfg.CheckpointDir, CheckpointFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("finetune: resume: %w", err)
	}
	var ck checkpoint
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&ck); err != nil {
		return fmt.Errorf("finetune: resume: checkpoint %s is corrupt: %w", path, err)
	}
	if ck.Version != checkpointVersion || ck.Fingerprint != t.fingerprint() {
		return fmt.Errorf("finetune: resume: checkpoint %s was written by a different version or configuration", path)
	}
	if err := t.restore(&ck); err != nil {
		return fmt.Errorf("finetune: resume from %s: %w", path, err)
	}
	t.epoch, t.step, t.res.Epochs = ck.Epoch, ck.Step, ck.History
	t.res.ValBinarized, t.res.ValReestimated = ck.ValBin, ck.ValReest
	return nil
}

func (t *trainer) restore(ck *checkpoint) error {
	for i, name := range t.names {
		if err := restoreInto(t.student.hostValues(name), ck.Params[name], name); err != nil {
			return err
		}
		m := make([]float32, t.opt.buf[i].Len())
		if err := restoreInto(m, ck.Momentum[name], name+" momentum"); err != nil {
			return err
		}
		t.opt.setMomentum(i, m)
	}
	for nd, s := range t.student.bn {
		if err := restoreInto(s.mean, ck.Running[nd.Input(3)], nd.Input(3)); err != nil {
			return err
		}
		if err := restoreInto(s.variance, ck.Running[nd.Input(4)], nd.Input(4)); err != nil {
			return err
		}
	}
	t.student.syncDevice()
	return t.deviceErr()
}

func restoreInto(dst, src []float32, name string) error {
	if len(dst) != len(src) {
		return fmt.Errorf("%s has %d values, checkpoint has %d", name, len(dst), len(src))
	}
	copy(dst, src)
	return nil
}
