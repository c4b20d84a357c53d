// Package reftest holds the helpers that tests share to hold bincompress to
// its references: building and running the C99 export with gcc, comparing
// float outputs within a relative tolerance, locating ONNX's backend tests
// and checking golden lists (a conformance test's skips) against a file. It is for _test.go
// files only: the product never imports it.
//
// # The C harness
//
// BuildC compiles NAME.c from a folder written by the C export together
// with a main that reads images of NAME_INPUT_SIZE floats from stdin until
// EOF and writes NAME_OUTPUT_SIZE floats per image to stdout, with the
// warning flags CFlags (every warning an error). RunC feeds it a batch.
//
// # In tests
//
// NeedGCC skips the test when gcc is missing, and NeedONNXTestData when
// libonnx-testdata is, except under CI=true, where both are installed and
// their absence is a failure.
package reftest
