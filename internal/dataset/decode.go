package dataset

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // a GIF under a .png or .jpg name, which PIL reads too
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "golang.org/x/image/bmp"  // registers the BMP decoder
	_ "golang.org/x/image/tiff" // registers the TIFF decoder
	_ "golang.org/x/image/webp" // registers the WebP decoder
	"golang.org/x/sync/semaphore"
)

// The netpbm formats (netpbm.go), P1 to P6, whatever their extension, as
// PIL reads them.
func init() {
	for _, magic := range []string{"P1", "P2", "P3", "P4", "P5", "P6"} {
		image.RegisterFormat("netpbm", magic, decodePNM, decodePNMConfig)
	}
}

// imageFormats are the image file formats an image folder reads, by the
// name messages and docs give them, with their file extensions: those of
// torchvision's IMG_EXTENSIONS, all of which the decoders registered above
// read, so that a folder torchvision reads whole is not read here without
// some of its files (GTSRB ships as .ppm). GIF, which torchvision skips, is
// skipped too, and so are .pbm and .pnm, which it skips as well (a .ppm or
// .pgm may hold a bitmap all the same); a GIF under one of these names is
// read, its first frame, as PIL reads it (gifOpaque). This is the one
// list: isImageFile, the empty-class error and LoadImage's doc follow it,
// and a test holds doc.go and the README to it.
var imageFormats = []struct {
	name string
	exts []string
}{
	{"PNG", []string{".png"}},
	{"JPEG", []string{".jpg", ".jpeg"}},
	{"BMP", []string{".bmp"}},
	{"TIFF", []string{".tif", ".tiff"}},
	{"WebP", []string{".webp"}},
	{"PPM", []string{".ppm"}}, // netpbm, any of P1 to P6, as PIL reads them
	{"PGM", []string{".pgm"}},
}

// isImageFile reports whether name has the extension (any case) of one of
// imageFormats.
func isImageFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, f := range imageFormats {
		if slices.Contains(f.exts, ext) {
			return true
		}
	}
	return false
}

// formatNames lists imageFormats' names joined by sep, the last by last:
// formatNames(", ", " or ") is "PNG, JPEG, BMP, TIFF, WebP, PPM or PGM".
func formatNames(sep, last string) string {
	var b strings.Builder
	for i, f := range imageFormats {
		switch {
		case i == 0:
		case i == len(imageFormats)-1:
			b.WriteString(last)
		default:
			b.WriteString(sep)
		}
		b.WriteString(f.name)
	}
	return b.String()
}

// DefaultMaxPixels is the largest image (width × height) an image file may
// declare, 40 megapixels; Options.MaxPixels changes it. An image is checked
// against it from its header, before anything is decoded.
const DefaultMaxPixels = 40_000_000

// decoder decodes image files within a pixel budget: one image may have at
// most max pixels, and the images being decoded at any moment, by all
// goroutines together, at most max pixels in all (a few bytes each: the
// decoded image and its CHW copy), so memory stays bounded whatever the
// worker count.
type decoder struct {
	max    int64
	budget *semaphore.Weighted
}

func newDecoder(maxPixels int64) *decoder {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	return &decoder{max: maxPixels, budget: semaphore.NewWeighted(maxPixels)}
}

// header reads path's image header: its shape (one channel for grayscale,
// three otherwise), after checking that it is a regular file and that the
// image is within the ceiling.
func (d *decoder) header(path string) (Shape, error) {
	f, s, err := d.open(path)
	if err != nil {
		return Shape{}, err
	}
	f.Close()
	return s, nil
}

// open opens a regular file and reads and checks its image header; the
// caller closes the file.
func (d *decoder) open(path string) (*os.File, Shape, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, Shape{}, err
	}
	s, err := d.readHeader(f, path)
	if err != nil {
		f.Close()
		return nil, Shape{}, err
	}
	return f, s, nil
}

// source is what the image decoders read f through: buffered, for
// image.Decode to sniff the format, and with random access straight from
// the file. TIFF's decoder reads at the offsets its header names; given only
// a stream it buffers all of it up to them, so that a 200-byte file naming
// a strip at 4 GB made it allocate 4 GB, before the pixel ceiling could
// say no. From the file, such a read finds the end of the file.
func source(f *os.File) io.Reader {
	return struct {
		*bufio.Reader
		io.ReaderAt
	}{bufio.NewReader(f), f}
}

