package finetune

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
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
	// Tensors is how many tensorRecords follow the checkpoint in a
	// version-5 file, which leaves Params, Momentum, Running and Best's
	// maps out of it (HasBest says whether Best is there).
	Tensors int
	HasBest bool
}

// tensorRecord is one tensor of a version-5 checkpoint, a gob value of its
// own after the checkpoint: Set says which map it goes in (tensorSets).
type tensorRecord struct {
	Set  int
	Name string
	Data []float32
}

// tensorSets are the checkpoint's maps that version 5 writes tensor by
// tensor, by tensorRecord.Set.
func (ck *checkpoint) tensorSets() []*map[string][]float32 {
	if ck.Best == nil {
		ck.Best = &weights{}
	}
	return []*map[string][]float32{&ck.Params, &ck.Momentum, &ck.Running, &ck.Best.Params, &ck.Best.Running}
}

// checkpointVersion 5: the tensors follow the checkpoint one gob value
// each, so that encoding them needs a buffer of the largest, not of the
// whole payload; 4: the fingerprint names the training data (version 4
// files, the whole checkpoint one gob value, still resume).
const (
	checkpointVersion = 5
	oneValueVersion   = 4
)

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
	ck := t.snapshot()
	if err := os.MkdirAll(t.cfg.CheckpointDir, 0o755); err != nil {
		return fmt.Errorf("finetune: checkpoint directory: %w", err)
	}
	path := filepath.Join(t.cfg.CheckpointDir, CheckpointFile)
	var s safefile.Set
	o, err := s.File(path)
	if err == nil {
		err = o.Write(func(w io.Writer) error { return writeCheckpoint(w, ck) })
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

// openCheckpoint reads and decodes the checkpoint in dir, from the file
// in two passes, the digest then the payload, without holding its bytes:
// on a resume they were all in memory beside their decoded copy.
func openCheckpoint(dir string) (*checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	f, _, err := safefile.OpenChecked(path, maxCheckpointBytes)
	if err != nil {
		return nil, fmt.Errorf("finetune: resume: %s: %w", path, err)
	}
	defer f.Close()
	ck, err := readCheckpointFile(f)
	if err != nil {
		return nil, fmt.Errorf("finetune: resume: checkpoint %s: %w", path, err)
	}
	return ck, nil
}

// readCheckpointFile is decodeCheckpoint on a file: it checks the digest of
// the payload as it reads it, then reads it again to decode it.
func readCheckpointFile(f io.ReadSeeker) (*checkpoint, error) {
	head := make([]byte, len(checkpointMagic)+sha256.Size)
	if _, err := io.ReadFull(f, head); err != nil || string(head[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a bincompress checkpoint (or one from before digests)", ErrCheckpoint)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	if !bytes.Equal(h.Sum(nil), head[len(checkpointMagic):]) {
		return nil, fmt.Errorf("%w: its digest does not match its contents (the file was damaged or edited)", ErrCheckpoint)
	}
	if _, err := f.Seek(int64(len(head)), io.SeekStart); err != nil {
		return nil, err
	}
	return decodePayload(bufio.NewReader(f))
}

// loadCheckpoint restores a run saved by saveCheckpoint.
func (t *trainer) loadCheckpoint() error {
	path := filepath.Join(t.cfg.CheckpointDir, CheckpointFile)
	ck, err := openCheckpoint(t.cfg.CheckpointDir)
	if err != nil {
		return err
	}
	if ck.Version != checkpointVersion && ck.Version != oneValueVersion {
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

// writeCheckpoint writes the file decodeCheckpoint reads: magic, the
// payload's digest, then the payload, which is written straight into w as
// the digest is taken of it (the digest goes into its place once known:
// w is the staged file). The payload is ck without its tensors, then each
// tensor as a gob value of its own, in the order of ck's names: gob
// writes a value after its length, so it holds a whole value in a buffer
// as it encodes it, and with the tensors in ck that buffer was the whole
// payload, grown a quarter at a time. On a ResNet-34 (330 MB encoded) the
// checkpoint took a run 84 % past its plan at an epoch's end; now the
// buffer is the largest tensor's, which the plan counts
// (checkpointBytes).
func writeCheckpoint(w io.Writer, ck *checkpoint) error {
	at, ok := w.(io.WriterAt)
	if !ok {
		return errors.New("finetune: a checkpoint is written to a file")
	}
	head := append([]byte(checkpointMagic), make([]byte, sha256.Size)...)
	if _, err := w.Write(head); err != nil {
		return err
	}
	h := sha256.New()
	enc := gob.NewEncoder(io.MultiWriter(w, h))
	hdr := *ck
	hdr.Params, hdr.Momentum, hdr.Running, hdr.Best, hdr.HasBest = nil, nil, nil, nil, ck.Best != nil
	var recs []tensorRecord
	for set, m := range []map[string][]float32{ck.Params, ck.Momentum, ck.Running, bestOf(ck).Params, bestOf(ck).Running} {
		for _, name := range sortedKeys(m) {
			recs = append(recs, tensorRecord{Set: set, Name: name, Data: m[name]})
		}
	}
	hdr.Tensors = len(recs)
	if err := enc.Encode(&hdr); err != nil {
		return fmt.Errorf("finetune: encoding checkpoint: %w", err)
	}
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return fmt.Errorf("finetune: encoding checkpoint: %w", err)
		}
	}
	_, err := at.WriteAt(h.Sum(nil), int64(len(checkpointMagic)))
	return err
}

// bestOf is ck's best snapshot, or an empty one.
func bestOf(ck *checkpoint) *weights {
	if ck.Best == nil {
		return &weights{}
	}
	return ck.Best
}

func sortedKeys(m map[string][]float32) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstValueBytes is the length of the first gob value in the checkpoint
// in dir (0 when unreadable): the gob decoder holds a whole value's bytes
// as it decodes it, and in a version-4 file the first value is the whole
// checkpoint, beside its decoded copy on a resume. gob frames each message
// as a length and a type id, negative for the type definitions before it.
func firstValueBytes(dir string) int64 {
	f, _, err := safefile.OpenChecked(filepath.Join(dir, CheckpointFile), maxCheckpointBytes)
	if err != nil {
		return 0
	}
	defer f.Close()
	r := bufio.NewReader(f)
	if _, err := r.Discard(len(checkpointMagic) + sha256.Size); err != nil {
		return 0
	}
	for range 64 { // a checkpoint has a few type definitions
		n, err := gobUint(r)
		if err != nil || n == 0 || n > maxCheckpointBytes {
			return 0
		}
		id, err := gobUint(r)
		if err != nil {
			return 0
		}
		if id&1 == 0 { // a non-negative id: the value
			return int64(n)
		}
		if _, err := r.Discard(int(n) - gobUintLen(id)); err != nil {
			return 0
		}
	}
	return 0
}

// gobUint reads an unsigned integer as gob writes it: below 128 in one
// byte, else the negated count of the big-endian bytes that follow.
func gobUint(r *bufio.Reader) (uint64, error) {
	b, err := r.ReadByte()
	if err != nil || b < 0x80 {
		return uint64(b), err
	}
	n := int(-int8(b))
	if n > 8 {
		return 0, ErrCheckpoint
	}
	var x uint64
	for range n {
		c, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		x = x<<8 | uint64(c)
	}
	return x, nil
}

// gobUintLen is how many bytes gob writes x in.
func gobUintLen(x uint64) int {
	if x < 0x80 {
		return 1
	}
	return 1 + (bits.Len64(x)+7)/8
}

// decodePayload decodes a checkpoint's payload from r: one gob value in
// version 4, the checkpoint then its tensors in version 5.
func decodePayload(r io.Reader) (*checkpoint, error) {
	dec := gob.NewDecoder(r)
	var ck checkpoint
	if err := dec.Decode(&ck); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if ck.Version < checkpointVersion {
		return &ck, nil
	}
	if ck.Tensors < 0 {
		return nil, fmt.Errorf("%w: %d tensors", ErrCheckpoint, ck.Tensors)
	}
	hasBest := ck.HasBest
	sets := ck.tensorSets()
	for range ck.Tensors {
		var rec tensorRecord
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
		}
		if rec.Set < 0 || rec.Set >= len(sets) {
			return nil, fmt.Errorf("%w: tensor %q in set %d", ErrCheckpoint, rec.Name, rec.Set)
		}
		if *sets[rec.Set] == nil {
			*sets[rec.Set] = map[string][]float32{}
		}
		(*sets[rec.Set])[rec.Name] = rec.Data
	}
	if !hasBest {
		ck.Best = nil
	}
	return &ck, nil
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
	return decodePayload(bytes.NewReader(payload))
}
