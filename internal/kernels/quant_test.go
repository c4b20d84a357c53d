package kernels

import "testing"

// BenchmarkQuantHelpers times the int8 path's vector helpers on a
// 32×32-position row (the assembly where the CPU has it; -tags purego for
// the Go loops).
func BenchmarkQuantHelpers(b *testing.B) {
	const n = 1024
	r := newRand(2)
	x, y, add := randSlice(r, 4*n), randSlice(r, n), randSlice(r, n)
	dst, src := make([]uint32, n), make([]int32, n)
	for i := range src {
		src[i] = r.Int32N(20000) - 10000
	}
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				f()
			}
		})
	}
	run("maxAbs", func() { maxAbsBits(x[:n]) })
	run("quantRows4", func() { quantRows4(x[:n], x[n:2*n], x[2*n:3*n], x[3*n:], 40, dst) })
	run("dequantRow", func() { dequantRow(src, 7, 0.01, -0.5, y) })
	run("epilogue", func() { Epilogue{Add: add, ReLU: true}.apply(y, 0) })
}