// readHeader reads an image header from f and checks its size.
func (d *decoder) readHeader(f *os.File, path string) (Shape, error) {
	cfg, _, err := image.DecodeConfig(source(f))
	if errors.Is(err, image.ErrFormat) {
		// "image: unknown format" says neither what the file is nor what
		// was wanted: a zero-byte file (a failed download) or a text file.
		if st, serr := f.Stat(); serr == nil && st.Size() == 0 {
			return Shape{}, fmt.Errorf("%w: %s: an empty file (0 bytes), not an image", ErrImage, path)
		}
		return Shape{}, fmt.Errorf("%w: %s: not a %s image (%v)", ErrImage, path, formatNames(", ", " or "), err)
	}
	if err != nil {
		return Shape{}, undecoded(f, path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxSide || cfg.Height > maxSide {
		return Shape{}, fmt.Errorf("%w: %s: %dx%d pixels (at most %d a side)", ErrTooLarge, path, cfg.Width, cfg.Height, maxSide)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > d.max {
		return Shape{}, fmt.Errorf("%w: %s: %dx%d is %d pixels, over the ceiling of %d", ErrTooLarge, path, cfg.Width, cfg.Height, px, d.max)
	}
	c := 3
	if cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model {
		c = 1
	}
	return Shape{c, cfg.Height, cfg.Width}, nil
}

// undecoded is the ErrImage error for path, whose decoder failed with err.
// An animated WebP, which golang.org/x/image/webp does not read, is named
// as such: its "webp: invalid format" reads as a damaged file.
func undecoded(f *os.File, path string, err error) error {
	var b [21]byte // RIFF, size, WEBP, VP8X, chunk size, flags
	if n, _ := f.ReadAt(b[:], 0); n == len(b) && string(b[:4]) == "RIFF" && string(b[8:16]) == "WEBPVP8X" && b[20]&0x02 != 0 {
		return fmt.Errorf("%w: %s: an animated WebP, which is not read (PIL reads its first frame: save that as a still image): %v", ErrImage, path, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrImage, path, err)
}

// decode reads path into CHW bytes: the header is checked first, then the
// image waits for its pixels in the shared budget before decoding.
func (d *decoder) decode(path string) (Image, error) {
	f, s, err := d.open(path)
	if err != nil {
		return Image{}, err
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Image{}, fmt.Errorf("%w: %s: %v", ErrImage, path, err)
	}
	px := int64(s.H) * int64(s.W)
	_ = d.budget.Acquire(context.Background(), px) // cannot fail: no deadline, px <= max
	defer d.budget.Release(px)
	m, format, err := image.Decode(source(f))
	if err != nil {
		return Image{}, undecoded(f, path, err)
	}
	if b := m.Bounds(); b.Dx() != s.W || b.Dy() != s.H {
		return Image{}, fmt.Errorf("%w: %s: decoded %dx%d, header said %dx%d", ErrImage, path, b.Dx(), b.Dy(), s.W, s.H)
	}
	if format == "gif" {
		gifOpaque(f, m)
	}
	return toCHW(m, s.C, format), nil
}

// gifOpaque gives the transparent colour of a GIF's first frame (a GIF
// saved under a .png or .jpg name, as scraped data sets hold) back the RGB
// its colour table holds: image/gif makes that entry transparent black,
// where PIL's convert("RGB") keeps the colour. m is image.Decode's frame;
// a table that cannot be read leaves it as it is.
func gifOpaque(f *os.File, m image.Image) {
	p, ok := m.(*image.Paletted)
	if !ok {
		return
	}
	r := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil
		}
		return b
	}
	table := func(flags byte) []byte { return read(3 << (flags&7 + 1)) }
	head := read(13) // signature, screen size, flags, background, aspect
	if head == nil {
		return
	}
	var colors []byte
	if head[10]&0x80 != 0 {
		colors = table(head[10])
	}
	trans := -1
	for {
		c, err := r.ReadByte()
		if err != nil {
			return
		}
		switch c {
		case 0x21: // extension: label, then blocks up to an empty one
			label, _ := r.ReadByte()
			for {
				n, err := r.ReadByte()
				if err != nil {
					return
				}
				if n == 0 {
					break
				}
				b := read(int(n))
				if b == nil {
					return
				}
				if label == 0xf9 && n == 4 && b[0]&1 != 0 { // graphic control: transparency
					trans = int(b[3])
				}
			}
			continue
		case 0x2c: // the first frame: its own table, if any, is the one it uses
			d := read(9)
			if d == nil {
				return
			}
			if d[8]&0x80 != 0 {
				colors = table(d[8])
			}
		}
		break
	}
	if trans >= 0 && trans < len(p.Palette) && 3*trans+2 < len(colors) {
		p.Palette[trans] = color.RGBA{colors[3*trans], colors[3*trans+1], colors[3*trans+2], 0xff}
	}
}

// LoadImage decodes one image file of a format an image folder reads
// (imageFormats: PNG, JPEG, BMP, TIFF, WebP, PPM or PGM) within DefaultMaxPixels:
// one channel for grayscale, three (RGB, alpha dropped) otherwise.
func LoadImage(path string) (Image, error) {
	return newDecoder(0).decode(path)
}

// readFile is os.ReadFile for regular files only.
func readFile(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return b, nil
}
