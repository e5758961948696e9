package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/steps"
)

func credentialsHarness(t *testing.T, f *fixture, store creds.Store) (*Common, *harness) {
	o := f.options()
	if store != nil {
		o.Creds = store
	}
	c := newCommon(t, o)
	ses := c.Session
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem))
	ses.useProvider("smtp.example.net", []int{25, 587}, "", "")
	ses.Port = 587
	return c, stepHarness(t, newCredentialsStep(c))
}

func TestCredentialsAuthOKStoresInKeyring(t *testing.T) {
	f := newFixture(t)
	c, h := credentialsHarness(t, f, nil)
	h.requireView("Log in to smtp.example.net port 587", "SMTP user name", "Password")
	h.typeLine("svc@example.net").runes("right")
	if strings.Contains(h.view(), "right") {
		t.Fatalf("the password is echoed:\n%s", h.view())
	}
	h.key(tea.KeyEnter)
	h.requireView("Login accepted by smtp.example.net port 587", "logged in with AUTH LOGIN after STARTTLS", "Stored in the OS keyring")
	call := f.checker.lastCall()
	if call.User != "svc@example.net" || string(call.Password) != "right" || len(call.Ports) != 1 || call.Ports[0] != 587 {
		t.Fatalf("AUTH check called with user %q ports %v", call.User, call.Ports)
	}
	got, err := f.store.Get(context.Background(), "smtp.example.net", "svc@example.net")
	if err != nil || string(got) != "right" {
		t.Fatalf("keyring holds %q, %v", got, err)
	}
	ses := c.Session
	if !ses.AuthProven || ses.Creds != CredsKeyring || string(ses.Password()) != "right" {
		t.Fatalf("session: proven %v creds %v", ses.AuthProven, ses.Creds)
	}
	h.key(tea.KeyEnter)
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatal("enter did not continue")
	}
}

// With the keyring unavailable the password is kept for this run only,
// and the screen says why and how to fix it.
func TestCredentialsKeyringUnavailableKeepsForSession(t *testing.T) {
	f := newFixture(t)
	c, h := credentialsHarness(t, f, brokenStore{})
	h.typeLine("svc@example.net").typeLine("right")
	h.requireView("kept in memory for this run only", "never in a file", "no D-Bus session bus",
		"ctrl+o shows how to make the keyring work next time")
	// The recipe is folded behind ctrl+o, so the rest stays on screen.
	h.requireNoView("Start one with dbus-run-session.")
	h.send(tea.KeyMsg{Type: tea.KeyCtrlO})
	h.requireView("To use the keyring next time (ctrl+o hides this)", "Start one with dbus-run-session.")
	h.send(tea.KeyMsg{Type: tea.KeyCtrlO})
	h.requireNoView("Start one with dbus-run-session.")
	if c.Session.Creds != CredsSessionOnly || !c.Session.HasPassword() {
		t.Fatalf("creds %v password %v", c.Session.Creds, c.Session.HasPassword())
	}
}

func TestCredentialsWrongPasswordAsksAgain(t *testing.T) {
	f := newFixture(t)
	c, h := credentialsHarness(t, f, nil)
	h.typeLine("svc@example.net").typeLine("wrong")
	h.requireView("Login (AUTH) failed on port 587", "535 5.7.8", "Check the user name and password.", "SMTP user name", "> svc@example.net")
	if c.Session.AuthProven || c.Session.HasPassword() {
		t.Fatal("a refused password was kept")
	}
	if _, err := f.store.Get(context.Background(), "smtp.example.net", "svc@example.net"); err == nil {
		t.Fatal("a refused password was stored")
	}
}

func TestCredentialsUsesStoredPassword(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Set(context.Background(), "smtp.example.net", "svc@example.net", []byte("right")); err != nil {
		t.Fatal(err)
	}
	o := f.options()
	c := newCommon(t, o)
	ses := c.Session
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem))
	ses.useProvider("smtp.example.net", []int{587}, "", "")
	ses.Port, ses.User = 587, "svc@example.net"
	h := stepHarness(t, newCredentialsStep(c))
	h.requireView("A password for svc@example.net is in the OS keyring")
	h.key(tea.KeyEnter).key(tea.KeyEnter)
	h.requireView("Login accepted", "Taken from the OS keyring")
	if string(f.checker.lastCall().Password) != "right" {
		t.Fatal("the stored password was not used")
	}
}

func TestCredentialsNothingStoredAsksToType(t *testing.T) {
	f := newFixture(t)
	_, h := credentialsHarness(t, f, nil)
	h.typeLine("svc@example.net").key(tea.KeyEnter)
	h.requireView("No password is stored for svc@example.net yet: type it in.")
	if len(f.checker.calls) != 0 {
		t.Fatal("checked without a password")
	}
}

func TestCredentialsEmptyUserSkips(t *testing.T) {
	f := newFixture(t)
	c, h := credentialsHarness(t, f, nil)
	h.key(tea.KeyEnter).key(tea.KeyEnter)
	if !h.sawMsg(nextStepMsg{}) || c.Session.Creds != CredsNone || c.Session.AuthProven {
		t.Fatal("an empty user name did not skip the login")
	}
}

// A failure before AUTH (here TLS) is named, not blamed on the password.
func TestCredentialsEarlierStageFailure(t *testing.T) {
	f := newFixture(t)
	f.checker.ports[587] = portScript{failAt: checks.StageTLS, detail: "certificate has expired", hint: "Ask the provider."}
	_, h := credentialsHarness(t, f, nil)
	h.typeLine("svc@example.net").typeLine("right")
	h.requireView("TLS certificate failed on port 587: certificate has expired", "Ask the provider.")
}
