package termtext

import (
	"strings"
	"testing"
)

func TestCleanAndWriter(t *testing.T) {
	hostile := "a\x1b]0;title\x07b\x1b[2Jc\u009b31md\te\nf\x7f"
	if got, want := Clean(hostile), "a?]0;title?b?[2Jc?31md?e?f?"; got != want {
		t.Errorf("Clean = %q, want %q", got, want)
	}
	var b strings.Builder
	n, err := NewWriter(&b).Write([]byte(hostile))
	if want := "a?]0;title?b?[2Jc?31md\te\nf?"; err != nil || n != len(hostile) || b.String() != want {
		t.Errorf("writer wrote %q (n %d, err %v), want %q", b.String(), n, err, want)
	}
	if plain := "日本 <x> \"y\"\n"; Clean(plain) != "日本 <x> \"y\"?" {
		t.Errorf("Clean changed printable text: %q", Clean(plain))
	}
	split := []byte("日")
	b.Reset()
	w := NewWriter(&b)
	w.Write(split[:1])
	w.Write(split[1:])
	if b.String() != "日" {
		t.Errorf("a character split across writes became %q", b.String())
	}
}
