package dataset

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Folder is an image folder dataset: one subfolder per class, named after
// it, holding PNG or JPEG files (searched recursively, in lexical order).
// Classes are the sorted subfolder names, as torchvision's ImageFolder
// sorts them. Images decode on demand; their sizes are read from the file
// headers when the folder is opened. Grayscale images come back with one
// channel when every image is grayscale, else replicated to three.
type Folder struct {
	root    string
	classes []string
	files   []string
	labels  []int
	shapes  []Shape
	c       int
}

// maxSide bounds image, resize and crop sizes, so that a hostile header or
// setting cannot demand gigabytes.
const maxSide = 1 << 14

// isImageFile reports whether name has a PNG or JPEG extension.
func isImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// subdirs lists dir's non-hidden subfolders, sorted.
func subdirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// OpenFolder opens dir as an image folder.
func OpenFolder(dir string) (*Folder, error) {
	classes, err := subdirs(dir)
	if err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%w: %s has no class subfolders", ErrEmpty, dir)
	}
	f := &Folder{root: dir, classes: classes, c: 1}
	for label, class := range classes {
		n := len(f.files)
		if err := f.addClass(filepath.Join(dir, class), label); err != nil {
			return nil, err
		}
		if len(f.files) == n {
			return nil, fmt.Errorf("%w: class folder %s holds no PNG or JPEG files", ErrEmpty, filepath.Join(dir, class))
		}
	}
	return f, nil
}

// addClass lists one class folder's images and reads their headers.
func (f *Folder) addClass(dir string, label int) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		if d.IsDir() || !isImageFile(path) {
			return nil
		}
		s, err := imageShape(path)
		if err != nil {
			return err
		}
		if s.C == 3 {
			f.c = 3
		}
		f.files = append(f.files, path)
		f.labels = append(f.labels, label)
		f.shapes = append(f.shapes, s)
		return nil
	})
}

// imageShape reads an image file's header.
func imageShape(path string) (Shape, error) {
	r, err := os.Open(path)
	if err != nil {
		return Shape{}, fmt.Errorf("%w: %s: %v", ErrImage, path, err)
	}
	defer r.Close()
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return Shape{}, fmt.Errorf("%w: %s: %v", ErrImage, path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxSide || cfg.Height > maxSide {
		return Shape{}, fmt.Errorf("%w: %s: %dx%d pixels (at most %d a side)", ErrImage, path, cfg.Width, cfg.Height, maxSide)
	}
	c := 3
	if cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model {
		c = 1
	}
	return Shape{c, cfg.Height, cfg.Width}, nil
}

// Len is the number of images.
func (f *Folder) Len() int { return len(f.files) }

// Label is image i's class index.
func (f *Folder) Label(i int) int { return f.labels[i] }

// Shape is image i's shape as Image returns it.
func (f *Folder) Shape(i int) Shape {
	s := f.shapes[i]
	s.C = f.c
	return s
}

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
	img, err := decodeFile(f.files[i], f.c)
	if err == nil && img.Shape != f.Shape(i) {
		err = fmt.Errorf("%w: %s: decoded %v, header said %v", ErrImage, f.files[i], img.Shape, f.Shape(i))
	}
	return img, err
}

// useClasses relabels f with the class list of another split (train's),
// so that both splits agree on label numbers. Every class of f must be in
// names.
func (f *Folder) useClasses(names []string) error {
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	for i, l := range f.labels {
		k, ok := index[f.classes[l]]
		if !ok {
			return fmt.Errorf("%w: class %q of %s is not among the training classes", ErrClasses, f.classes[l], f.root)
		}
		f.labels[i] = k
	}
	f.classes = names
	return nil
}

// LoadImage decodes one PNG or JPEG file: one channel for grayscale, three
// (RGB, alpha dropped) otherwise.
func LoadImage(path string) (Image, error) {
	return decodeFile(path, 0)
}

// decodeFile decodes path into CHW bytes with c channels (0: the image's
// own, 1 for grayscale and 3 otherwise).
func decodeFile(path string, c int) (Image, error) {
	r, err := os.Open(path)
	if err != nil {
		return Image{}, fmt.Errorf("%w: %s: %v", ErrImage, path, err)
	}
	defer r.Close()
	m, _, err := image.Decode(r)
	if err != nil {
		return Image{}, fmt.Errorf("%w: %s: %v", ErrImage, path, err)
	}
	return toCHW(m, c), nil
}

// toCHW converts m to planar bytes. Color is taken non-premultiplied, as
// PIL's convert("RGB") does; gray images are replicated when c is 3.
func toCHW(m image.Image, c int) Image {
	b := m.Bounds()
	h, w := b.Dy(), b.Dx()
	g, isGray := m.(*image.Gray)
	if c == 0 {
		c = 3
		if isGray || m.ColorModel() == color.Gray16Model {
			c = 1
		}
	}
	out := Image{Shape: Shape{c, h, w}, U8: make([]uint8, c*h*w)}
	for y := range h {
		for x := range w {
			var px [3]uint8
			if isGray {
				v := g.Pix[y*g.Stride+x]
				px = [3]uint8{v, v, v}
			} else {
				n := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				px = [3]uint8{n.R, n.G, n.B}
			}
			for ch := range c {
				out.U8[(ch*h+y)*w+x] = px[ch]
			}
		}
	}
	return out
}
