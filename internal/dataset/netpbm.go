package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// The netpbm formats, as netpbm's format pages (pbm, pgm, ppm) describe
// them: "P1" to "P6", then width, height and (but for bitmaps) maxval in
// decimal, separated by whitespace, with comments from "#" to the end of
// the line; then, after one whitespace byte, the raster. P1, P2 and P3 (a
// bitmap, a gray map and a pixmap) write samples as decimal numbers (P1 as
// 0 and 1, whitespace optional); P4 packs a bitmap's rows 8 pixels to the
// byte, first pixel in the high bit, 1 black; P5 and P6 write a sample as
// a byte when maxval is under 256 and as two bytes, big-endian, otherwise.
//
// Bitmaps and gray maps decode to one channel, pixmaps to three. Samples
// are scaled from maxval, rounded (halves up, where PIL rounds them to
// even: an even maxval's midpoints may differ by a level): to 8 bits
// (image.Gray, image.RGBA) for a maxval up to 255, as PIL does; to 16
// bits (image.Gray16, image.RGBA64) for a larger one, which toCHW then
// takes to 8 bits as it takes a 16-bit PNG's samples, by their high byte
// (PIL rounds v·255/maxval for those, so such pixels may differ from
// PIL's by a level). A sample over maxval is taken as maxval.

// pnmHeader is a netpbm header.
type pnmHeader struct {
	magic  byte // '1' to '6'
	w, h   int
	maxval int   // 1 for bitmaps
	size   int64 // bytes, up to the raster
}

func (h pnmHeader) channels() int {
	if h.magic == '3' || h.magic == '6' {
		return 3
	}
	return 1
}

// rasterBytes is the least number of bytes h's raster can take: exact
// for P4, P5 and P6; for P1 one a pixel, for P2 and P3 two a sample, the
// last one's whitespace aside.
func (h pnmHeader) rasterBytes() int64 {
	n := int64(h.w) * int64(h.h) * int64(h.channels())
	switch h.magic {
	case '4':
		return int64(h.h) * int64((h.w+7)/8)
	case '5', '6':
		if h.maxval > 255 {
			return 2 * n
		}
		return n
	case '2', '3':
		return max(2*n-1, 0)
	}
	return n
}

func (h pnmHeader) colorModel() color.Model {
	switch {
	case h.channels() == 1 && h.maxval > 255:
		return color.Gray16Model
	case h.channels() == 1:
		return color.GrayModel
	case h.maxval > 255:
		return color.RGBA64Model
	}
	return color.RGBAModel
}

// pnmReader reads a netpbm file byte by byte through a buffer, counting
// the bytes it has read.
type pnmReader struct {
	r interface {
		io.Reader
		io.ByteReader
	}
	n int64
}

var errPNMTruncated = errors.New("netpbm: truncated: the file ends before the pixels its header declares")

func newPNMReader(r io.Reader) *pnmReader {
	p := &pnmReader{}
	if br, ok := r.(interface {
		io.Reader
		io.ByteReader
	}); ok {
		p.r = br
	} else {
		p.r = bufio.NewReader(r)
	}
	return p
}

func (p *pnmReader) byte() (byte, error) {
	c, err := p.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, errPNMTruncated
		}
		return 0, fmt.Errorf("netpbm: %w", err)
	}
	p.n++
	return c, nil
}

func isPNMSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// comment skips the rest of a comment, up to and including its end of
// line.
func (p *pnmReader) comment() error {
	for {
		c, err := p.byte()
		if err != nil || c == '\n' || c == '\r' {
			return err
		}
	}
}

// skip skips whitespace and comments and returns the byte after them.
func (p *pnmReader) skip() (byte, error) {
	for {
		c, err := p.byte()
		if err != nil {
			return 0, err
		}
		if c == '#' {
			if err := p.comment(); err != nil {
				return 0, err
			}
		} else if !isPNMSpace(c) {
			return c, nil
		}
	}
}

// number reads a decimal number of at most limit, what of it is, and the
// one byte that ends it: whitespace, or a comment read to its end of line;
// or, if last, the end of the file.
func (p *pnmReader) number(what string, limit int, last bool) (int, error) {
	c, err := p.skip()
	if err != nil {
		return 0, err
	}
	v := int64(0)
	for digits := 0; ; digits++ {
		if c < '0' || c > '9' {
			if digits == 0 {
				return 0, fmt.Errorf("netpbm: %s: %q is not a number", what, c)
			}
			if c == '#' {
				return int(v), p.comment()
			}
			if !isPNMSpace(c) {
				return 0, fmt.Errorf("netpbm: %s: %q after %d", what, c, v)
			}
			return int(v), nil
		}
		if v = 10*v + int64(c-'0'); v > int64(limit) {
			return 0, fmt.Errorf("netpbm: %s over %d", what, limit)
		}
		if c, err = p.byte(); err == errPNMTruncated && last {
			return int(v), nil
		} else if err != nil {
			return 0, err
		}
	}
}

