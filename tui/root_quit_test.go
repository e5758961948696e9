package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/steps"
)

// startBlockedSend puts the wizard on the live test with a send that hangs
// until block is closed.
func startBlockedSend(t *testing.T, f *fixture) (*Model, *harness) {
	t.Helper()
	m, h := newRoot(t, f.options())
	ses := m.Session()
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem))
	ses.useProvider("smtp.example.net", []int{587}, "", "")
	ses.Port, ses.User, ses.Creds, ses.AuthProven = 587, "u@example.net", CredsKeyring, true
	ses.SetPassword([]byte("right"))
	h.send(gotoStepMsg{StepLiveTest})
	h.key(tea.KeyEnter)
	h.typeLine("someone@example.org").key(tea.KeyEnter).key(tea.KeyEnter)
	h.requireView("Sending the test message")
	return m, h
}

func TestRootCtrlCIsAnInterrupt(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	h.key(tea.KeyCtrlC)
	if !h.quit || !m.Interrupted() {
		t.Fatalf("ctrl+c: quit=%v interrupted=%v, want both (the command exits 130)", h.quit, m.Interrupted())
	}
	// Finishing the wizard is not an interrupt.
	m, h = newRoot(t, f.options())
	h.send(finishMsg{})
	if !h.quit || m.Interrupted() {
		t.Fatalf("finish: quit=%v interrupted=%v", h.quit, m.Interrupted())
	}
}

// The "quit anyway?" question is about the running send: when the send
// ends on its own, the question goes away.
func TestRootQuitPromptGoesAwayWhenSendFinishes(t *testing.T) {
	f := newFixture(t)
	f.sender.block = make(chan struct{})
	_, h := startBlockedSend(t, f)
	h.key(tea.KeyCtrlC)
	h.requireView("Quit anyway? (y/n)")
	close(f.sender.block)
	h.waitFor("the send to finish", func() bool { return strings.Contains(h.view(), "Accepted by the smart host") })
	h.requireNoView("Quit anyway")
	if h.quit {
		t.Fatal("the wizard quit on its own")
	}
	h.runes("y") // no question pending: y is not a confirmation
	if h.quit {
		t.Fatal("a stale y quit the wizard")
	}
}

func TestRootAbortedSendSaysWhetherDelivered(t *testing.T) {
	for _, tc := range []struct {
		handOver bool
		says     string
	}{
		{false, "nothing was delivered"},
		{true, "it may have been delivered. Check the recipient's mailbox (someone@example.org)"},
	} {
		f := newFixture(t)
		f.sender.block = make(chan struct{})
		f.sender.handOver = tc.handOver
		m, h := startBlockedSend(t, f)
		h.key(tea.KeyCtrlC).runes("y")
		close(f.sender.block)
		if !h.quit || !m.Interrupted() {
			t.Fatalf("not quit: %v %v", h.quit, m.Interrupted())
		}
		if recap := m.Recap(80); !containsWrapped(recap, tc.says) {
			t.Errorf("handOver=%v: recap does not say %q:\n%s", tc.handOver, tc.says, recap)
		}
	}
}

// The text left in the terminal is wrapped at spaces to its width and the
// profile path stands on a line of its own.
func TestRecapKeepsPathsWhole(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	o.ProfilePath = "/home/admin-with-a-long-name/.config/relaywiz/some-very-long-profile-name.json"
	m, h := newRoot(t, o)
	m.Session().chooseScenario(scenario(t, steps.PAMSOnPrem))
	h.send(gotoStepMsg{StepConnectivity})
	recap := m.Recap(60)
	found := false
	for _, l := range strings.Split(recap, "\n") {
		if len([]rune(l)) > 60 && !strings.Contains(l, o.ProfilePath) {
			t.Errorf("line wider than 60: %q", l)
		}
		if strings.TrimSpace(l) == o.ProfilePath {
			found = true
		}
	}
	if !found {
		t.Errorf("the path is not on a line of its own:\n%s", recap)
	}
}
