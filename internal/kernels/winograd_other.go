//go:build purego || !amd64

package kernels

// winoAVX2 is false: without assembly, Winograd runs only where a test asks.
const winoAVX2 = false
