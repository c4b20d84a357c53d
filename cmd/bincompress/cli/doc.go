// Package cli is the bincompress command line: a cobra command tree whose
// commands each parse flags into an Options struct and hand it to a run
// function that wires the library packages together.
//
// # Policy
//
// Only this package reads flags, touches stdout and stderr, and decides exit
// codes (docs/CI.md states the guarantees).
//
//   - Flags: every value is checked before any work (checkFlags for finite
//     numbers and non-empty paths, each command's validate for ranges).
//   - Files: a command declares its inputs and outputs in a files value and
//     stages them first: an output that resolves to an input or another
//     output is refused, every output is a temporary until the whole run
//     succeeded (internal/safefile), and SIGINT, SIGTERM, SIGHUP and
//     SIGPIPE remove them.
//   - Models are checked before they run: graph, ops, and a shape pass under
//     the element limit (--max-elements).
//   - Streams: results a person reads go to stdout (stderr when --json puts
//     JSON there); logs, warnings and progress go to stderr through a logger.
//     A long phase reports through logger.progress: a bar on a terminal, a
//     line every 30 s elsewhere; --quiet silences logs and progress.
//
// # Exit codes
//
//	0   success (with a gate: it passed)
//	1   failure (bad input, I/O, unsupported model)
//	2   usage error (flags and arguments only)
//	3   accuracy gate failed (--max-drop / --min-accuracy)
//	130 interrupted by SIGINT, 143 by SIGTERM, 129 by SIGHUP, 141 by SIGPIPE
package cli
