package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Splits are the parts of a data set found at a path. Data without a
// train/test division is in Train; a single file named like a test split
// (t10k-*, *test*) is in Test.
type Splits struct {
	Train Dataset // nil when absent, or not opened (Options.EvalOnly)
	Test  Dataset // nil when absent
	// Unopened are the files of a training split that Options.EvalOnly
	// left unopened, where their names are known without reading them
	// (IDX, NPY, CIFAR): an output is still refused over them (Files).
	Unopened []string
}

// Eval is the split to evaluate on: Test when present, else Train.
func (s *Splits) Eval() Dataset {
	if s.Test != nil {
		return s.Test
	}
	return s.Train
}

// Training is the split to train on; ErrEmpty when there is none.
func (s *Splits) Training() (Dataset, error) {
	if s.Train == nil {
		return nil, fmt.Errorf("%w: no training split", ErrEmpty)
	}
	return s.Train, nil
}

// Options tune Open.
type Options struct {
	// Limit > 0 keeps only the first Limit images of each split, and no
	// more than those (and their labels) is read from the files: a gzipped
	// IDX file is decompressed only that far, so its checksum is not
	// verified.
	Limit int
	// MaxPixels is the largest width × height an image file may declare,
	// checked from its header before decoding (0: DefaultMaxPixels). The
	// images being decoded at once share a budget of MaxPixels pixels.
	MaxPixels int64
	// Classes, when given, are the class names a model's outputs are
	// numbered by (its training split's, or those a .bnn records). An image
	// folder, or data whose format names its classes (Fashion-MNIST, CIFAR),
	// that shares any name with them is numbered by name, so a folder
	// holding some of the classes, or Fashion-MNIST's test split checked
	// against a model trained on a folder of its classes (sorted by name,
	// not in Fashion-MNIST's order), is scored against the right outputs;
	// a class not among them is refused (ErrClasses). Data whose names are
	// all new is refused too (ErrClasses): its own numbering (a folder's
	// sorted order) would be a guess that scores every model against the
	// wrong classes alike. Formats that do not name their classes (NPY,
	// MNIST) number them themselves.
	Classes []string
	// EvalOnly is for a caller that uses only Splits.Eval (verify): when
	// the data has a test split, the training split is not opened, so
	// neither read nor checked (Splits.Train is nil; Splits.Unopened names
	// its files). Only its class folders' names are listed where a test/
	// image folder is numbered by its train/ folder's classes.
	EvalOnly bool
}

// opener carries the options through the format probes.
type opener struct {
	limit int
	dec   *decoder
	// evalOnly: Options.EvalOnly. namesOnly: the folder opened is a
	// train/ whose class names alone are wanted; an image folder is then
	// listed only as far as its class folders' names.
	evalOnly, namesOnly bool
}

// skipTrain reports whether a training split is left unopened: EvalOnly,
// and the data has a test split to evaluate.
func (o *opener) skipTrain(hasTest bool) bool { return o.evalOnly && hasTest }

// Open detects the format of the data at path and loads it with the
// default Options. For a folder it tries, in order:
//
//   - IDX (MNIST, Fashion-MNIST): train-images-idx3-ubyte and
//     train-labels-idx1-ubyte, t10k-* for the test split, each raw or .gz;
//   - CIFAR-10 binary (data_batch_1.bin to data_batch_5.bin, test_batch.bin)
//     or CIFAR-100 binary (train.bin, test.bin; fine labels), also inside a
//     cifar-10-batches-bin or cifar-100-binary subfolder; a numbered batch
//     missing below the highest present is an error (ErrMissing), and
//     other files named like batches ("data_batch_1 copy.bin") are not
//     read but listed by Unread;
//   - an NPY pair: x.npy and y.npy, or x_train.npy/y_train.npy and
//     x_test.npy/y_test.npy, X for x as scikit-learn names them (layouts:
//     see the package documentation); a y.npy without its x.npy is an
//     error, not an image folder;
//   - IDX files inside a raw/ subfolder, where torchvision's MNIST
//     data sets keep them;
//   - train/ and test/ (or val/, valid/, validation/) subfolders, each
//     opened as above, or one of them alone;
//   - an image folder (one subfolder per class).
//
// A file path may name an IDX images file (its labels file is found beside
// it) or an x*.npy or X*.npy file (its y*.npy is found beside it). Only regular files
// are read.
func Open(path string) (*Splits, error) {
	return OpenWith(path, Options{})
}

