package kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// onnxNodeDir holds ONNX's own backend node tests (Debian libonnx-testdata).
const onnxNodeDir = "/usr/share/libonnx-testdata/data/node"

// TestConvONNXNodeTests runs Conv2D and Conv2DRef on ONNX's Conv node tests,
// whose expected outputs come from ONNX's reference implementation. The
// attributes are those of each test's model.onnx; shapes come from the
// tensors.
func TestConvONNXNodeTests(t *testing.T) {
	if _, err := os.Stat(onnxNodeDir); err != nil {
		t.Skip("ONNX node test data not installed:", err)
	}
	cases := []struct {
		name                     string
		stride                   int
		top, left, bottom, right int
	}{
		{"test_basic_conv_with_padding", 1, 1, 1, 1, 1},
		{"test_basic_conv_without_padding", 1, 0, 0, 0, 0},
		{"test_conv_with_strides_padding", 2, 1, 1, 1, 1},
		{"test_conv_with_strides_no_padding", 2, 0, 0, 0, 0},
		{"test_conv_with_strides_and_asymmetric_padding", 2, 1, 0, 1, 0},
		{"test_conv_with_autopad_same", 2, 1, 1, 1, 1}, // SAME_LOWER, 3×3 over 5×5
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(onnxNodeDir, tc.name, "test_data_set_0")
			x, xd := readTensorPB(t, filepath.Join(dir, "input_0.pb"))
			w, wd := readTensorPB(t, filepath.Join(dir, "input_1.pb"))
			want, yd := readTensorPB(t, filepath.Join(dir, "output_0.pb"))
			p := ConvParams{N: xd[0], C: xd[1], H: xd[2], W: xd[3], K: wd[0], KH: wd[2], KW: wd[3],
				StrideH: tc.stride, StrideW: tc.stride, PadTop: tc.top, PadLeft: tc.left,
				PadBottom: tc.bottom, PadRight: tc.right, DilationH: 1, DilationW: 1, Groups: xd[1] / wd[1]}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if p.OutH() != yd[2] || p.OutW() != yd[3] {
				t.Fatalf("output %dx%d, ONNX has %dx%d", p.OutH(), p.OutW(), yd[2], yd[3])
			}
			for name, conv := range map[string]func(ConvParams, []float32, []float32, []float32, []float32){
				"Conv2D": Conv2D, "Conv2DRef": Conv2DRef} {
				y := make([]float32, p.YLen())
				conv(p, x, w, nil, y)
				if err := closeTo(y, want, 1e-5); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

// TestConvTransposeONNXNodeTests runs Conv2DBackwardData (and its
// reference) on ONNX's ConvTranspose node tests: ConvTranspose(X, W) is the
// data gradient of the convolution from Y's space to X's, with ONNX's
// ConvTranspose weights [C_in, C_out/G, kH, kW] being that convolution's
// [K, C/G, kH, kW].
func TestConvTransposeONNXNodeTests(t *testing.T) {
	if _, err := os.Stat(onnxNodeDir); err != nil {
		t.Skip("ONNX node test data not installed:", err)
	}
	cases := []struct {
		name                     string
		sh, sw, dil              int
		top, left, bottom, right int
	}{
		{"test_convtranspose", 1, 1, 1, 0, 0, 0, 0},
		{"test_convtranspose_pads", 3, 2, 1, 1, 2, 1, 2},
		{"test_convtranspose_dilations", 1, 1, 2, 0, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(onnxNodeDir, tc.name, "test_data_set_0")
			x, xd := readTensorPB(t, filepath.Join(dir, "input_0.pb"))
			w, wd := readTensorPB(t, filepath.Join(dir, "input_1.pb"))
			want, yd := readTensorPB(t, filepath.Join(dir, "output_0.pb"))
			p := ConvParams{N: yd[0], C: yd[1], H: yd[2], W: yd[3], K: xd[1], KH: wd[2], KW: wd[3],
				StrideH: tc.sh, StrideW: tc.sw, PadTop: tc.top, PadLeft: tc.left, PadBottom: tc.bottom,
				PadRight: tc.right, DilationH: tc.dil, DilationW: tc.dil, Groups: 1}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if p.OutH() != xd[2] || p.OutW() != xd[3] {
				t.Fatalf("conv output %dx%d, ConvTranspose input is %dx%d", p.OutH(), p.OutW(), xd[2], xd[3])
			}
			for name, back := range map[string]func(ConvParams, []float32, []float32, []float32){
				"Conv2DBackwardData": Conv2DBackwardData, "Conv2DBackwardDataRef": Conv2DBackwardDataRef} {
				dx := make([]float32, p.XLen())
				back(p, x, w, dx)
				if err := closeTo(dx, want, 1e-5); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

// readTensorPB reads a float32 TensorProto: dims (field 1), data_type
// (field 2, must be FLOAT), float_data (field 4) or raw_data (field 9).
func readTensorPB(t *testing.T, path string) ([]float32, []int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vals, dims, err := parseTensorPB(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return vals, dims
}

func parseTensorPB(b []byte) ([]float32, []int, error) {
	var dims []int
	var vals []float32
	var raw []byte
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, nil, errors.New("bad field key")
		}
		b = b[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, nil, errors.New("bad varint")
			}
			b = b[n:]
			switch {
			case field == 1:
				dims = append(dims, int(v))
			case field == 2 && v != 1:
				return nil, nil, fmt.Errorf("data_type %d, want FLOAT", v)
			}
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, nil, errors.New("bad length")
			}
			body := b[n : n+int(l)]
			b = b[n+int(l):]
			switch field {
			case 1:
				for len(body) > 0 {
					v, m := binary.Uvarint(body)
					if m <= 0 {
						return nil, nil, errors.New("bad packed dims")
					}
					dims, body = append(dims, int(v)), body[m:]
				}
			case 4:
				raw = append(raw, body...)
			case 9:
				raw = body
			}
		case 5:
			if field == 4 {
				raw = append(raw, b[:4]...)
			}
			b = b[4:]
		case 1:
			b = b[8:]
		default:
			return nil, nil, fmt.Errorf("wire type %d", wire)
		}
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		vals = append(vals, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
	}
	return vals, dims, nil
}
