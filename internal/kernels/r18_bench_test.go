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

// benchTrainConv times Conv2D and its two gradients for p, by Winograd
// ("wino") and by the direct paths ("direct") when p qualifies.
func benchTrainConv(b *testing.B, p ConvParams) {
	name := fmt.Sprintf("C%dH%dK%dk%dS%d", p.C, p.H, p.K, p.KH, p.StrideH)
	r := newRand(1)
	x, w, dy := randSlice(r, p.XLen()), randSlice(r, p.WLen()), randSlice(r, p.YLen())
	y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
	ways := []string{"direct"}
	if p.winograd() {
		ways = append(ways, "wino")
	}
	for _, way := range ways {
		run := func(what string, f func()) {
			b.Run(what+"/"+name+"/"+way, func(b *testing.B) {
				if way == "direct" {
					defer func(m int) { winoMinChannels = m }(winoMinChannels)
					winoMinChannels = 1 << 30
				}
				benchFlops(b, p.flops(), "GFLOP/s", f)
			})
		}
		run("fwd", func() { Conv2D(p, x, w, nil, y) })
		run("bwdData", func() { Conv2DBackwardData(p, dy, w, dx) })
		run("bwdFilter", func() { Conv2DBackwardFilter(p, x, dy, dw) })
	}
}
