package infer

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestOperatorsDoc keeps docs/OPERATORS.md and the op tables identical: the
// same ops, domains and opset ranges in both directions.
func TestOperatorsDoc(t *testing.T) {
	data, err := os.ReadFile("../docs/OPERATORS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.TrimSpace(cells[1]) == "Op" || strings.HasPrefix(strings.TrimSpace(cells[1]), "--") {
			continue
		}
		row := fmt.Sprintf("%s %s %s", strings.TrimSpace(cells[2]), strings.TrimSpace(cells[1]), strings.TrimSpace(cells[3]))
		if doc[row] {
			t.Errorf("docs/OPERATORS.md lists %q twice", row)
		}
		doc[row] = true
	}
	table := map[string]bool{}
	for domain, ops := range domains {
		if domain == "" {
			domain = "ai.onnx"
		}
		for op, def := range ops {
			table[fmt.Sprintf("%s %s %d-%d", domain, op, def.since, def.until)] = true
		}
	}
	for _, row := range sortedKeys(table) {
		if !doc[row] {
			t.Errorf("op table has %q, docs/OPERATORS.md does not", row)
		}
	}
	for _, row := range sortedKeys(doc) {
		if !table[row] {
			t.Errorf("docs/OPERATORS.md has %q, the op table does not", row)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
