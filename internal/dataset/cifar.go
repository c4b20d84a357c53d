package dataset

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var cifar10Names = []string{"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck"}

// cifarKind describes one of the two CIFAR binary layouts: each record is
// labelBytes label bytes (CIFAR-100: coarse then fine) and a 3x32x32 image,
// red plane first.
type cifarKind struct {
	format     string
	labelBytes int
	classes    int
	namesFile  string
}

var (
	cifar10  = cifarKind{"cifar10", 1, 10, "batches.meta.txt"}
	cifar100 = cifarKind{"cifar100", 2, 100, "fine_label_names.txt"}
)

// loadCIFAR reads the given batch files of one split into a Memory dataset,
// using the fine label for CIFAR-100: every record, or the first limit > 0.
func loadCIFAR(k cifarKind, files []string, limit int) (*Memory, error) {
	size := Shape{3, 32, 32}
	rec := k.labelBytes + size.Len()
	m := &Memory{Name: filepath.Dir(files[0]), Files: files, Format: k.format, Size: size, Classes: k.classes, U8: []uint8{}}
	for _, path := range files {
		if limit > 0 && len(m.Labels) == limit {
			break
		}
		b, err := readRecords(path, rec, limit-len(m.Labels))
		if err != nil {
			return nil, err
		}
		for off := 0; off < len(b); off += rec {
			// Checked here, where the batch file is known: Validate can
			// name only the folder and an index across all the batches.
			l := int(b[off+k.labelBytes-1])
			if l >= k.classes {
				return nil, fmt.Errorf("%w: %s: record %d has label %d, want [0,%d)", ErrLabel, path, off/rec, l, k.classes)
			}
			m.Labels = append(m.Labels, l)
			m.U8 = append(m.U8, b[off+k.labelBytes:off+rec]...)
		}
	}
	m.ClassNames = cifarNames(filepath.Dir(files[0]), k)
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// readRecords reads the first n > 0 (else all) rec-byte records of a file
// that must hold a whole number of them.
func readRecords(path string, rec, n int) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if st.Size() == 0 {
		// A failed download or copy; among other batches it would pass
		// as a batch of no images, the data set silently a fifth short.
		return nil, fmt.Errorf("%w: %s: 0 bytes, no records", ErrCorrupt, path)
	}
	if st.Size()%int64(rec) != 0 {
		return nil, fmt.Errorf("%w: %s: %d bytes is not a whole number of %d-byte records", ErrCorrupt, path, st.Size(), rec)
	}
	size := st.Size()
	if n > 0 {
		size = min(size, int64(n)*int64(rec))
	}
	b, err := readAtMost(f, size)
	if err != nil || int64(len(b)) != size {
		return nil, fmt.Errorf("%w: %s: read %d of %d bytes: %v", ErrCorrupt, path, len(b), size, err)
	}
	return b, nil
}

// cifarNames reads the class names file beside the batches, falling back to
// the standard CIFAR-10 names; CIFAR-100 without the file has no names.
func cifarNames(dir string, k cifarKind) []string {
	var names []string
	if b, err := readFile(filepath.Join(dir, k.namesFile)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if s := strings.TrimSpace(line); s != "" {
				names = append(names, s)
			}
		}
	}
	if len(names) == k.classes {
		return names
	}
	if k.classes == 10 {
		return cifar10Names
	}
	return nil
}

// cifar10Batch matches CIFAR-10's training batches, data_batch_1.bin to
// data_batch_5.bin: only these names are read (see cifarFiles).
var cifar10Batch = regexp.MustCompile(`^data_batch_([1-5])\.bin$`)

// openCIFAR detects CIFAR-10 (data_batch_N.bin, test_batch.bin) or
// CIFAR-100 (train.bin, test.bin) batches in dir.
func (o *opener) openCIFAR(dir string) (*Splits, bool, error) {
	k, train, test, unread, missing := cifarFiles(dir)
	if len(train) == 0 && len(test) == 0 && missing == nil {
		return nil, false, nil
	}
	s := &Splits{}
	if o.skipTrain(len(test) > 0) {
		// a batch missing from the training split matters to no one here
		s.Unopened, train, missing = train, nil, nil
	}
	if missing != nil {
		return nil, true, missing
	}
	var err error
	if len(train) > 0 {
		if s.Train, err = loadCIFAR(k, train, o.limit); err != nil {
			return nil, true, err
		}
	}
	if len(test) > 0 {
		if s.Test, err = loadCIFAR(k, test, o.limit); err != nil {
			return nil, true, err
		}
	}
	// The files not read are told with the split read beside them (a
	// warning, dataset.Unread), the test split's when there is no other.
	if s.Train != nil {
		s.Train.(*Memory).Unread = unread
	} else {
		s.Test.(*Memory).Unread = unread
	}
	return s, true, nil
}

// cifarFiles lists dir's CIFAR batches by the format's own names, not by a
// pattern: CIFAR-10's data_batch_1.bin..data_batch_5.bin (in number order)
// and test_batch.bin, or CIFAR-100's train.bin and test.bin. A numbered
// batch missing below the highest present (data_batch_3.bin of 1..5) is an
// error naming it: reading the others would train on less data, silently.
// Files that look like batches but are not the format's names (a copy,
// "data_batch_1 copy.bin", or data_batch_6.bin) are not read and are
// returned as unread: reading them would duplicate images, and the names
// read are checked complete, so the run can go on with them named.
// missing is the gap's error; train then lists the batches present.
func cifarFiles(dir string) (k cifarKind, train, test, unread []string, missing error) {
	globs := func(patterns ...string) []string {
		var out []string
		for _, p := range patterns {
			m, _ := filepath.Glob(filepath.Join(dir, p))
			out = append(out, m...)
		}
		return out
	}
	k = cifar10
	var nums []int
	for _, path := range globs("data_batch*.bin") {
		if m := cifar10Batch.FindStringSubmatch(filepath.Base(path)); m != nil {
			nums = append(nums, int(m[1][0]-'0'))
		} else {
			unread = append(unread, path)
		}
	}
	test = existing(filepath.Join(dir, "test_batch.bin"))
	for _, path := range globs("test_batch*.bin") {
		if len(test) == 0 || path != test[0] {
			unread = append(unread, path)
		}
	}
	if len(nums) == 0 && len(test) == 0 {
		k, unread = cifar100, nil
		train = existing(filepath.Join(dir, "train.bin"))
		test = existing(filepath.Join(dir, "test.bin"))
		for _, path := range globs("train*.bin", "test*.bin") {
			if !slices.Contains(train, path) && !slices.Contains(test, path) {
				unread = append(unread, path)
			}
		}
		if len(train) == 0 && len(test) == 0 {
			return k, nil, nil, nil, nil // not CIFAR: the strays alone make no data set
		}
		return k, train, test, unread, nil
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i+1 && missing == nil {
			missing = fmt.Errorf("%w: %s: data_batch_%d.bin is missing (CIFAR-10's training split is data_batch_1.bin to data_batch_5.bin; present: %s): restore it, or the split is a batch short",
				ErrMissing, dir, i+1, batchList(nums))
		}
		train = append(train, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", n)))
	}
	return k, train, test, unread, missing
}

// batchList names the CIFAR-10 batches present: "data_batch_1.bin, data_batch_2.bin".
func batchList(nums []int) string {
	var s []string
	for _, n := range nums {
		s = append(s, fmt.Sprintf("data_batch_%d.bin", n))
	}
	return strings.Join(s, ", ")
}

// existing returns []string{path} when path is a regular file, else nil.
func existing(path string) []string {
	if isRegular(path) {
		return []string{path}
	}
	return nil
}
