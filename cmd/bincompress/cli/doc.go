// Package cli is the bincompress command line: a cobra command tree whose
// commands each parse flags into an Options struct and hand it to a run
// function that wires the library packages together.
//
// # Policy
//
// Only this package reads flags, touches stdout and stderr, and decides exit
// codes. Machine output (--json) goes to stdout; progress and logs go to
// stderr. Every output file is written to a temporary file and renamed into
// place, so a failed run leaves no partial artifact.
//
// # Exit codes
//
//	0 success
//	1 failure (bad input, I/O, unsupported model)
//	2 usage error (unknown flag, missing argument)
//	3 accuracy gate failed (verify --max-drop / --min-accuracy)
package cli
