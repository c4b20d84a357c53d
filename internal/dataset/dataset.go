package dataset

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"golang.org/x/text/unicode/norm"

	"github.com/bincompress/bincompress/internal/safefile"
)

// Sentinel errors, matched with errors.Is. Returned errors wrap them with the
// file, index or value at fault.
var (
	ErrEmpty         = errors.New("dataset: empty dataset")
	ErrLabel         = errors.New("dataset: label out of range")
	ErrLabelType     = errors.New("dataset: labels are not class indices") // not integers, or not one per image
	ErrShape         = errors.New("dataset: wrong image shape")
	ErrCount         = errors.New("dataset: image and label counts differ")
	ErrCorrupt       = errors.New("dataset: corrupt or truncated file")
	ErrMissing       = errors.New("dataset: a file of the data set is missing")
	ErrImage         = errors.New("dataset: unreadable image")
	ErrClasses       = errors.New("dataset: class count mismatch")
	ErrUnknownFormat = errors.New("dataset: unrecognized data format")
	ErrTooLarge      = errors.New("dataset: image over the size ceiling")
	ErrPixel         = errors.New("dataset: pixel value out of range")
	ErrNotRegular    = safefile.ErrNotRegular // a FIFO, device, socket or folder where a data file is expected
)

// Shape is the geometry of one image: C channels of H rows of W pixels.
type Shape struct{ C, H, W int }

// Len is the number of values C*H*W.
func (s Shape) Len() int { return s.C * s.H * s.W }

// String is "CxHxW".
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// Image is one decoded image in CHW order. Exactly one of U8 (8-bit
// pixels, 0..255) and F32 (pixels already on the [0,1] scale) is set. The
// slices may alias the dataset's storage: do not modify them.
type Image struct {
	Shape
	U8  []uint8
	F32 []float32
}

// Info describes a dataset as a whole.
type Info struct {
	Name       string   // the path it was opened from, or a caller's name
	Format     string   // "idx", "cifar10", "cifar100", "imagefolder", "npy" or "memory"
	Classes    int      // labels lie in [0, Classes)
	ClassNames []string // empty, or Classes names
}

// Dataset is a labelled image classification dataset. Implementations are
// safe for concurrent use; Label and Shape panic on an index outside
// [0, Len()), like a slice.
type Dataset interface {
	Len() int
	Label(i int) int
	// Shape is image i's geometry, known without decoding it (an image
	// file's header is read).
	Shape(i int) (Shape, error)
	// Image decodes image i.
	Image(i int) (Image, error)
	Info() Info
}

// Memory is a dataset held in memory, every image of the same Size. IDX,
// CIFAR and NPY data load into it; tests and callers can build one directly
// (call Validate).
type Memory struct {
	Name, Format string
	LabelFile    string   // the file the labels come from, when not Name (an NPY pair's y.npy); messages about labels name it
	Files        []string // the files it was read from (Files)
	Unread       []string // files beside them named like the format's but not its names, so not read (Unread)
	Size         Shape
	U8           []uint8   // Len()*Size.Len() pixels, image after image; or
	F32          []float32 // the same on the [0,1] scale
	Labels       []int
	Classes      int
	ClassNames   []string
}

// Len is the number of images.
func (m *Memory) Len() int { return len(m.Labels) }

// Label is image i's class.
func (m *Memory) Label(i int) int { return m.Labels[i] }

// Shape is Size for every image.
func (m *Memory) Shape(i int) (Shape, error) {
	_ = m.Labels[i]
	return m.Size, nil
}

// Image returns a view of image i.
func (m *Memory) Image(i int) (Image, error) {
	if i < 0 || i >= m.Len() {
		return Image{}, fmt.Errorf("dataset: %s: image %d out of range [0,%d)", m.Name, i, m.Len())
	}
	n := m.Size.Len()
	if (i+1)*n > max(len(m.U8), len(m.F32)) {
		return Image{}, fmt.Errorf("%w: %s: image %d of %v needs %d pixel values, there are %d", ErrCount, m.Name, i, m.Size, (i+1)*n, max(len(m.U8), len(m.F32)))
	}
	if m.U8 != nil {
		return Image{Shape: m.Size, U8: m.U8[i*n : (i+1)*n : (i+1)*n]}, nil
	}
	return Image{Shape: m.Size, F32: m.F32[i*n : (i+1)*n : (i+1)*n]}, nil
}

// Info describes m.
func (m *Memory) Info() Info {
	return Info{Name: m.Name, Format: m.Format, Classes: m.Classes, ClassNames: m.ClassNames}
}

