package kernels

// The Winograd transforms' passes across tiles. A row of 4·n (+2) values
// holds n tiles side by side, tile t at columns 4t …; both passes work on
// 16 tiles at a time in the AVX-512 bodies.

// winoRowRoom is how many floats a row of n tiles must have room for: the
// AVX-512 bodies read and write whole 16-tile blocks (64 floats), and
// winoSplit 4 more.
func winoRowRoom(n int) int { return 64*((n+15)/16) + 4 }

// kept is how many of n tiles are kept when every seg-th (the tiles
// t ≡ seg−1 mod seg, a segment's padding) is dropped; seg 0 keeps all.
func kept(n, seg int) int {
	if seg == 0 {
		return n
	}
	return n - n/seg
}

// winoSplit takes k columns (4 or 6) of each tile in six rows to m
// transformed values: for rows i < 6 and tiles t < n, with
// d_c = src[i·sstride + 4t + c],
//
//	dst[(i·m+j)·dstride + t'] = Σ_{c<k} coef[j·k+c] · d_c   (j < m)
//
// where the tiles t ≡ seg−1 (mod seg) are dropped and t' = t − ⌊t/seg⌋
// (seg 0: none dropped, t' = t). Each source row must have winoRowRoom(n)
// readable floats; values past 4n+k−4 only feed tiles past n.
func winoSplit(n, k, m int, coef, src []float32, sstride int, dst []float32, dstride, seg int) {
	if n <= 0 || kept(n, seg) == 0 {
		return
	}
	_ = src[5*sstride+winoRowRoom(n)-1]
	_ = dst[(6*m-1)*dstride+kept(n, seg)-1]
	_ = coef[m*k-1]
	if winoSplitFast(n, k, m, coef, src, sstride, dst, dstride, seg) {
		return
	}
	for i := range 6 {
		row := src[i*sstride:]
		for j := range m {
			c, out := coef[j*k:(j+1)*k], dst[(i*m+j)*dstride:]
			for t := range n {
				if seg > 0 && t%seg == seg-1 {
					continue
				}
				d := row[4*t : 4*t+k]
				s := c[0] * d[0]
				for q := 1; q < k; q++ {
					s += c[q] * d[q]
				}
				out[kept(t, seg)] = s
			}
		}
	}
}

// winoMerge takes the 6 values of six rows of each tile, one per point
// row pstride apart, to 4 interleaved results: for rows i < 6 and tiles
// t < n, with m_c = src[(6i+c)·pstride + t'] (t' as in winoSplit; 0 for
// the dropped tiles),
//
//	dst[i·dstride + 4t + j] = Σ_{c<6} coef[j·6+c] · m_c   (j < 4)
//
// Each destination row must have room for winoRowRoom(n) floats; those
// past 4n are left undefined.
func winoMerge(n int, coef, src []float32, pstride int, dst []float32, dstride, seg int) {
	if n <= 0 {
		return
	}
	_ = src[35*pstride+max(kept(n, seg), 1)-1]
	_ = dst[5*dstride+winoRowRoom(n)-1]
	_ = coef[23]
	if winoMergeFast(n, coef, src, pstride, dst, dstride, seg) {
		return
	}
	for i := range 6 {
		out := dst[i*dstride:]
		for t := range n {
			var m [6]float32
			for c := range m {
				if seg == 0 || t%seg != seg-1 {
					m[c] = src[(6*i+c)*pstride+kept(t, seg)]
				}
			}
			for j := range 4 {
				c := coef[j*6 : j*6+6]
				s := c[0] * m[0]
				for q := 1; q < 6; q++ {
					s += c[q] * m[q]
				}
				out[4*t+j] = s
			}
		}
	}
}
