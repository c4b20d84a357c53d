package kernels

import "github.com/bincompress/bincompress/internal/bits"

// BinaryConv2DRef is the reference of BinaryConv2D: the float convolution
// with the weights bits.UnpackRows gives.
func BinaryConv2DRef(p ConvParams, x []float32, wbits []uint64, scale, bias, y []float32) {
	w := make([]float32, p.WLen())
	bits.UnpackRows(w, wbits, p.K, p.C/p.Groups*p.KH*p.KW, scale)
	Conv2DRef(p, x, w, bias, y)
}

// BinaryGemmRef is the reference of BinaryGemm: y = x·wᵀ + bias with the
// weights bits.UnpackRows gives.
func BinaryGemmRef(m, n, k int, x []float32, wbits []uint64, scale, bias, y []float32) {
	w := make([]float32, n*k)
	bits.UnpackRows(w, wbits, n, k, scale)
	SgemmRef(false, true, m, n, k, 1, x, max(k, 1), w, max(k, 1), 0, y, max(n, 1))
	if bias != nil {
		for i := range m {
			for j := range n {
				y[i*n+j] += bias[j]
			}
		}
	}
}
