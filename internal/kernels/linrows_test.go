package kernels

import (
	"fmt"
	"testing"
)

// TestLinRows holds linRows (the AVX-512 body where there is one) to a
// plain float64 evaluation of the map, over lengths around whole vectors,
// overlapping and strided source rows, and 1 to 6 sources and destinations.
func TestLinRows(t *testing.T) {
	r := newRand(11)
	for _, n := range []int{1, 5, 15, 16, 17, 33, 100} {
		for k := 1; k <= 6; k++ {
			for m := 1; m <= 6; m++ {
				src := randSlice(r, 3*n+k*7)
				soffs := make([]int, k)
				for i := range soffs {
					soffs[i] = (i * 7) % (2*n + 1) // rows may overlap
				}
				coef := randSlice(r, m*k)
				dst := newGuarded(m * (n + 3))
				doffs := make([]int, m)
				for i := range doffs {
					doffs[i] = (m - 1 - i) * (n + 3) // any order
				}
				d := dst.data()
				for i := range d {
					d[i] = sentinel
				}
				linRows(n, coef, src, soffs, d, doffs)
				name := fmt.Sprintf("n=%d k=%d m=%d", n, k, m)
				dst.check(t, name)
				for i := range m {
					for l := range n + 3 {
						got := d[doffs[i]+l]
						if l >= n {
							if got != sentinel {
								t.Fatalf("%s: wrote past row %d", name, i)
							}
							continue
						}
						var want float64
						for j := range k {
							want += float64(coef[i*k+j]) * float64(src[soffs[j]+l])
						}
						if err := closeTo([]float32{got}, []float32{float32(want)}, 1e-6); err != nil {
							t.Fatalf("%s: row %d lane %d: %v", name, i, l, err)
						}
					}
				}
			}
		}
	}
}
