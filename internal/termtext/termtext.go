package termtext

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean replaces every control character of s, newlines and tabs
// included, with '?': for one line, or one cell of a table.
func Clean(s string) string { return clean(s, "") }

// NewWriter returns a writer that passes text to w with every control
// character but newline and tab replaced by '?': for the tables and
// listings a command prints for people, whose layout uses those two.
func NewWriter(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (t writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(t.w, clean(string(p), "\n\t")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// clean replaces the control characters of s, but those in keep, with
// '?'. Bytes that are not UTF-8 pass as they are (a writer may get a
// character split across two writes).
func clean(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsControl(r) && !strings.ContainsRune(keep, r) {
			b.WriteByte('?')
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
