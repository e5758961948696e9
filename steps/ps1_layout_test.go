package steps

import (
	"strings"
	"testing"
)

// In every script the help block's "Where to run it:" is followed by an
// indented paragraph, like every other heading there (the template once
// trimmed the first line's indentation away).
func TestPS1WhereToRunItIsIndented(t *testing.T) {
	for _, c := range allCases() {
		id := c.name
		arts, err := Generate(c.in)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for _, a := range arts {
			if !strings.HasSuffix(a.Name, ".ps1") {
				continue
			}
			lines := strings.Split(strings.ReplaceAll(a.Text, "\r\n", "\n"), "\n")
			found := false
			for i, l := range lines {
				if strings.TrimSpace(l) != "Where to run it:" {
					continue
				}
				found = true
				if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "      ") || strings.TrimSpace(lines[i+1]) == "" {
					t.Errorf("%s %s: line after %q is %q", id, a.Name, l, lines[i+1])
				}
			}
			if !found {
				t.Errorf("%s %s: no \"Where to run it:\"", id, a.Name)
			}
		}
	}
}
