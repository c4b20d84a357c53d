package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bincompress/bincompress/internal/safefile"
)

// Folder is an image folder dataset: one subfolder per class, named after
// it, holding image files of the formats imageFormats lists (PNG, JPEG,
// BMP, TIFF, WebP, PPM or PGM; searched recursively, in the order of
// torchvision's ImageFolder, links to folders followed, hidden names and
// __MACOSX skipped).
// Classes are the sorted subfolder names, as torchvision's ImageFolder
// sorts them. Opening lists the files and reads none of them; an image's
// header is read when its shape is asked for and again when it is decoded,
// and is checked against the pixel ceiling before anything is decoded.
// Each image keeps its own channels: one for grayscale, three otherwise
// (Preprocess.Channels reconciles them with the model).
type Folder struct {
	root    string
	classes []string
	files   []string
	labels  []int
	dec     *decoder
}

// maxSide bounds image, resize and crop sizes, so that a hostile header or
// setting cannot demand gigabytes.
const maxSide = 1 << 14

// skipped reports whether a file or folder name is left out of an image
// folder: hidden names, and __MACOSX, the folder of ._ resource forks that
// a zip made on macOS unpacks to beside the data, which is not a class.
func skipped(name string) bool { return strings.HasPrefix(name, ".") || name == "__MACOSX" }

// subdirs lists dir's subfolders that are not skipped, sorted, links to
// folders included.
func subdirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var names []string
	for _, e := range ents {
		if isDir(dir, e) && !skipped(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// isDir reports whether entry e of dir is a folder or a link to one, as
// Python's DirEntry.is_dir (torchvision's find_classes) says: a data set
// assembled from links (ln -s /data/cats train/cat) is read as the folders
// they name, not silently missing those classes.
func isDir(dir string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

// OpenFolder opens dir as an image folder with the default options.
func OpenFolder(dir string) (*Folder, error) {
	return openFolder(dir, newDecoder(0))
}

func openFolder(dir string, dec *decoder) (*Folder, error) {
	classes, err := folderClasses(dir)
	if err != nil {
		return nil, err
	}
	f := &Folder{root: dir, classes: classes, dec: dec}
	for label, class := range classes {
		n := len(f.files)
		if err := f.addClass(filepath.Join(dir, class), label); err != nil {
			return nil, err
		}
		if len(f.files) == n {
			return nil, fmt.Errorf("%w: class folder %s holds no %s files", ErrEmpty, filepath.Join(dir, class), formatNames(", ", " or "))
		}
	}
	return f, nil
}

// folderClasses are an image folder's classes, its subfolders' names
// (subdirs); a folder of none is ErrEmpty.
func folderClasses(dir string) ([]string, error) {
	classes, err := subdirs(dir)
	if err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%w: %s has no class subfolders%s", ErrEmpty, dir, unreadData(dir))
	}
	return classes, nil
}

// unreadData names, for the error of a folder with no classes, NumPy files
// in it that are there to be read but are not: an .npz archive, a gzipped
// .npy, arrays not named x and y (x_train, X_test, ... are read).
func unreadData(dir string) string {
	for _, c := range []struct{ glob, why string }{
		{"*.npz", ".npz archives are not read: save the arrays as x.npy and y.npy"},
		{"*.npy.gz", "gzipped .npy files are not read: gunzip them"},
		{"*.npy", "NPY data is read from x.npy and y.npy, or x_train/y_train and x_test/y_test"},
	} {
		if m, _ := filepath.Glob(filepath.Join(dir, c.glob)); len(m) > 0 {
			return fmt.Sprintf(" (it holds %s: %s)", filepath.Base(m[0]), c.why)
		}
	}
	return ""
}

// addClass lists one class folder's images in torchvision's order,
// following links to folders as its os.walk(followlinks=True) does and
// skipping hidden files and folders, as subdirs skips hidden classes: a
// Jupyter .ipynb_checkpoints copy is not a second image of its class, nor
// macOS's ._photo.jpg resource fork an unreadable one. Only the
// directory entries are read; an image name that is not a regular file (a
// FIFO, a device, a link to one or to nothing) is an error, and so is a
// link back to a folder it is in, which would list its images forever.
func (f *Folder) addClass(dir string, label int) error {
	var groups []listed
	if err := walk(dir, nil, &groups); err != nil {
		return err
	}
	// make_dataset walks sorted(os.walk(...)): folder by folder in the
	// order of their paths, so a folder's own files come before those of
	// its subfolders, and a/x's after "a b"'s; image i is then the same
	// file as torchvision's samples[i] (--limit, holdout, messages).
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].dir < groups[j].dir })
	for _, g := range groups {
		for _, p := range g.files {
			f.files = append(f.files, p)
			f.labels = append(f.labels, label)
		}
	}
	return nil
}

// walked is a folder walk is in.
type walked struct {
	path string
	st   os.FileInfo
}

// listed is one folder's images, sorted by name.
type listed struct {
	dir   string
	files []string
}

// walk lists the images of dir and its subfolders into groups, one per
// folder; above are the folders dir is in.
func walk(dir string, above []walked, groups *[]listed) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	for _, a := range above {
		if os.SameFile(a.st, st) {
			return fmt.Errorf("dataset: %s is a link to %s, a folder it is in, which would list its images forever", dir, a.path)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	var files []string
	for _, e := range ents {
		if skipped(e.Name()) {
			continue // as hidden class folders: .ipynb_checkpoints, macOS's ._x.jpg
		}
		path := filepath.Join(dir, e.Name())
		if isDir(dir, e) {
			if err := walk(path, append(above, walked{dir, st}), groups); err != nil {
				return err
			}
			continue
		}
		if !isImageFile(path) {
			continue
		}
		if !e.Type().IsRegular() {
			if _, err := safefile.CheckRegular(path, math.MaxInt64); err != nil {
				if target, lerr := os.Readlink(path); lerr == nil && errors.Is(err, fs.ErrNotExist) {
					// A dangling link is no FIFO: say what is missing.
					return fmt.Errorf("dataset: %s: a link to %s, which does not exist: %w", path, target, err)
				}
				return fmt.Errorf("dataset: %s: %w", path, err)
			}
		}
		files = append(files, path)
	}
	*groups = append(*groups, listed{dir, files})
	return nil
}

// Len is the number of images.
func (f *Folder) Len() int { return len(f.files) }

// Label is image i's class index.
func (f *Folder) Label(i int) int { return f.labels[i] }

// Shape reads image i's header.
func (f *Folder) Shape(i int) (Shape, error) { return f.dec.header(f.files[i]) }

// File is image i's path.
func (f *Folder) File(i int) string { return f.files[i] }

// Info describes f.
func (f *Folder) Info() Info {
	return Info{Name: f.root, Format: "imagefolder", Classes: len(f.classes), ClassNames: f.classes}
}

// Image decodes image i.
func (f *Folder) Image(i int) (Image, error) {
	if i < 0 || i >= f.Len() {
		return Image{}, fmt.Errorf("dataset: %s: image %d out of range [0,%d)", f.root, i, f.Len())
	}
	return f.dec.decode(f.files[i])
}

// classNames are f's classes, its sorted subfolder names.
func (f *Folder) classNames() []string { return f.classes }

// useClasses relabels f with the class list of another split (train's),
// so that both splits agree on label numbers. Every class of f must be in
// names.
func (f *Folder) useClasses(names []string) error {
	labels, err := renumber(f.labels, f.classes, names, f.root)
	if err != nil {
		return err
	}
	f.labels, f.classes = labels, names
	return nil
}
