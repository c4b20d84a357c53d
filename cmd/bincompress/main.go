// Command bincompress turns full-precision ONNX ResNets into models with one
// bit per weight; see README.md and `bincompress --help`.
package main

import (
	"os"

	"github.com/bincompress/bincompress/cmd/bincompress/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Stdio()))
}
