package finetune

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/bincompress/bincompress/internal/safefile"
	"github.com/bincompress/bincompress/pack"
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
	Batch       int // also in the fingerprint; here for a resume with AutoBatch (resumeBatch)
	Epoch, Step int
	Params      map[string][]float32
	Momentum    map[string][]float32
	Running     map[string][]float32 // BN mean and variance initializers
	History     []EpochStats
	Loss        []LossPoint
	ValBin      float64
	ValReest    float64
	Best        *weights // the best cycle end so far
	BestAcc     float64
	BestQuick   bool
	Snapshots   []Snapshot
}

const checkpointVersion = 4 // 4: the fingerprint names the training data

// fingerprint captures what the trajectory depends on, so that a resume
// with different settings is refused: one part per line, named, so that
// the refusal can say which differs. The epoch count is part of it (the
// schedule is fitted to it); so are the sizes of the training and held-out
// sets, whose best snapshot a resume carries on comparing against, the
// source model (graph and weights), the preprocessing and the training
// data's identity (dataDigest: other images of the same count are another
// run). The memory limit is not:
// it changes the batch only through --batch-size auto, and the batch is.
func (t *trainer) fingerprint() string {
	c := t.cfg
	c.CheckpointDir, c.Resume, c.Backend, c.MaxMemory, c.pinned = "", false, nil, 0, resident{}
	var plan []string
	for _, l := range t.student.layers {
		plan = append(plan, l.node.Name+":"+string(l.mode))
	}
	held := 0
	if t.val != nil {
		held = t.val.Len()
	}
	prep := ""
	if _, p, err := t.train.Data(); err == nil {
		prep = p.Marshal()
	}
	return strings.Join([]string{
		"settings: " + fmt.Sprintf("%+v", c), "parameters: " + fmt.Sprint(t.names), "batch: " + fmt.Sprint(t.batch),
		"plan: " + fmt.Sprint(plan), "training images: " + fmt.Sprint(t.train.Len()), "held-out images: " + fmt.Sprint(held),
		"source model weights: " + t.sourceDigest(), "preprocessing: " + prep, "training data: " + t.trainDigest()}, "\n")
}

// trainDigest is dataDigest of the training data, computed once a run.
func (t *trainer) trainDigest() string {
	if t.trainID == "" {
		t.trainID = dataDigest(t.train)
	}
	return t.trainID
}

// dataDigest identifies src's data cheaply: a SHA-256 of every label and
// of the pixels of three fixed images (the first, the middle and the
// last), read through the dataset. Hashing every image would decode the
// whole set once more; labels and a few images tell other data of the
// same size apart.
func dataDigest(src Source) string {
	ds, _, err := src.Data()
	if err != nil {
		return "unreadable: " + err.Error()
	}
	h := sha256.New()
	n := ds.Len()
	var buf []byte
	for i := range n {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(ds.Label(i)))
	}
	h.Write(buf)
	for _, i := range []int{0, n / 2, n - 1} {
		img, err := ds.Image(i)
		if err != nil {
			fmt.Fprintf(h, "image %d: %v\n", i, err)
			continue
		}
		buf = fmt.Appendf(buf[:0], "%+v\n", img.Shape)
		buf = append(buf, img.U8...)
		for _, v := range img.F32 {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sourceDigest is the source model's canonical digest (pack.Digest: its
// graph and weights), computed once a run: every checkpoint carries it.
func (t *trainer) sourceDigest() string {
	if t.srcDigest == "" {
		t.srcDigest = pack.Digest(t.source)
	}
	return t.srcDigest
}

// fingerprintDiff names the parts of two fingerprints (a the checkpoint's,
// b this run's) that differ; for the settings, each field with both
// values, so that a resume refused for another --epochs says so.
func fingerprintDiff(a, b string) string {
	pa, pb := strings.Split(a, "\n"), strings.Split(b, "\n")
	var diff []string
	for i := range min(len(pa), len(pb)) {
		if pa[i] != pb[i] {
			name, vb, _ := strings.Cut(pb[i], ": ")
			_, va, _ := strings.Cut(pa[i], ": ")
			if fields := fieldsDiff(va, vb); name == "settings" && len(fields) > 0 {
				name += " (" + strings.Join(fields, "; ") + ")"
			}
			diff = append(diff, name)
		}
	}
	return strings.Join(diff, ", ")
}

// fieldsDiff lists the fields of two %+v struct dumps whose values differ,
// as "Name: a in the checkpoint, b now" (nested structs as Outer.Inner).
func fieldsDiff(a, b string) []string {
	fa, fb := structFields("", a), structFields("", b)
	var out []string
	for _, f := range fb {
		for _, g := range fa {
			if g[0] == f[0] && g[1] != f[1] {
				out = append(out, fmt.Sprintf("%s: %s in the checkpoint, %s now", f[0], g[1], f[1]))
			}
		}
	}
	return out
}

// structFields splits a %+v dump, {A:1 B:{C:2}}, into name-value pairs,
// [A 1] [B.C 2]; anything else gives none.
func structFields(prefix, s string) [][2]string {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil
	}
	var out [][2]string
	depth, start := 0, 1
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '{' || c == '[':
			depth++
		case (c == '}' || c == ']') && depth > 0:
			depth--
		case (c == ' ' && depth == 0) || i == len(s)-1:
			if name, v, ok := strings.Cut(s[start:i], ":"); ok {
				if inner := structFields(prefix+name+".", v); inner != nil {
					out = append(out, inner...)
				} else {
					out = append(out, [2]string{prefix + name, v})
				}
			}
			start = i + 1
		}
	}
	return out
}

