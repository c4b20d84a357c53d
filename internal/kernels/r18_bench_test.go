package kernels

import (
	"fmt"
	"testing"
)

// resnet18Convs are the distinct convolutions of ResNet-18 (224×224) at batch n.
func resnet18Convs(n int) []ConvParams {
	mk := func(c, hw, k, ks, s, pad int) ConvParams {
		return ConvParams{N: n, C: c, H: hw, W: hw, K: k, KH: ks, KW: ks, StrideH: s, StrideW: s,
			PadTop: pad, PadLeft: pad, PadBottom: pad, PadRight: pad, DilationH: 1, DilationW: 1, Groups: 1}
	}
	return []ConvParams{mk(3, 224, 64, 7, 2, 3), mk(64, 56, 64, 3, 1, 1), mk(64, 56, 128, 3, 2, 1), mk(128, 28, 128, 3, 1, 1),
		mk(128, 28, 256, 3, 2, 1), mk(256, 14, 256, 3, 1, 1), mk(256, 14, 512, 3, 2, 1), mk(512, 7, 512, 3, 1, 1), mk(256, 14, 512, 1, 2, 0)}
}

func BenchmarkResNet18Convs(b *testing.B) {
	for _, p := range resnet18Convs(32) {
		name := fmt.Sprintf("C%dH%dK%dk%dS%d", p.C, p.H, p.K, p.KH, p.StrideH)
		r := newRand(1)
		taps := p.C * p.KH * p.KW
		x, scale, bias := randSlice(r, p.XLen()), randSlice(r, p.K), randSlice(r, p.K)
		wb := randBits(r, p.K, taps)
		y := make([]float32, p.YLen())
		b.Run("binary/"+name, func(b *testing.B) {
			benchFlops(b, p.flops(), "GFLOP/s", func() { BinaryConv2D(p, x, wb, scale, bias, y) })
		})
		b.Run("int8/"+name, func(b *testing.B) {
			benchFlops(b, p.flops(), "GOP/s", func() { BinaryConv2DInt8(p, x, wb, scale, bias, y) })
		})
	}
}

// BenchmarkResNet18Train times the training passes of ResNet-18's
// convolutions at batch 32 (effective GFLOP/s: 2·MACs of the direct
// convolution per second), the Winograd-eligible ones both ways.
func BenchmarkResNet18Train(b *testing.B) {
	for _, p := range resnet18Convs(32) {
		benchTrainConv(b, p)
	}
}

// BenchmarkResNet50Train is BenchmarkResNet18Train for ResNet-50's
// distinct convolutions.
func BenchmarkResNet50Train(b *testing.B) {
	for _, p := range resnet50Convs(32) {
		benchTrainConv(b, p)
	}
}

// resnet50Convs are the distinct convolutions of ResNet-50 (224×224) at
// batch n, stem and 3×3 stride-2 ones left out (ResNet-18 has them).
func resnet50Convs(n int) []ConvParams {
	mk := func(c, hw, k, ks, s int) ConvParams {
		return ConvParams{N: n, C: c, H: hw, W: hw, K: k, KH: ks, KW: ks, StrideH: s, StrideW: s,
			PadTop: ks / 2, PadLeft: ks / 2, PadBottom: ks / 2, PadRight: ks / 2, DilationH: 1, DilationW: 1, Groups: 1}
	}
	return []ConvParams{mk(64, 56, 256, 1, 1), mk(256, 56, 64, 1, 1), mk(512, 28, 128, 1, 1), mk(128, 28, 512, 1, 1),
		mk(1024, 14, 256, 1, 1), mk(256, 14, 1024, 1, 1), mk(2048, 7, 512, 1, 1), mk(512, 7, 2048, 1, 1),
		mk(512, 28, 1024, 1, 2), mk(1024, 14, 2048, 1, 2), mk(128, 28, 128, 3, 1), mk(256, 14, 256, 3, 1)}
}

// benchTrainConv times Conv2D and its two gradients for p by the path it
// takes ("default") and, where p qualifies for one, without Winograd
// ("direct") or one image per GEMM ("unbatched").
func benchTrainConv(b *testing.B, p ConvParams) {
	name := fmt.Sprintf("C%dH%dK%dk%dS%d", p.C, p.H, p.K, p.KH, p.StrideH)
	r := newRand(1)
	x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
	y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
	ways := []string{"default"}
	if p.winograd() {
		ways = append(ways, "direct")
	}
	if p.pointwiseBatch() > 1 {
		ways = append(ways, "unbatched")
	}
	for _, way := range ways {
		run := func(what string, f func()) {
			b.Run(what+"/"+name+"/"+way, func(b *testing.B) {
				defer func(m, c int) { winoMinChannels, pointwiseCols = m, c }(winoMinChannels, pointwiseCols)
				switch way {
				case "direct":
					winoMinChannels = 1 << 30
				case "unbatched":
					pointwiseCols = 0
				}
				benchFlops(b, p.flops(), "GFLOP/s", f)
			})
		}
		run("fwd", func() { Conv2D(p, x, w, nil, y) })
		run("bwdData", func() { Conv2DBackwardData(p, dy, w, dx) })
		run("bwdFilter", func() { Conv2DBackwardFilter(p, x, dy, dw) })
	}
}

// BenchmarkResNet20Train is BenchmarkResNet18Train for ResNet-20's
// convolutions at its training batch, 128.
func BenchmarkResNet20Train(b *testing.B) {
	for _, p := range resnet20Convs(128) {
		benchTrainConv(b, p)
	}
}

// BenchmarkWRNTrain is BenchmarkResNet18Train for the 3×3 stride-1
// convolutions of McDonnell's WRN-20-4 at batch 128.
func BenchmarkWRNTrain(b *testing.B) {
	for _, cw := range [][2]int{{64, 32}, {128, 16}, {256, 8}} {
		c, hw := cw[0], cw[1]
		benchTrainConv(b, ConvParams{N: 128, C: c, H: hw, W: hw, K: c, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1})
	}
}
