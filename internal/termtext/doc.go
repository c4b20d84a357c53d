// Package termtext makes text read from files safe to print on a
// terminal. Names in a model (nodes, producer, dimensions), class names in
// a data set (folder names) and labels in a .bnn can hold control
// characters: printed raw, ESC and its kin move the cursor, clear the
// screen, retitle the window or write the clipboard of whoever inspects an
// untrusted file. Every control character (C0, DEL and C1) becomes '?'.
// JSON output keeps names as they are: it is read by programs, and
// encoding/json escapes the C0 characters.
package termtext
