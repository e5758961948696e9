package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"relaywiz/checks"
	"relaywiz/files"
	"relaywiz/steps"
)

func newRoot(t *testing.T, o Options) (*Model, *harness) {
	t.Helper()
	m, err := New(testCtx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	h := newHarness(t, m)
	h.deliver(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.init()
	return m, h
}

func TestNewRequiresCheckerAndStore(t *testing.T) {
	if _, err := New(testCtx(t), Options{}); err == nil {
		t.Fatal("New without dependencies must fail")
	}
}

// Every frame fills the terminal exactly: no line wider than the terminal
// (it would wrap and push the footer off), and header and footer in place.
func TestRootFrameFitsTerminal(t *testing.T) {
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	for _, size := range [][2]int{{80, 24}, {100, 30}, {60, 20}, {120, 40}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := h.m.View()
		lines := strings.Split(v, "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: %d lines, want %d", size[0], size[1], len(lines), size[1])
		}
		for i, l := range lines {
			if w := lipgloss.Width(l); w > size[0] {
				t.Errorf("%dx%d: line %d is %d cells wide: %q", size[0], size[1], i, w, l)
			}
		}
		if !strings.HasPrefix(lines[0], "relaywiz  Step 1 of 8 · Scenario") {
			t.Errorf("%dx%d: header is %q", size[0], size[1], lines[0])
		}
		if !strings.Contains(lines[len(lines)-1], "ctrl+c quit") {
			t.Errorf("%dx%d: last line is %q, want the key help", size[0], size[1], lines[len(lines)-1])
		}
	}
}

func TestRootHelpToggle(t *testing.T) {
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	h.requireView("? more keys")
	h.runes("?")
	h.requireView("fewer keys", "enter choose")
	h.runes("?")
	h.requireView("? more keys")
}

// "?" typed into a text field is text, not the help key.
func TestRootQuestionMarkInTextFieldIsText(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	h.key(tea.KeyEnter) // PAMS on-premises → smart host; without StartLab the host field has focus
	if !m.current().Typing() {
		t.Fatalf("the smart host field should have focus:\n%s", h.view())
	}
	h.runes("?")
	h.requireView("smtp.zivver.com?")
	h.requireNoView("fewer keys")
}

func TestRootEscGoesBackAndKeepsAnswers(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	h.key(tea.KeyDown).key(tea.KeyEnter) // PAMS Online
	h.requireView("Step 2 of 8 · Smart host", "Zivver PAMS, Exchange Online")
	h.key(tea.KeyEsc)
	h.requireView("Step 1 of 8 · Scenario", "> Zivver PAMS, Exchange Online")
	if m.Session().Scenario.ID != steps.PAMSOnline {
		t.Fatalf("scenario lost: %v", m.Session().Scenario.ID)
	}
	h.key(tea.KeyEsc) // nowhere to go: stays
	h.requireView("Step 1 of 8")
}

func TestRootCtrlCQuits(t *testing.T) {
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	h.key(tea.KeyCtrlC)
	if !h.quit {
		t.Fatal("ctrl+c did not quit")
	}
}

// ctrl+c during a test send asks first; n stays, y quits.
func TestRootCtrlCConfirmsWhileSending(t *testing.T) {
	f := newFixture(t)
	f.sender.block = make(chan struct{})
	defer close(f.sender.block)
	m, h := newRoot(t, f.options())
	ses := m.Session()
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem))
	ses.useProvider("smtp.example.net", []int{587}, "", "")
	ses.Port, ses.User, ses.Creds, ses.AuthProven = 587, "u@example.net", CredsKeyring, true
	ses.SetPassword([]byte("right"))
	h.send(gotoStepMsg{StepLiveTest})
	h.key(tea.KeyEnter)                                                   // through the smart host
	h.typeLine("someone@example.org").key(tea.KeyEnter).key(tea.KeyEnter) // From is the user name
	h.requireView("Sending the test message")
	h.key(tea.KeyCtrlC)
	if h.quit {
		t.Fatal("quit without asking while a send runs")
	}
	h.requireView("A test send is running. Quit anyway? (y/n)")
	h.runes("n")
	h.requireNoView("Quit anyway")
	h.key(tea.KeyCtrlC).runes("y")
	if !h.quit {
		t.Fatal("y did not quit")
	}
}

func TestRootShowsErrorsInOnePlace(t *testing.T) {
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	h.send(ErrorMsg(&checks.StageError{Stage: checks.StageTLS, Err: errors.New("x509: certificate signed by unknown authority"),
		Hint: "Pass the provider's CA with the extra CA field."}))
	h.requireView("Something went wrong", "certificate signed by unknown authority", "What to do", "Pass the provider's CA")
	h.runes("x")
	h.requireNoView("Something went wrong")
	h.requireView("Step 1 of 8")
}

