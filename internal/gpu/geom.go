package gpu

import "fmt"

// ConvGeom is a 2-D convolution's geometry (groups = 1), NCHW.
type ConvGeom struct {
	N, C, H, W, K, KH, KW                         int
	StrideH, StrideW, PadTop, PadLeft, DilH, DilW int
	OH, OW                                        int // output size, given by the caller
}

// Rows is C·KH·KW, the rows of the column matrix and the columns of W.
func (g ConvGeom) Rows() int { return g.C * g.KH * g.KW }

// Cols is N·OH·OW, the columns of the column matrix.
func (g ConvGeom) Cols() int { return g.N * g.OH * g.OW }

func (g ConvGeom) valid() error {
	ok := g.N >= 0 && g.C > 0 && g.H > 0 && g.W > 0 && g.KH > 0 && g.KW > 0 && g.StrideH > 0 &&
		g.StrideW > 0 && g.DilH > 0 && g.DilW > 0 && g.OH > 0 && g.OW > 0 && g.PadTop >= 0 && g.PadLeft >= 0
	if !ok || (g.OH-1)*g.StrideH-g.PadTop+(g.KH-1)*g.DilH < 0 || (g.OW-1)*g.StrideW-g.PadLeft+(g.KW-1)*g.DilW < 0 {
		return fmt.Errorf("gpu: bad convolution geometry %+v", g)
	}
	return nil
}

// PoolGeom is a max pooling's geometry over Planes = N·C planes.
type PoolGeom struct {
	Planes, H, W, OH, OW, KH, KW, StrideH, StrideW, PadTop, PadLeft int
}

func (g PoolGeom) valid() error {
	if g.Planes < 0 || g.H < 1 || g.W < 1 || g.OH < 1 || g.OW < 1 || g.KH < 1 || g.KW < 1 || g.KH*g.KW > 256 ||
		g.StrideH < 1 || g.StrideW < 1 || g.PadTop < 0 || g.PadLeft < 0 || g.PadTop >= g.KH || g.PadLeft >= g.KW {
		return fmt.Errorf("gpu: bad pooling geometry %+v", g)
	}
	return nil
}