// Validate checks that m is consistent: not empty, pixel count matching the
// label count, float pixels finite, labels in [0, Classes).
func (m *Memory) Validate() error {
	if len(m.Labels) == 0 {
		return fmt.Errorf("%w: %s holds no images", ErrEmpty, m.Name)
	}
	if m.Size.C <= 0 || m.Size.H <= 0 || m.Size.W <= 0 {
		return fmt.Errorf("%w: %s: image shape %v", ErrShape, m.Name, m.Size)
	}
	if (m.U8 == nil) == (m.F32 == nil) {
		return fmt.Errorf("dataset: %s: exactly one of U8 and F32 must be set", m.Name)
	}
	pix := max(len(m.U8), len(m.F32))
	if pix%m.Size.Len() != 0 || pix/m.Size.Len() != len(m.Labels) {
		return fmt.Errorf("%w: %s: %d pixel values of %v images (%.4g images) vs %d labels",
			ErrCount, m.Name, pix, m.Size, float64(pix)/float64(m.Size.Len()), len(m.Labels))
	}
	if m.Classes <= 0 || (len(m.ClassNames) != 0 && len(m.ClassNames) != m.Classes) {
		return fmt.Errorf("%w: %s: %d classes, %d class names", ErrClasses, m.Name, m.Classes, len(m.ClassNames))
	}
	// A NaN would pass through training as a NaN loss, or through BN
	// re-estimation into the model's statistics, and be blamed on the model.
	for i, v := range m.F32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: %s: image %d holds %v", ErrPixel, m.Name, i/m.Size.Len(), v)
		}
	}
	return checkLabels(m, m.Classes)
}

// checkLabels returns an ErrLabel error for the first label outside
// [0, classes).
func checkLabels(ds Dataset, classes int) error {
	for i := range ds.Len() {
		if l := ds.Label(i); l < 0 || l >= classes {
			return fmt.Errorf("%w: %s has label %d, want [0,%d)", ErrLabel, labelWhere(ds, i), l, classes)
		}
	}
	return nil
}

// Files are the files ds is read from: an image folder's listing (every
// image, --limit or not), the images and labels files of IDX and NPY data,
// CIFAR's batches; none for data built in memory. Commands refuse to write
// an output over one of them.
func Files(ds Dataset) []string {
	switch d := ds.(type) {
	case *Folder:
		return d.files
	case *Memory:
		return d.Files
	case *subset:
		return Files(d.Dataset)
	}
	return nil
}

// Unread are files beside ds's that look like its format's files but are
// not named as the format names them (a copy, "data_batch_1 copy.bin"), so
// were not read; commands warn of them. None for other data.
func Unread(ds Dataset) []string {
	switch d := ds.(type) {
	case *Memory:
		return d.Unread
	case *subset:
		return Unread(d.Dataset)
	}
	return nil
}

// labelFile is the file ds's labels come from: Memory.LabelFile where set,
// else the data set itself.
func labelFile(ds Dataset) string {
	switch d := ds.(type) {
	case *Memory:
		if d.LabelFile != "" {
			return d.LabelFile
		}
	case *subset:
		return labelFile(d.Dataset)
	}
	return ds.Info().Name
}

// labelWhere names image i's label for messages: as where does, but in
// the label file when the labels have their own.
func labelWhere(ds Dataset, i int) string {
	switch d := ds.(type) {
	case *Memory:
		if d.LabelFile != "" {
			return fmt.Sprintf("%s: image %d", d.LabelFile, i)
		}
	case *subset:
		return labelWhere(d.Dataset, d.idx[i])
	}
	return where(ds, i)
}

// maxLabel is the largest label, or -1 for an empty list.
func maxLabel(labels []int) int {
	m := -1
	for _, l := range labels {
		m = max(m, l)
	}
	return m
}

// Check verifies that ds fits a model taking want-shaped input with
// numClasses outputs once p (nil: no preprocessing) is applied: ds is not
// empty (ErrEmpty), declares at most numClasses classes (ErrClasses), has
// every label in [0, numClasses) (ErrLabel) and its first image maps to
// want (ErrShape). Only the first image's header is read: the rest are
// checked as Batches decodes them, so that opening a folder of a million
// files reads none of them.
func Check(ds Dataset, p *Preprocess, want Shape, numClasses int) error {
	info := ds.Info()
	if ds.Len() == 0 {
		return fmt.Errorf("%w: %s holds no images", ErrEmpty, info.Name)
	}
	err := checkLabels(ds, numClasses) // names the first image beyond the model's classes
	switch {
	case info.Classes > numClasses && err != nil:
		return fmt.Errorf("%w: %s has %d classes, the model %d outputs: %w", ErrClasses, labelFile(ds), info.Classes, numClasses, err)
	case info.Classes > numClasses:
		return fmt.Errorf("%w: %s has %d classes, the model %d outputs", ErrClasses, labelFile(ds), info.Classes, numClasses)
	case err != nil:
		return err
	}
	if p == nil {
		p = &Preprocess{}
	}
	in, err := ds.Shape(0)
	if err != nil {
		return err
	}
	out, err := p.OutShape(in)
	if err != nil {
		return fmt.Errorf("%s: %w", where(ds, 0), err)
	}
	if out != want {
		return fmt.Errorf("%w: %s is %v, becomes %v after preprocessing, the model wants %v",
			ErrShape, where(ds, 0), in, out, want)
	}
	return nil
}

