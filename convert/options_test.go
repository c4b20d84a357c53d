package convert

import (
	"slices"
	"testing"
)

// TestSplitList: a backslash escapes a comma inside an item, so a node
// whose name holds a comma can be kept float; it used to be split in two.
func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		" first, ,last ":  {"first", "last"},
		`conv\,0,last`:    {"conv,0", "last"},
		`a\\,b`:           {`a\`, "b"},
		`a\b,c\`:          {`a\b`, `c\`},
		`\,`:              {","},
		"":                nil,
		`x\\\,y,z`:        {`x\,y`, "z"},
		"/l.0/conv1/Conv": {"/l.0/conv1/Conv"},
	} {
		if got := SplitList(in); !slices.Equal(got, want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
	for _, items := range [][]string{{"conv,0", `a\`, "b"}, {`x\,y`}, {"first", "last"}, nil} {
		if got := SplitList(JoinList(items)); !slices.Equal(got, items) {
			t.Errorf("SplitList(JoinList(%q)) = %q (joined %q)", items, got, JoinList(items))
		}
	}
}
