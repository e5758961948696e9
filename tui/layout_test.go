package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

func TestWrapKeepsHyphenatedWordsAndIndent(t *testing.T) {
	in := "Remove it: relaywiz creds delete --host smtp.zivver.com --user svc@example.net"
	got := wrap(in, 40)
	for _, l := range strings.Split(got, "\n") {
		if lipgloss.Width(l) > 40 {
			t.Errorf("line too wide: %q", l)
		}
		if strings.HasSuffix(l, "-") {
			t.Errorf("broken at a hyphen: %q", l)
		}
	}
	if strings.Join(strings.Fields(got), " ") != in {
		t.Errorf("words changed: %q", got)
	}
	if got := wrap("    indented line", 40); got != "    indented line" {
		t.Errorf("indent lost: %q", got)
	}
	long := strings.Repeat("x", 25)
	if got := wrap("a "+long, 10); strings.Count(got, "\n") != 3 {
		t.Errorf("long word not cut: %q", got)
	}
}

func TestFitPadsAndCuts(t *testing.T) {
	got := fit("a\n"+strings.Repeat("b", 30), 10, 3)
	lines := strings.Split(got, "\n")
	if len(lines) != 3 || lipgloss.Width(lines[1]) > 10 || lines[2] != "" {
		t.Fatalf("fit = %q", got)
	}
}

func TestCountPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 files", 1: "1 file", 2: "2 files"} {
		if got := count(n, "file"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