// OpenWith is Open with options.
func OpenWith(path string, opts Options) (*Splits, error) {
	o := &opener{limit: max(0, opts.Limit), dec: newDecoder(opts.MaxPixels), evalOnly: opts.EvalOnly}
	s, err := o.open(path)
	if err != nil {
		return nil, err
	}
	for _, ds := range []Dataset{s.Train, s.Test} {
		if err := numberByClasses(ds, opts.Classes); err != nil {
			return nil, err
		}
	}
	for _, ds := range []*Dataset{&s.Train, &s.Test} {
		if *ds != nil && o.limit > 0 && (*ds).Len() > o.limit {
			*ds = Head(*ds, o.limit) // image folders: the listing is cheap, the files unread
		}
	}
	return s, nil
}

func (o *opener) open(path string) (*Splits, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("dataset: %s: %w, nor a folder", path, ErrNotRegular)
		}
		return o.openFile(path)
	}
	for _, try := range []func(string) (*Splits, bool, error){o.openIDXDir, o.openCIFAR, o.openNPYDir, o.openNested, o.openSplitDirs} {
		s, ok, err := try(path)
		if ok || err != nil {
			return s, err
		}
	}
	if o.namesOnly {
		classes, err := folderClasses(path)
		if err != nil {
			return nil, err
		}
		return &Splits{Train: &Folder{root: path, classes: classes, dec: o.dec}}, nil
	}
	f, err := openFolder(path, o.dec)
	if err != nil {
		return nil, err
	}
	return &Splits{Train: f}, nil
}

var idxImages = regexp.MustCompile(`^(train|t10k)-images[.-]idx3-ubyte(\.gz)?$`)

// openFile opens a single IDX images file or x*.npy (X*.npy) file.
func (o *opener) openFile(path string) (*Splits, error) {
	base := filepath.Base(path)
	var ds Dataset
	var err error
	switch {
	case idxImages.MatchString(base):
		labels := labelsFor(path)
		if labels == "" {
			return nil, fmt.Errorf("%w: no labels file beside %s", ErrCount, path)
		}
		ds, err = loadIDX(path, labels, o.limit)
	case (strings.HasPrefix(base, "x") || strings.HasPrefix(base, "X")) && strings.HasSuffix(base, ".npy"):
		ds, err = loadNPYPair(path, labelsNPY(path), o.limit)
	default:
		return nil, fmt.Errorf("%w: %s (want a folder, an IDX images file or an x*.npy file)", ErrUnknownFormat, path)
	}
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(base, "t10k") || strings.Contains(base, "test") {
		return &Splits{Test: ds}, nil
	}
	return &Splits{Train: ds}, nil
}

// labelsFor finds the labels file of an IDX images file, raw or .gz.
func labelsFor(images string) string {
	base := strings.TrimSuffix(filepath.Base(images), ".gz")
	base = strings.Replace(strings.Replace(base, "-images", "-labels", 1), "idx3", "idx1", 1)
	for _, name := range []string{base, base + ".gz"} {
		if p := filepath.Join(filepath.Dir(images), name); isRegular(p) {
			return p
		}
	}
	return ""
}

// openIDXDir loads the train and t10k IDX pairs in dir.
func (o *opener) openIDXDir(dir string) (*Splits, bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, fmt.Errorf("dataset: %w", err)
	}
	hasTest := slices.ContainsFunc(ents, func(e os.DirEntry) bool {
		m := idxImages.FindStringSubmatch(e.Name())
		return m != nil && m[1] == "t10k"
	})
	s, found := &Splits{}, false
	for _, e := range ents {
		m := idxImages.FindStringSubmatch(e.Name())
		if m == nil || (m[1] == "train" && s.Train != nil) || (m[1] == "t10k" && s.Test != nil) {
			continue
		}
		found = true
		path := filepath.Join(dir, e.Name())
		labels := labelsFor(path)
		if m[1] == "train" && o.skipTrain(hasTest) {
			s.Unopened = append(s.Unopened, path)
			if labels != "" {
				s.Unopened = append(s.Unopened, labels)
			}
			continue
		}
		if labels == "" {
			return nil, true, fmt.Errorf("%w: no labels file beside %s", ErrCount, path)
		}
		ds, err := loadIDX(path, labels, o.limit)
		if err != nil {
			return nil, true, err
		}
		if m[1] == "train" {
			s.Train = ds
		} else {
			s.Test = ds
		}
	}
	return s, found, nil
}

