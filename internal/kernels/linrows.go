package kernels

// linRows applies a small matrix to rows of vectors: with k = len(soffs)
// source rows (at most 6) and m = len(doffs) destination rows,
//
//	dst[doffs[i]+l] = Σ_{r<k} coef[i·k+r] · src[soffs[r]+l]   for i < m, l < n
//
// (the sum in order of r; the AVX-512 body fuses each product into it,
// so the two differ in the last bits).
// The Winograd transforms are this map, on rows of tiles or channels.
// Destination rows must not overlap the sources.
func linRows(n int, coef, src []float32, soffs []int, dst []float32, doffs []int) {
	k, m := len(soffs), len(doffs)
	if n <= 0 || m == 0 {
		return
	}
	if len(coef) < m*k || k == 0 || k > 6 {
		panic("kernels: linRows: want 1 to 6 sources and m·k coefficients")
	}
	for _, o := range soffs {
		_ = src[o : o+n]
	}
	for _, o := range doffs {
		_ = dst[o : o+n]
	}
	if linRowsFast(n, coef, src, soffs, dst, doffs) {
		return
	}
	for i, d := range doffs {
		row, c := dst[d:d+n], coef[i*k:(i+1)*k]
		s0 := src[soffs[0] : soffs[0]+n]
		for l := range row {
			row[l] = c[0] * s0[l]
		}
		for r := 1; r < k; r++ {
			s := src[soffs[r] : soffs[r]+n]
			for l := range row {
				row[l] += c[r] * s[l]
			}
		}
	}
}
