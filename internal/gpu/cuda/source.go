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
	"relu_fwd", "relu_mask", "relu_bwd_mask", "add", "accumulate", "sgd_update", "permute01", "bias_add",
	"moments_part", "moments_mean", "moments_var", "dot_part", "dot_final", "minmax_part", "minmax_final",
	"absmean_part", "absmean_final",
	"bn_apply", "bn_normalize", "bn_bwd_dx", "gap_fwd", "gap_bwd", "maxpool_fwd", "maxpool_bwd",
	"softmax_xent", "sign_scale", "pack_signs", "encode_codes", "decode_codes", "im2col", "col2im",
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
