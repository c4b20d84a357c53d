package reftest

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// CFlags are the warning flags the generated code must pass cleanly.
var CFlags = []string{"-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2"}

// NeedGCC returns gcc's path; without gcc it skips the test, except under
// CI=true where it must be there.
func NeedGCC(t testing.TB) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err == nil {
		return cc
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("gcc is required under CI=true: %v", err)
	}
	t.Skipf("gcc not available: %v", err)
	return ""
}

const harness = `#include <stdio.h>
#include <stdlib.h>
#include "PFX.h"

/* Reads images of MACRO_INPUT_SIZE floats from stdin until EOF and writes
   MACRO_OUTPUT_SIZE floats per image to stdout. The workspace comes from
   malloc so that the address sanitizer sees its exact bounds. */
int main(void)
{
    static float in[MACRO_INPUT_SIZE];
    static float out[MACRO_OUTPUT_SIZE];
    void *ws = malloc(MACRO_WORKSPACE_BYTES > 0 ? MACRO_WORKSPACE_BYTES : 1);
    if (ws == NULL) return 3;
    while (fread(in, sizeof(float), MACRO_INPUT_SIZE, stdin) == MACRO_INPUT_SIZE) {
        if (PFX_run(in, out, ws) != 0) return 2;
        if (fwrite(out, sizeof(float), MACRO_OUTPUT_SIZE, stdout) != MACRO_OUTPUT_SIZE) return 4;
    }
    free(ws);
    return 0;
}
`

// BuildC compiles dir/prefix.c (written by the C export) with the harness
// main, CFlags and extra flags, and returns the binary's path.
func BuildC(t testing.TB, dir, prefix string, extra ...string) string {
	t.Helper()
	cc := NeedGCC(t)
	main := strings.NewReplacer("PFX", prefix, "MACRO", strings.ToUpper(prefix)).Replace(harness)
	if err := os.WriteFile(filepath.Join(dir, "main.c"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "model")
	args := append(append(append([]string{}, CFlags...), extra...), "-o", bin, "main.c", prefix+".c", "-lm")
	cmd := exec.Command(cc, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// RunC feeds the float32 batch x image by image to a binary built by
// BuildC and returns its outputs with shape outShape. Anything the binary
// writes to stderr fails the test.
func RunC(t testing.TB, bin string, x *ir.Tensor, outShape []int, env ...string) *ir.Tensor {
	t.Helper()
	xs, err := x.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	if err := binary.Write(&in, binary.LittleEndian, xs); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s wrote to stderr:\n%s", bin, stderr.String())
	}
	y := make([]float32, len(out)/4)
	for i := range y {
		y[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
	}
	return ir.NewFloat32("output", outShape, y)
}