// Moving forward saves the answers; a new wizard starts from them.
func TestRootSavesAndLoadsProfile(t *testing.T) {
	f := newFixture(t)
	_, h := newRoot(t, f.options())
	h.key(tea.KeyDown).key(tea.KeyDown).key(tea.KeyEnter) // relay-online
	p, ok := f.lastSaved()
	if !ok || p.Steps.Scenario != steps.RelayOnline {
		t.Fatalf("profile not saved after step 1: %+v", p)
	}
	o := f.options()
	o.Profile = files.Profile{Steps: steps.Defaults(steps.RelayOnPrem),
		SmartHost: files.SmartHostProfile{Host: "relay.example.net", Ports: []int{587}, User: "svc@example.net"}}
	m2, h2 := newRoot(t, o)
	h2.requireView("> Zivver Custom Relay, Exchange on-premises", "Answers loaded from")
	if m2.Session().Host != "relay.example.net" || m2.Session().User != "svc@example.net" {
		t.Fatalf("profile not applied: %+v", m2.Session())
	}
}

// The saved profile never holds the password.
func TestProfileHasNoSecret(t *testing.T) {
	s := &Session{}
	s.chooseScenario(steps.Scenario{ID: steps.PAMSOnPrem, Title: "x"})
	s.User = "u"
	s.SetPassword([]byte("hunter2-secret"))
	p := s.profile()
	js, _ := json.Marshal(p)
	if strings.Contains(fmt.Sprintf("%+v", p), "hunter2") || strings.Contains(string(js), "hunter2") {
		t.Fatalf("profile contains the password: %+v", p)
	}
}

// requireFrame checks that a frame fills w×h exactly.
func requireFrame(t *testing.T, v string, w, h int, where string) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%s at %dx%d: %d lines, want %d:\n%s", where, w, h, len(lines), h, v)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("%s at %dx%d: line %d is %d cells: %q", where, w, h, i, lw, l)
		}
	}
	if strings.Contains(v, "\x1b[") {
		t.Errorf("%s: escape codes in a colourless frame", where)
	}
}

// Every step fits 80×24 and adapts when the terminal is resized.
func TestRootEveryStepFitsAndResizes(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	ses := m.Session()
	ses.chooseScenario(scenario(t, steps.RelayOnPrem))
	ses.useProvider("smtp.zivver.com", []int{25, 587}, "", "")
	ses.User, ses.Creds, ses.AuthProven, ses.TestTo = "svc@example.net", CredsKeyring, true, "someone@example.org"
	ses.SetPassword([]byte("right"))
	ses.Inputs, ses.HaveInputs = steps.Defaults(steps.RelayOnPrem), true
	for id := StepScenario; id < stepCount; id++ {
		h.send(gotoStepMsg{id})
		for _, size := range [][2]int{{80, 24}, {100, 30}, {60, 20}, {80, 24}} {
			h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			requireFrame(t, h.m.View(), size[0], size[1], m.current().Title())
		}
		h.requireView(fmt.Sprintf("Step %d of 8 · %s", int(id)+1, m.current().Title()))
	}
	h.send(openTroubleshootMsg{})
	requireFrame(t, h.m.View(), 80, 24, "Troubleshoot")
	h.requireView("relaywiz  Troubleshoot")
	h.key(tea.KeyEsc)
	h.requireView("Step 8 of 8")
}

// The wizard reads a profile as doctor does (files.Profile.Settings): a
// profile without a proven smart host starts from the connector's one,
// not from the provider's default.
func TestApplyProfileReadsLikeDoctor(t *testing.T) {
	in := steps.Defaults(steps.RelayOnPrem)
	in.SmartHost = "gw.example.net"
	p := files.Profile{Steps: in, TestRecipient: "me@outside.example"}
	s := &Session{}
	s.applyProfile(p)
	want := p.Settings()
	if s.Host != "gw.example.net" || s.Host != want.Host || s.TestTo != want.TestRecipient || !s.HasScenario || s.Scenario.ID != steps.RelayOnPrem {
		t.Fatalf("session host %q (doctor: %q) recipient %q scenario %v/%q", s.Host, want.Host, s.TestTo, s.HasScenario, s.Scenario.ID)
	}
}

// Exchange Online scenarios skip the credentials step both ways: the
// connector cannot log in to the smart host.
func TestRootOnlineScenarioSkipsCredentials(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	ses := m.Session()
	ses.chooseScenario(scenario(t, steps.RelayOnline))
	ses.useProvider("smtp.zivver.com", []int{25}, "", "")
	ses.Inputs, ses.HaveInputs = steps.Defaults(steps.RelayOnline), true
	h.send(gotoStepMsg{StepConnectivity})
	h.send(nextStepMsg{})
	if m.cur != StepDetails {
		t.Fatalf("after connectivity: step %d, want the details (credentials skipped)", m.cur)
	}
	h.key(tea.KeyEsc)
	if m.cur != StepConnectivity {
		t.Fatalf("back from details: step %d, want connectivity", m.cur)
	}
	// With the lab the usual flow stays, login included.
	ses.UseLab = true
	h.send(nextStepMsg{})
	if m.cur != StepCredentials {
		t.Fatalf("lab: step %d, want the credentials", m.cur)
	}
}