// labelsNPY is the y*.npy beside an x*.npy or X*.npy file: y, else Y,
// then the rest of the name (y when neither is there, for the error).
func labelsNPY(x string) string {
	dir, rest := filepath.Dir(x), filepath.Base(x)[1:]
	for _, p := range []string{"y", "Y"} {
		if y := filepath.Join(dir, p+rest); isRegular(y) {
			return y
		}
	}
	return filepath.Join(dir, "y"+rest)
}

// xNPY is dir's x<suffix>.npy, else X<suffix>.npy; "" when neither is
// a regular file.
func xNPY(dir, suffix string) string {
	for _, p := range []string{"x", "X"} {
		if x := filepath.Join(dir, p+suffix+".npy"); isRegular(x) {
			return x
		}
	}
	return ""
}

// openNPYDir loads x.npy/y.npy or the x_train/x_test pairs in dir; X for
// x, as scikit-learn names them (X_train, y_train), and Y for y too.
func (o *opener) openNPYDir(dir string) (*Splits, bool, error) {
	load := func(suffix string) (Dataset, bool, error) {
		if x := xNPY(dir, suffix); x != "" {
			m, err := loadNPYPair(x, labelsNPY(x), o.limit)
			return m, true, err
		}
		if y := labelsNPY(filepath.Join(dir, "x"+suffix+".npy")); isRegular(y) {
			// Not an image folder of no classes: the images are missing,
			// or in a file not read (x.npy.gz, an .npz archive).
			return nil, true, fmt.Errorf("%w: %s has no x%s.npy beside it (the images must be a plain .npy file: .npy.gz and .npz are not read)", ErrUnknownFormat, y, suffix)
		}
		return nil, false, nil
	}
	s := &Splits{}
	var okAll, okTest bool
	var err error
	if s.Train, okAll, err = load(""); okAll {
		return s, true, err
	}
	if x := xNPY(dir, "_train"); x != "" && o.skipTrain(xNPY(dir, "_test") != "") {
		s.Unopened, okAll = []string{x, labelsNPY(x)}, true
	} else if s.Train, okAll, err = load("_train"); err != nil {
		return nil, true, err
	}
	if s.Test, okTest, err = load("_test"); err != nil {
		return nil, true, err
	}
	return s, okAll || okTest, nil
}

// openNested opens the folder the CIFAR archives unpack to, or the raw/
// folder torchvision's MNIST, FashionMNIST and KMNIST download
// their IDX files to (ROOT/FashionMNIST/raw), beside processed/ in older
// versions: that folder is the data set, not an image folder of one class
// named raw.
func (o *opener) openNested(dir string) (*Splits, bool, error) {
	for _, name := range []string{"cifar-10-batches-bin", "cifar-100-binary"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.IsDir() {
			return o.openCIFARMust(filepath.Join(dir, name))
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "raw")); err == nil && st.IsDir() {
		if s, ok, err := o.openIDXDir(filepath.Join(dir, "raw")); ok || err != nil {
			return s, true, err
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "cifar-10-batches-py"), filepath.Join(dir, "cifar-100-python")} {
		if pickledCIFAR(d) {
			return nil, true, fmt.Errorf("%w: %s holds CIFAR's Python version (pickled batches, as torchvision downloads it), which is not read: "+
				"use the binary version (cifar-10-binary.tar.gz or cifar-100-binary.tar.gz from the CIFAR site, which unpack to cifar-10-batches-bin or cifar-100-binary)", ErrUnknownFormat, d)
		}
	}
	return nil, false, nil
}

