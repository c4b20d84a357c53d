package kernels

import "fmt"

// ConvParams describes a 2-D convolution over NCHW float32 tensors:
// input [N, C, H, W], weights [K, C/Groups, KH, KW], output [N, K, OutH, OutW].
// Strides, dilations and Groups must be at least 1 (ONNX's defaults are 1);
// pads may differ on each side.
type ConvParams struct {
	N, C, H, W                           int
	K, KH, KW                            int
	StrideH, StrideW                     int
	PadTop, PadLeft, PadBottom, PadRight int
	DilationH, DilationW                 int
	Groups                               int
}

// OutH is the output height: (H + pads − DilationH·(KH−1) − 1)/StrideH + 1.
func (p ConvParams) OutH() int {
	return outDim(p.H, p.PadTop, p.PadBottom, p.KH, p.StrideH, p.DilationH)
}

// OutW is the output width: (W + pads − DilationW·(KW−1) − 1)/StrideW + 1.
func (p ConvParams) OutW() int {
	return outDim(p.W, p.PadLeft, p.PadRight, p.KW, p.StrideW, p.DilationW)
}

func outDim(in, padA, padB, k, stride, dil int) int {
	if stride < 1 {
		return 0
	}
	span := in + padA + padB - dil*(k-1) - 1
	if span < 0 {
		return 0
	}
	return span/stride + 1
}

// Validate reports the first problem with p: a non-positive size, stride,
// dilation or group count, a negative pad, channels not divisible by Groups,
// or a kernel larger than the padded input.
func (p ConvParams) Validate() error {
	pos := []struct {
		name string
		v    int
	}{
		{"C", p.C}, {"H", p.H}, {"W", p.W}, {"K", p.K}, {"KH", p.KH}, {"KW", p.KW},
		{"StrideH", p.StrideH}, {"StrideW", p.StrideW},
		{"DilationH", p.DilationH}, {"DilationW", p.DilationW}, {"Groups", p.Groups},
	}
	for _, f := range pos {
		if f.v < 1 {
			return fmt.Errorf("kernels: conv %s = %d, want >= 1", f.name, f.v)
		}
	}
	if p.N < 0 {
		return fmt.Errorf("kernels: conv N = %d, want >= 0", p.N)
	}
	for _, pad := range []int{p.PadTop, p.PadLeft, p.PadBottom, p.PadRight} {
		if pad < 0 {
			return fmt.Errorf("kernels: conv pads %d,%d,%d,%d: negative pad",
				p.PadTop, p.PadLeft, p.PadBottom, p.PadRight)
		}
	}
	if p.C%p.Groups != 0 || p.K%p.Groups != 0 {
		return fmt.Errorf("kernels: conv C = %d and K = %d must both be divisible by Groups = %d", p.C, p.K, p.Groups)
	}
	if p.H+p.PadTop+p.PadBottom < p.DilationH*(p.KH-1)+1 ||
		p.W+p.PadLeft+p.PadRight < p.DilationW*(p.KW-1)+1 {
		return fmt.Errorf("kernels: conv kernel %dx%d (dilation %dx%d) is larger than the padded %dx%d input",
			p.KH, p.KW, p.DilationH, p.DilationW, p.H, p.W)
	}
	return nil
}

// XLen, WLen and YLen are the element counts of the input, weight and
// output tensors that p describes.
func (p ConvParams) XLen() int { return p.N * p.C * p.H * p.W }

// WLen is the element count of the weight tensor [K, C/Groups, KH, KW].
func (p ConvParams) WLen() int { return p.K * (p.C / p.Groups) * p.KH * p.KW }

// YLen is the element count of the output tensor [N, K, OutH, OutW].
func (p ConvParams) YLen() int { return p.N * p.K * p.OutH() * p.OutW() }

// mustCheck panics (a programming error, see the package doc) when p is
// invalid or a slice is shorter than p needs.
func (p ConvParams) mustCheck(op string, slices ...namedLen) {
	if err := p.Validate(); err != nil {
		panic(op + ": " + err.Error())
	}
	for _, s := range slices {
		if s.have < s.want {
			panic(fmt.Sprintf("kernels: %s: %s has %d elements, want %d", op, s.name, s.have, s.want))
		}
	}
}

type namedLen struct {
	name       string
	have, want int
}
