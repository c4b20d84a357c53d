package autograd

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEncode measures the 1-bit and 2-bit codes on a ResNet-20 stage-1
// activation (batch 128, 16 channels, 32×32).
func BenchmarkEncode(b *testing.B) {
	x := randTensor(rand.New(rand.NewPCG(1, 1)), 0, 2, 128, 16, 32, 32)
	for _, bits := range []int{1, 2} {
		b.Run(map[int]string{1: "1bit", 2: "2bit"}[bits], func(b *testing.B) {
			b.SetBytes(int64(4 * len(x.Data)))
			for i := range b.N {
				Encode(x, bits, uint64(i), 1)
			}
		})
	}
}