// named is a data set whose classes have names and can be renumbered by
// another list of them (Options.Classes): an image folder, and a Memory
// data set whose format names its classes (Fashion-MNIST, CIFAR).
type named interface {
	classNames() []string
	useClasses(names []string) error
}

// classNames are m's own class names (none for unnamed formats).
func (m *Memory) classNames() []string { return m.ClassNames }

// useClasses renumbers m's labels by names, as Folder.useClasses does.
func (m *Memory) useClasses(names []string) error {
	labels, err := renumber(m.Labels, m.ClassNames, names, labelFile(m))
	if err != nil {
		return err
	}
	m.Labels, m.ClassNames, m.Classes = labels, names, len(names)
	return nil
}

// sharesName reports whether any of own is among names (sameName).
func sharesName(own, names []string) bool {
	for _, n := range own {
		if slices.ContainsFunc(names, func(m string) bool { return sameName(n, m) }) {
			return true
		}
	}
	return false
}

// sameName compares class names in Unicode's composed form (NFC): macOS
// names a folder "café" with a combining accent (NFD), Linux and Windows
// with a precomposed é, and a split copied from one beside a split made on
// the other is the same class, though its bytes differ.
func sameName(a, b string) bool { return a == b || nameKey(a) == nameKey(b) }

// nameKey is the form sameName compares.
func nameKey(name string) string { return norm.NFC.String(name) }

// renumber maps labels, indices into own, to the indices of the same names
// in names; a class with images whose name is not among names is an
// ErrClasses error naming where.
func renumber(labels []int, own, names []string, where string) ([]int, error) {
	index := map[string]int{}
	for i, n := range names {
		index[nameKey(n)] = i
	}
	to := make([]int, len(own)) // own class → its index in names, once per class
	for c, n := range own {
		k, ok := index[nameKey(n)]
		to[c] = k
		if !ok {
			to[c] = -1
		}
	}
	out := make([]int, len(labels))
	for i, l := range labels {
		if to[l] < 0 {
			return nil, fmt.Errorf("%w: class %q of %s is not among the %d classes the model's outputs are numbered by (%s)", ErrClasses, own[l], where, len(names), listNames(names))
		}
		out[i] = to[l]
	}
	return out, nil
}

// FloatPixelsLikeBytes reports whether ds holds float pixels that are all
// whole numbers, the largest (returned) above 1: bytes 0..255 saved as
// floats (x.astype("float32") without / 255), which Preprocess takes as
// already on ToTensor's [0,1] scale, so that they go in up to 255 times
// too bright. Pixels already scaled or normalized are not whole numbers.
// Only float data held in memory (an NPY pair) is looked at.
func FloatPixelsLikeBytes(ds Dataset) (float32, bool) {
	for {
		s, ok := ds.(*subset)
		if !ok {
			break
		}
		ds = s.Dataset
	}
	m, ok := ds.(*Memory)
	if !ok || m.F32 == nil {
		return 0, false
	}
	var hi float32
	for _, v := range m.F32 {
		if float64(v) != math.Trunc(float64(v)) {
			return 0, false
		}
		hi = max(hi, v)
	}
	return hi, hi > 1
}

// subset is a view of some of a dataset's images.
type subset struct {
	Dataset
	idx []int
}

func (s *subset) Len() int                   { return len(s.idx) }
func (s *subset) Label(i int) int            { return s.Dataset.Label(s.idx[i]) }
func (s *subset) Shape(i int) (Shape, error) { return s.Dataset.Shape(s.idx[i]) }
func (s *subset) Image(i int) (Image, error) { return s.Dataset.Image(s.idx[i]) }

// where names image i of ds in an error: its file in an image folder, else
// the data set and the image's index in it, through any subsets (a holdout,
// --limit) so that the index is the one the user's data has.
func where(ds Dataset, i int) string {
	switch d := ds.(type) {
	case *Folder:
		return d.File(i)
	case *subset:
		return where(d.Dataset, d.idx[i])
	}
	return fmt.Sprintf("%s: image %d", ds.Info().Name, i)
}

// Subset is the view of ds holding images idx[0], idx[1], ... in that order.
func Subset(ds Dataset, idx []int) (Dataset, error) {
	for _, i := range idx {
		if i < 0 || i >= ds.Len() {
			return nil, fmt.Errorf("dataset: %s: subset index %d out of range [0,%d)", ds.Info().Name, i, ds.Len())
		}
	}
	return &subset{ds, append([]int(nil), idx...)}, nil
}

// Head is the view of ds's first min(n, ds.Len()) images.
func Head(ds Dataset, n int) Dataset {
	idx := make([]int, max(0, min(n, ds.Len())))
	for i := range idx {
		idx[i] = i
	}
	return &subset{ds, idx}
}
