package export

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/onnx"
)

// TestPackedSizeRatio holds onnx-packed to at most 1/20 of the float
// ResNet-18 it came from (issue 3), encoded as the CLI writes it.
func TestPackedSizeRatio(t *testing.T) {
	const name = "resnet18_w16_op13"
	fi, err := os.Stat(filepath.Join(modelsDir, name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ONNXPacked(loadBNN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(fi.Size()) / float64(len(data))
	t.Logf("%s: float %d bytes, onnx-packed %d bytes (1/%.1f)", name, fi.Size(), len(data), ratio)
	if ratio < 20 {
		t.Errorf("onnx-packed is 1/%.1f of the float model, want at most 1/20", ratio)
	}
}

// TestSizes checks Sizes against the files the exports write and against
// the table docs/EXPORT.md records, and prints the table (go test -run
// Sizes -v).
func TestSizes(t *testing.T) {
	names := []string{"resnet20_cifar_op11", "resnet18_w16_op13"}
	if !testing.Short() {
		names = append(names, "resnet18_w8_op11", "resnet50_w8_op17", "fmnist_tiny")
	}
	doc := docSizes(t)
	for _, name := range names {
		bnn := loadBNN(t, name)
		sizes, err := Sizes(bnn, onnx.Encode)
		if err != nil {
			t.Fatal(err)
		}
		row := []int64{fileSize(t, filepath.Join(modelsDir, name+".onnx"))}
		for _, s := range sizes {
			row = append(row, s.Bytes)
		}
		row = append(row, sizes[len(sizes)-1].FlashBytes, sizes[len(sizes)-1].RAMBytes)
		if !slices.Equal(doc[name], row) {
			t.Errorf("docs/EXPORT.md's size table says %s is %v, measured %v (float .onnx, %s, C flash, C RAM)", name, doc[name], row, strings.Join(Formats, ", "))
		}
		if len(sizes) != len(Formats) {
			t.Fatalf("%d sizes for %d formats", len(sizes), len(Formats))
		}
		dir := t.TempDir()
		for _, s := range sizes {
			var n int64
			if s.Format == "c" {
				if err := WriteC(dir, "bnn", bnn); err != nil {
					t.Fatal(err)
				}
				n = fileSize(t, filepath.Join(dir, "bnn.h")) + fileSize(t, filepath.Join(dir, "bnn.c"))
				fp, err := Footprint(bnn)
				if err != nil || fp.FlashBytes != s.FlashBytes || fp.RAMBytes != s.RAMBytes || fp.FlashBytes == 0 {
					t.Errorf("%s: Footprint %+v (%v) disagrees with Sizes %+v", name, fp, err, s)
				}
			} else {
				m, err := Model(bnn, s.Format)
				if err != nil {
					t.Fatal(err)
				}
				n = fileSize(t, writeModel(t, dir, s.Format+".onnx", m))
			}
			if n != s.Bytes {
				t.Errorf("%s %s: Sizes says %d bytes, the file has %d", name, s.Format, s.Bytes, n)
			}
			t.Logf("%s\t%s\t%d bytes\tflash %d\tram %d", name, s.Format, s.Bytes, s.FlashBytes, s.RAMBytes)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// docSizes reads the table of docs/EXPORT.md's "Sizes and footprints": the
// byte counts of each model's row, by model name.
func docSizes(t *testing.T) map[string][]int64 {
	t.Helper()
	text, err := os.ReadFile("../docs/EXPORT.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]int64{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\w+) \(\d+×\d+×\d+\) \|(.*)\|$`).FindAllStringSubmatch(string(text), -1) {
		var row []int64
		for _, cell := range strings.Split(m[2], "|") {
			n, err := strconv.ParseInt(strings.ReplaceAll(strings.Fields(cell)[0], ",", ""), 10, 64)
			if err != nil {
				t.Fatalf("docs/EXPORT.md, %s: %v", m[1], err)
			}
			row = append(row, n)
		}
		rows[m[1]] = row
	}
	return rows
}