// header reads a netpbm header, up to the one whitespace byte (or the
// comment) before the raster.
func (p *pnmReader) header() (pnmHeader, error) {
	var h pnmHeader
	if a, err := p.byte(); err != nil || a != 'P' {
		return h, errors.New("netpbm: not a netpbm file")
	}
	m, err := p.byte()
	if err != nil || m < '1' || m > '6' {
		return h, errors.New("netpbm: not a P1 to P6 netpbm file")
	}
	h.magic, h.maxval = m, 1
	if h.w, err = p.number("width", 1<<31-1, false); err != nil {
		return h, err
	}
	if h.h, err = p.number("height", 1<<31-1, false); err != nil {
		return h, err
	}
	if m != '1' && m != '4' {
		if h.maxval, err = p.number("maxval", 65535, false); err != nil {
			return h, err
		}
		if h.maxval == 0 {
			return h, errors.New("netpbm: maxval 0")
		}
	}
	h.size = p.n
	return h, nil
}

func decodePNMConfig(r io.Reader) (image.Config, error) {
	h, err := newPNMReader(r).header()
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: h.colorModel(), Width: h.w, Height: h.h}, nil
}

// decodePNM decodes a netpbm image. A reader that is also an io.ReaderAt
// of the file from its start (source's) is first asked for the raster's
// last byte, so that a file cut short is refused before the image is
// allocated; the decoder checks the size its header declares against the
// pixel ceiling before then, and this refuses what is over maxSide a side.
func decodePNM(r io.Reader) (image.Image, error) {
	p := newPNMReader(r)
	h, err := p.header()
	if err != nil {
		return nil, err
	}
	if h.w > maxSide || h.h > maxSide {
		return nil, fmt.Errorf("netpbm: %dx%d pixels (at most %d a side)", h.w, h.h, maxSide)
	}
	if ra, ok := r.(io.ReaderAt); ok && h.w > 0 && h.h > 0 {
		var b [1]byte
		if _, err := ra.ReadAt(b[:], h.size+h.rasterBytes()-1); err != nil {
			return nil, errPNMTruncated
		}
	}
	rect := image.Rect(0, 0, h.w, h.h)
	var pix []byte
	var m image.Image
	bps, stride := 1, 1 // bytes per sample, per pixel
	switch h.colorModel() {
	case color.GrayModel:
		g := image.NewGray(rect)
		pix, m = g.Pix, g
	case color.Gray16Model:
		g := image.NewGray16(rect)
		pix, m, bps, stride = g.Pix, g, 2, 2
	case color.RGBAModel:
		c := image.NewRGBA(rect)
		pix, m, stride = c.Pix, c, 4
	default:
		c := image.NewRGBA64(rect)
		pix, m, bps, stride = c.Pix, c, 2, 8
	}
	if stride > h.channels()*bps { // opaque
		for i := h.channels() * bps; i < len(pix); i += stride {
			for j := range bps {
				pix[i+j] = 0xff
			}
		}
	}
	out := int64(1<<(8*bps) - 1)
	put := func(s int, v int) { // sample s (of all) is v, scaled from maxval to out
		v = min(v, h.maxval)
		i := s/h.channels()*stride + s%h.channels()*bps
		w := (int64(v)*out + int64(h.maxval)/2) / int64(h.maxval)
		if bps == 2 {
			pix[i], pix[i+1] = byte(w>>8), byte(w)
		} else {
			pix[i] = byte(w)
		}
	}
	if err := p.raster(h, put); err != nil {
		return nil, err
	}
	return m, nil
}

// raster reads h's samples in order into put, which scales them.
func (p *pnmReader) raster(h pnmHeader, put func(s, v int)) error {
	n := h.w * h.h * h.channels()
	switch h.magic {
	case '1':
		for s := range n {
			c, err := p.skip()
			if err != nil {
				return err
			}
			if c != '0' && c != '1' {
				return fmt.Errorf("netpbm: pixel %d: %q is not 0 or 1", s, c)
			}
			put(s, int('1'-c)) // 1 is black
		}
	case '2', '3':
		for s := range n {
			v, err := p.number("sample", 65535, s == n-1)
			if err != nil {
				return err
			}
			put(s, v)
		}
	default:
		rowBytes := h.w * h.channels()
		if h.magic == '4' {
			rowBytes = (h.w + 7) / 8
		} else if h.maxval > 255 {
			rowBytes *= 2
		}
		row := make([]byte, rowBytes)
		for y := range h.h {
			if _, err := io.ReadFull(p.r, row); err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return errPNMTruncated
				}
				return fmt.Errorf("netpbm: %w", err)
			}
			s0 := y * h.w * h.channels()
			switch {
			case h.magic == '4':
				for x := range h.w {
					put(s0+x, int(^row[x/8]>>(7-x%8)&1))
				}
			case h.maxval > 255:
				for j := 0; j < len(row); j += 2 {
					put(s0+j/2, int(row[j])<<8|int(row[j+1]))
				}
			default:
				for j, v := range row {
					put(s0+j, int(v))
				}
			}
		}
	}
	return nil
}
