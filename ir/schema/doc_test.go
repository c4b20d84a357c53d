package schema

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the op table of docs/OPERATORS.md from the op layer, keeping its notes")

const (
	opsDoc     = "../../docs/OPERATORS.md"
	tableBegin = "<!-- begin op table: TestOperatorsDoc holds it to ir/schema -->"
	tableEnd   = "<!-- end op table -->"
)

// TestOperatorsDoc holds the op table of docs/OPERATORS.md to the op layer
// in both directions: every op of every domain with its opsets and the
// stages that implement it, and nothing else. -update rewrites the table
// (keeping each row's notes).
func TestOperatorsDoc(t *testing.T) {
	data, err := os.ReadFile(opsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", opsDoc, tableBegin, tableEnd)
	}
	rows, notes := parseOpRows(doc[i+len(tableBegin) : j])
	want := map[string]string{}
	var lines []string
	for _, op := range Ops() {
		key := op.Domain + " " + op.Type
		want[key] = opRow(op)
		lines = append(lines, want[key]+" "+notes[key]+" |")
	}
	if *update {
		table := "\n" + opHeader() + "\n" + strings.Join(lines, "\n") + "\n"
		out := doc[:i+len(tableBegin)] + table + doc[j:]
		if err := os.WriteFile(opsDoc, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for key, row := range want {
		switch got, ok := rows[key]; {
		case !ok:
			t.Errorf("docs/OPERATORS.md lacks %s (run go test ./ir/schema -run TestOperatorsDoc -update)", key)
		case got != row:
			t.Errorf("docs/OPERATORS.md row of %s is\n%s\nthe op layer says\n%s", key, got, row)
		}
	}
	for key := range rows {
		if _, ok := want[key]; !ok {
			t.Errorf("docs/OPERATORS.md lists %s, which the op layer does not know", key)
		}
	}
}

// opHeader is the table's header and rule.
func opHeader() string {
	h, rule := "| Op | Domain | Opsets |", "|----|--------|--------|"
	for _, st := range Stages {
		h += " " + string(st) + " |"
		rule += ":-:|"
	}
	return h + " Notes |\n" + rule + "-------|"
}

// opRow is a row without its notes: "| Op | domain | since-until | ✓ | | ... |".
func opRow(op *Op) string {
	s := fmt.Sprintf("| %s | %s | %d-%d |", op.Type, DomainName(op.Domain), op.Since, op.Until)
	for _, st := range Stages {
		mark := " "
		if op.stages.Has(st) {
			mark = "✓"
		}
		s += " " + mark + " |"
	}
	return s
}

// parseOpRows returns each row without its notes, and the notes, by
// "domain Type" (domain "" for ai.onnx).
func parseOpRows(table string) (rows, notes map[string]string) {
	rows, notes = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5+len(Stages) || strings.TrimSpace(cells[1]) == "Op" || strings.HasPrefix(strings.TrimSpace(cells[1]), "--") {
			continue
		}
		op, dom := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		if dom == "ai.onnx" {
			dom = ""
		}
		key := dom + " " + op
		last := len(cells) - 2 // the notes cell, before the closing |
		row := "|"
		for _, c := range cells[1:last] {
			c = strings.TrimSpace(c)
			if c == "" {
				c = " "
			}
			row += " " + c + " |"
		}
		rows[key], notes[key] = row, strings.TrimSpace(cells[last])
	}
	return rows, notes
}