// pickledCIFAR reports whether dir holds CIFAR-10's (data_batch_1 and
// batches.meta) or CIFAR-100's (train and meta) Python batches, which
// would otherwise be read as an image folder of no images.
func pickledCIFAR(dir string) bool {
	has := func(name string) bool { return isRegular(filepath.Join(dir, name)) }
	return has("data_batch_1") && has("batches.meta") || has("train") && has("meta")
}

func (o *opener) openCIFARMust(dir string) (*Splits, bool, error) {
	s, ok, err := o.openCIFAR(dir)
	if !ok && err == nil {
		err = fmt.Errorf("%w: %s holds no CIFAR batches", ErrEmpty, dir)
	}
	return s, true, err
}

// testSplits are the names of a test split's folder, the first present
// taken: test/, else a validation folder as Keras and Kaggle name it.
var testSplits = []string{"test", "val", "valid", "validation"}

// openSplitDirs opens train/ and test/ (or val/, ...) subfolders: when both
// are there (other folders beside them ignored), or when every subfolder is
// one of them (train/ alone, val/ alone, train/ and valid/), which would
// otherwise be read as an image folder whose classes are the split names,
// every image labelled by the split it is in. A folder of classes one of
// which is named train (CIFAR-100's) has other subfolders too.
func (o *opener) openSplitDirs(dir string) (*Splits, bool, error) {
	names, err := subdirs(dir)
	if err != nil {
		return nil, false, err
	}
	has, splits := map[string]bool{}, 0
	for _, n := range names {
		has[n] = true
		if n == "train" || slices.Contains(testSplits, n) {
			splits++
		}
	}
	testName := ""
	for _, n := range testSplits {
		if has[n] {
			testName = n
			break
		}
	}
	if (!has["train"] || testName == "") && (splits == 0 || splits != len(names)) {
		return nil, false, nil
	}
	s := &Splits{}
	train := o
	if has["train"] && o.skipTrain(testName != "") {
		// only the class names of a train/ image folder are needed, to
		// number test/'s by: its images are neither listed nor checked
		train = &opener{limit: o.limit, dec: o.dec, namesOnly: true}
	}
	var trainDS Dataset
	if has["train"] {
		if trainDS, err = train.openOne(filepath.Join(dir, "train")); err != nil {
			return nil, true, err
		}
	}
	if testName != "" {
		if s.Test, err = o.openOne(filepath.Join(dir, testName)); err != nil {
			return nil, true, err
		}
	}
	trf, ok1 := trainDS.(*Folder)
	tef, ok2 := s.Test.(*Folder)
	if ok1 && ok2 {
		if err := tef.useClasses(trf.classes); err != nil {
			return nil, true, err
		}
	}
	if train == o {
		s.Train = trainDS
	} else {
		s.Unopened = Files(trainDS) // IDX, NPY or CIFAR under train/: read, not being a folder, but not used
	}
	return s, true, nil
}

// openOne opens a folder that must hold a single split.
func (o *opener) openOne(dir string) (Dataset, error) {
	s, err := o.open(dir)
	if err != nil {
		return nil, err
	}
	if s.Train != nil && s.Test != nil {
		return nil, fmt.Errorf("%w: split folder %s holds train and test splits itself", ErrUnknownFormat, dir)
	}
	return s.Eval(), nil
}

// numberByClasses renumbers ds, when it names its classes, by the names
// the model's outputs are numbered by. Names all different from those
// are refused: numbering them in their own order would be a guess, and a
// wrong guess scores the model and its reference against the wrong
// classes alike, so a drop gate could pass (a folder named 9..0 for
// classes c0..c9).
func numberByClasses(ds Dataset, classes []string) error {
	n, ok := ds.(named)
	if !ok || len(classes) == 0 || len(n.classNames()) == 0 {
		return nil
	}
	own := n.classNames()
	if !sharesName(own, classes) {
		return fmt.Errorf("%w: %s names its classes %s, none of which is among the %d the model's outputs are numbered by (%s): rename them to the model's class names",
			ErrClasses, ds.Info().Name, listNames(own), len(classes), listNames(classes))
	}
	return n.useClasses(classes)
}

// listNames quotes up to 5 names, then says how many more.
func listNames(names []string) string {
	q := make([]string, 0, 6)
	for i, n := range names {
		if i == 5 {
			q = append(q, fmt.Sprintf("and %d more", len(names)-5))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}
