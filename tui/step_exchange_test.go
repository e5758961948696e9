package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/steps"
)

func exchangeHarness(t *testing.T, f *fixture, id steps.ScenarioID) (*Common, *harness) {
	c := newCommon(t, f.options())
	ses := c.Session
	ses.chooseScenario(scenario(t, id))
	ses.Inputs, ses.HaveInputs = steps.Defaults(id), true
	return c, stepHarness(t, newExchangeStep(c))
}

func TestExchangeTabsShowEveryArtifact(t *testing.T) {
	c, h := exchangeHarness(t, newFixture(t), steps.PAMSOnPrem)
	arts := c.Session.Artifacts
	if len(arts) == 0 {
		t.Fatal("nothing generated")
	}
	h.requireView("["+arts[0].Name+"]", arts[1].Name, "pams.reg")
	for i := 1; i < len(arts); i++ {
		h.key(tea.KeyTab)
		h.requireView("[" + arts[i].Name + "]")
		first := strings.SplitN(strings.TrimSpace(arts[i].Text), "\n", 2)[0]
		if !containsWrapped(h.view(), first) {
			t.Fatalf("tab %s does not show its content %q:\n%s", arts[i].Name, first, h.view())
		}
	}
	h.key(tea.KeyTab)
	h.requireView("["+routeTab+"]", "Where the mail goes", `Exchange rule "Zivver PAMS"`) // the route, drawn
	h.key(tea.KeyTab)
	h.requireView("[" + arts[0].Name + "]") // wraps around
	h.runes("3")
	h.requireView("[" + arts[2].Name + "]")
	h.key(tea.KeyEnter)
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatal("enter did not continue")
	}
}

// w writes every file atomically to the folder given; a second write that
// would change files shows the differences and asks first.
func TestExchangeWritesAllAndAsksBeforeReplacing(t *testing.T) {
	f := newFixture(t)
	c, h := exchangeHarness(t, f, steps.PAMSOnPrem)
	dir := filepath.Join(t.TempDir(), "out")
	h.runes("w")
	h.requireView("Folder: relaywiz-pams-onprem")
	h.clear().runes(dir).key(tea.KeyEnter)
	// the write is real I/O: on a loaded machine it outlasts settle's pause
	h.waitFor("the files to be written", func() bool { return !strings.Contains(h.view(), "Writing…") })
	h.requireWrapped("Wrote 6 files to " + dir)
	for _, a := range c.Session.Artifacts {
		got, err := os.ReadFile(filepath.Join(dir, a.Name))
		if err != nil || string(got) != string(a.Content) {
			t.Fatalf("%s on disk differs from the artifact: %v", a.Name, err)
		}
	}
	if c.Session.WrittenDir != dir || len(c.Session.Written) != 6 {
		t.Fatalf("session: %q %v", c.Session.WrittenDir, c.Session.Written)
	}

	// Same answers: nothing to replace.
	h.runes("w").key(tea.KeyEnter)
	h.requireWrapped("6 files already up to date in " + dir)

	// Changed answers: the differences first, then y replaces.
	if err := os.WriteFile(filepath.Join(dir, "apply.ps1"), []byte("edited by hand\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.runes("w").key(tea.KeyEnter)
	h.requireWrapped("differ from the new ones", "--- apply.ps1", "+<#", "Replace them with the new ones? (y/n")
	h.runes("n")
	h.requireWrapped("Kept the files already in")
	if got, _ := os.ReadFile(filepath.Join(dir, "apply.ps1")); string(got) != "edited by hand\r\n" {
		t.Fatal("n replaced the file")
	}
	h.runes("w").key(tea.KeyEnter).runes("y")
	h.requireWrapped("Wrote 1 file (5 already up to date) to " + dir)
	if got, _ := os.ReadFile(filepath.Join(dir, "apply.ps1")); strings.Contains(string(got), "edited by hand") {
		t.Fatal("y did not replace the file")
	}
}

func TestExchangeEscClosesPromptFirst(t *testing.T) {
	c, h := exchangeHarness(t, newFixture(t), steps.PAMSOnPrem)
	s := h.m.(*exchangeStep)
	h.runes("w")
	if !s.HandlesEsc() || !s.Typing() {
		t.Fatal("the folder prompt must own esc and typing")
	}
	h.key(tea.KeyEsc)
	if s.HandlesEsc() {
		t.Fatal("esc did not close the prompt")
	}
	_ = c
}

func TestExchangeCopiesCurrentArtifact(t *testing.T) {
	f := newFixture(t)
	c, h := exchangeHarness(t, f, steps.PAMSOnPrem)
	h.key(tea.KeyTab).runes("c")
	if f.clip.text != c.Session.Artifacts[1].Text {
		t.Fatal("the clipboard does not hold the file on screen")
	}
	h.requireView("Copied " + c.Session.Artifacts[1].Name)
}

// Headless Linux has no clipboard: say so and point to writing the files.
func TestExchangeClipboardUnavailable(t *testing.T) {
	f := newFixture(t)
	f.clip.fail = true
	_, h := exchangeHarness(t, f, steps.PAMSOnPrem)
	h.runes("c")
	h.requireView("No clipboard here", "write the files (w)")
}
