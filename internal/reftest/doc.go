// Package reftest holds the helpers that tests share to hold bincompress to
// its references: building and running the C99 export with gcc, and
// comparing float outputs within a relative tolerance. It is for _test.go
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
// NeedGCC skips the test when gcc is missing, except under CI=true, where
// gcc is installed and its absence is a failure.
package reftest
