package steps

import (
	"strings"
	"testing"
)

func TestWrapMarkdown(t *testing.T) {
	in := strings.Join([]string{
		"# A heading that is long enough to pass the width of this test, kept",
		"",
		"Short line one",
		"and a hand-wrapped second with `a code span that",
		"continues` here.",
		"",
		"1. An item whose text runs long, longer than the width allows for one line.",
		"   - a nested one",
		"",
		"`Get-Thing -Identity 'x' | Format-List A,B,C,D,E,F`",
		"",
		"> **NOTE:** a note that also runs beyond the width of the test lines.",
		"",
		"```powershell",
		"Set-Something -Identity 'a very long name that must not be wrapped at all'",
		"```",
		"| a | b |",
	}, "\n")
	want := strings.Join([]string{
		"# A heading that is long enough to pass the width of this test, kept",
		"",
		"Short line one and a hand-wrapped",
		"second with",
		"`a code span that continues` here.",
		"",
		"1. An item whose text runs long,",
		"   longer than the width allows for",
		"   one line.",
		"   - a nested one",
		"",
		"`Get-Thing -Identity 'x' | Format-List A,B,C,D,E,F`",
		"",
		"> **NOTE:** a note that also runs",
		"> beyond the width of the test lines.",
		"",
		"```powershell",
		"Set-Something -Identity 'a very long name that must not be wrapped at all'",
		"```",
		"| a | b |",
	}, "\n")
	if got := wrapMarkdown(in, 38); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Every checklist is wrapped to one width, and no code span is split across
// lines (a command copied from it must be one piece).
func TestChecklistWrappedConsistently(t *testing.T) {
	for _, c := range allCases() {
		arts, err := Generate(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		art, err := Find(arts, FormatChecklist)
		if err != nil {
			t.Fatal(err)
		}
		inFence := false
		for i, l := range strings.Split(art.Text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				inFence = !inFence
				continue
			}
			if inFence || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "|") {
				continue
			}
			if strings.Count(l, "`")%2 != 0 {
				t.Errorf("%s line %d splits a code span: %q", c.name, i+1, l)
			}
			if runeLen(l) > checklistWidth && len(codeAwareFields(strings.TrimLeft(l, " >-0123456789."))) > 1 {
				t.Errorf("%s line %d is %d wide: %q", c.name, i+1, runeLen(l), l)
			}
		}
	}
}