func (t *trainer) snapshot() *checkpoint {
	t.student.syncHost()
	ck := &checkpoint{Version: checkpointVersion, Fingerprint: t.fingerprint(), Batch: t.batch, Epoch: t.epoch, Step: t.step,
		Params: map[string][]float32{}, Momentum: map[string][]float32{}, Running: map[string][]float32{},
		History: t.res.Epochs, Loss: t.res.Loss, ValBin: t.res.ValBinarized, ValReest: t.res.ValReestimated,
		Best: t.best, BestAcc: t.bestAcc, BestQuick: t.bestQuick, Snapshots: t.res.Snapshots}
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
	payload, err := encodeCheckpoint(t.snapshot())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(t.cfg.CheckpointDir, 0o755); err != nil {
		return fmt.Errorf("finetune: checkpoint directory: %w", err)
	}
	path := filepath.Join(t.cfg.CheckpointDir, CheckpointFile)
	var s safefile.Set
	o, err := s.File(path)
	if err == nil {
		err = o.Write(func(w io.Writer) error { return writeCheckpoint(w, payload) })
	}
	if err == nil {
		err = s.Commit()
	}
	if err != nil {
		s.Discard()
		return fmt.Errorf("finetune: writing checkpoint: %w", err)
	}
	return nil
}

// openCheckpoint reads and decodes the checkpoint in dir.
func openCheckpoint(dir string) (*checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	data, err := safefile.ReadRegular(path, maxCheckpointBytes)
	if err != nil {
		return nil, fmt.Errorf("finetune: resume: %s: %w", path, err)
	}
	ck, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("finetune: resume: checkpoint %s: %w", path, err)
	}
	return ck, nil
}

// loadCheckpoint restores a run saved by saveCheckpoint.
func (t *trainer) loadCheckpoint() error {
	path := filepath.Join(t.cfg.CheckpointDir, CheckpointFile)
	ck, err := openCheckpoint(t.cfg.CheckpointDir)
	if err != nil {
		return err
	}
	if ck.Version != checkpointVersion {
		return fmt.Errorf("finetune: resume: checkpoint %s was written by a different version of bincompress", path)
	}
	if fp := t.fingerprint(); ck.Fingerprint != fp {
		return fmt.Errorf("finetune: resume: checkpoint %s was written for another run: its %s differ", path, fingerprintDiff(ck.Fingerprint, fp))
	}
	if err := t.restore(ck); err != nil {
		return fmt.Errorf("finetune: resume from %s: %w", path, err)
	}
	t.epoch, t.step, t.res.Epochs, t.res.Loss = ck.Epoch, ck.Step, ck.History, ck.Loss
	t.res.ValBinarized, t.res.ValReestimated = ck.ValBin, ck.ValReest
	t.best, t.bestAcc, t.bestQuick, t.res.Snapshots = ck.Best, ck.BestAcc, ck.BestQuick, ck.Snapshots
	return nil
}

func (t *trainer) restore(ck *checkpoint) error {
	for i, name := range t.names {
		m := make([]float32, t.opt.buf[i].Len())
		if err := restoreInto(m, ck.Momentum[name], name+" momentum"); err != nil {
			return err
		}
		t.opt.setMomentum(i, m)
	}
	return t.restoreWeights(&weights{Params: ck.Params, Running: ck.Running})
}

func restoreInto(dst, src []float32, name string) error {
	if len(dst) != len(src) {
		return fmt.Errorf("%s has %d values, checkpoint has %d", name, len(dst), len(src))
	}
	copy(dst, src)
	return nil
}

// A checkpoint file is checkpointMagic, the SHA-256 of the payload, then the
// payload (the gob-encoded checkpoint). The digest is checked before the
// payload is decoded, so a flipped byte is refused rather than resumed into
// a different model.
const checkpointMagic = "bincompress checkpoint\n"

// maxCheckpointBytes bounds the file read on resume (the weights and
// momentum of any model this trainer fits in memory are far smaller).
const maxCheckpointBytes = 4 << 30

// ErrCheckpoint marks a checkpoint file that is not one, or fails its digest.
var ErrCheckpoint = errors.New("corrupt checkpoint")

// encodeCheckpoint is a checkpoint's payload, the gob encoding that
// writeCheckpoint puts after the magic and the payload's digest.
func encodeCheckpoint(ck *checkpoint) ([]byte, error) {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(ck); err != nil {
		return nil, fmt.Errorf("finetune: encoding checkpoint: %w", err)
	}
	return payload.Bytes(), nil
}

// writeCheckpoint writes the file decodeCheckpoint reads: magic, digest,
// payload, in pieces, so the file's bytes are never in memory twice (on a
// ResNet-34 the weights, momentum and best snapshot encode to about
// 330 MB).
func writeCheckpoint(w io.Writer, payload []byte) error {
	sum := sha256.Sum256(payload)
	for _, b := range [][]byte{[]byte(checkpointMagic), sum[:], payload} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func decodeCheckpoint(data []byte) (*checkpoint, error) {
	head := len(checkpointMagic) + sha256.Size
	if len(data) < head || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a bincompress checkpoint (or one from before digests)", ErrCheckpoint)
	}
	payload := data[head:]
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], data[len(checkpointMagic):head]) {
		return nil, fmt.Errorf("%w: its digest does not match its contents (the file was damaged or edited)", ErrCheckpoint)
	}
	var ck checkpoint
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&ck); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	return &ck, nil
}
