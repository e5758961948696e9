package tui

import (
	"errors"
	"strings"
	"testing"

	"relaywiz/checks"
	"relaywiz/relay"
	"relaywiz/steps"
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

// The failure lines of the connectivity step, the port choice's reason and
// the login step's problem quote the smart host (stage detail, hint and the
// predicted Exchange queue error): escaped like the table cells, never raw.
func TestTUIFailureLinesEscapeServerText(t *testing.T) {
	hostile := "evil \x1b]52;c;aGk=\x07\x1b[2J"
	raw := func(s string) bool {
		return strings.Contains(s, "\x1b]") || strings.Contains(s, "\x07") || strings.Contains(s, "\x1b[2J")
	}
	f := newFixture(t)
	f.checker.ports[25] = portScript{failAt: checks.StageBanner, detail: "554 " + hostile, hint: "hint " + hostile, exchange: `451 4.4.0 Primary target IP address responded with: "554 ` + hostile + `"`}
	c, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	h.requireView("Port 587 ✓")
	if v := h.m.View(); raw(v) {
		t.Errorf("connectivity view has raw control characters:\n%q", v)
	}
	if !containsWrapped(h.view(), `\x1b]52`) {
		t.Errorf("the escaped detail is not shown:\n%s", h.view())
	}
	if raw(c.Session.PortReason) {
		t.Errorf("port reason %q", c.Session.PortReason)
	}
	pr := checks.PortResult{Port: 587, Stages: []checks.StageResult{{Name: checks.StageAuth, Detail: "535 " + hostile, Hint: hostile, ExchangeError: "451 4.4.0 " + hostile}}}
	if got := authProblem(&pr); raw(got) || !strings.Contains(got, `\x1b]52`) {
		t.Errorf("auth problem %q", got)
	}
}
