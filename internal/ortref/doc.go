// Package ortref runs ONNX models in onnxruntime, the reference that
// bincompress's executor and exporters are held to. It is for _test.go files
// only: the product never imports it (internal/archtest fails otherwise),
// since it needs a source checkout with node_modules.
//
// # How it runs onnxruntime
//
// The CPU build of ONNX Runtime comes with the npm package onnxruntime-node,
// pinned in the repository's package.json and installed into node_modules
// (ONNXRUNTIME_NODE_INSTALL=skip npm ci). Run writes each input as a raw
// little-endian file plus a JSON manifest into a temporary folder, runs
// tools/ort/run.js under node, and reads the outputs back the same way, so
// the package needs neither cgo nor a Go binding of onnxruntime.
//
// The repository root is found by walking up from this package's source
// folder (or, failing that, the working directory) to the go.mod of module
// github.com/bincompress/bincompress.
//
// # In tests
//
// Call SkipOrFail(t) first: when node or onnxruntime-node is missing it skips
// the test with the reason, except under CI=true, where the runtime is
// installed and its absence is a failure.
package ortref
