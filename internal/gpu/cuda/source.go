// Package cuda holds the CUDA C sources of the GPU backend's kernels,
// embedded so that the binary carries them: package gpu compiles them with
// NVRTC on the device, and the CPU emulation (package emu, tests only)
// compiles the same text as C++. prelude.cu says what every file may use.
package cuda

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.cu
var files embed.FS

// order is the sources in compile order (prelude first).
var order = []string{"prelude", "elementwise", "reduce", "bn", "pool", "loss", "binary", "conv"}

// Kernels are the entry points (extern "C" __global__ functions) the
// backend looks up after loading; a test holds the list to the sources.
var Kernels = []string{
	"fill", "relu_fwd", "relu_mask", "mask_in_range", "zero_unmasked", "zero_outside", "clip", "accumulate",
	"combine", "sgd_update", "broadcast_fwd", "broadcast_grad", "bias_add", "add_bias", "bias_grad",
	"minmax_part", "minmax_final", "channel_sums", "plane_lanes", "chan_lanes", "fold_lanes", "combine_planes",
	"chan_stats", "bn_apply", "bn_normalize", "bn_eval", "running_update", "bnrelu_prep", "bnrelu_encode",
	"bnrelu_decode", "relu_input_decode", "grad_lanes", "bn_grad_coef", "bn_grad_dx", "maxpool_fwd",
	"maxpool_bwd", "avgpool_fwd", "avgpool_bwd", "softmax_rows", "cross_entropy", "kl_divergence", "loss_grad",
	"scale_rows", "scale_layer", "sign_scale", "encode_codes", "decode_codes", "im2col", "col2im",
	"out_from_cols", "cols_from_out",
}

// Source returns the concatenated sources NVRTC compiles as one program.
func Source() string {
	var b strings.Builder
	for _, f := range order {
		data, err := files.ReadFile(f + ".cu")
		if err != nil {
			panic(fmt.Sprintf("cuda: embedded source %s.cu: %v", f, err)) // the embed pattern guarantees it
		}
		fmt.Fprintf(&b, "// ---- %s.cu\n", f)
		b.Write(data)
	}
	return b.String()
}
