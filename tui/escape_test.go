package tui

import (
	"errors"
	"strings"
	"testing"

	"relaywiz/checks"
	"relaywiz/relay"
)

// Text from the network reaches the TUI's cells and transcript escaped: a
// banner with OSC 52 or a screen clear cannot act on the terminal.
func TestTUIEscapesServerText(t *testing.T) {
	hostile := "220 evil \x1b]52;c;aGk=\x07\x1b[2J"
	c := cellFrom(checks.StageResult{Name: checks.StageBanner, OK: true, Detail: hostile})
	if strings.ContainsAny(c.detail, "\x1b\x07") || !strings.Contains(c.detail, `\x1b]52`) {
		t.Errorf("cell detail %q", c.detail)
	}
	if l := progressLine(relay.SendEvent{Step: "upstream", Status: relay.StepOK, Detail: hostile}); strings.ContainsAny(l, "\x1b\x07") {
		t.Errorf("progress line %q", l)
	}
	var got []string
	w := &lineWriter{emit: func(s string) { got = append(got, s) }}
	w.Write([]byte("[#1 client] <- " + hostile + "\r\n"))
	if len(got) != 1 || strings.ContainsAny(got[0], "\x1b\x07") {
		t.Errorf("transcript lines %q", got)
	}
}

// "Could not save your answers" used to be cut to one footer line, before
// its reason; the reason must be on screen, and the frame still fit.
func TestRootSaveErrorShowsItsReason(t *testing.T) {
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	reason := "open /home/admin/.config/relaywiz/profile.json: permission denied (the directory is read-only)"
	h.send(profileSavedMsg{err: errors.New(reason)})
	v := h.m.View()
	flat := strings.Join(strings.Fields(v), " ")
	if !strings.Contains(flat, "permission denied (the directory is read-only)") {
		t.Fatalf("the reason is not on screen:\n%s", v)
	}
	if n := len(strings.Split(v, "\n")); n != 24 {
		t.Errorf("frame has %d lines, want 24", n)
	}
}
