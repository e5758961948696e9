package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/files"
	"relaywiz/steps"
)

// The profile keeps the test sender, the output folder and the step the
// run stopped at.
func TestProfileRemembersFromOutDirAndStep(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	ses := m.Session()
	ses.chooseScenario(scenario(t, steps.RelayOnPrem))
	ses.TestFrom, ses.OutDir = "admin@example.com", "/srv/exchange/relaywiz-relay-onprem"
	h.send(gotoStepMsg{StepDetails})
	h.key(tea.KeyCtrlC)
	p, ok := f.lastSaved()
	if !ok || p.TestFrom != "admin@example.com" || p.OutDir != "/srv/exchange/relaywiz-relay-onprem" || p.LastStep != "details" {
		t.Fatalf("saved %+v", p)
	}
	// and reads them back
	s := &Session{}
	s.applyProfile(p)
	if s.TestFrom != "admin@example.com" || s.OutDir != p.OutDir || s.ResumeAt != StepDetails {
		t.Errorf("applied %+v", s)
	}
}

func resumeProfile(step string) files.Profile {
	return files.Profile{
		Steps:     steps.Defaults(steps.RelayOnPrem),
		SmartHost: files.SmartHostProfile{Host: "relay.example.net", Ports: []int{587}, User: "svc@example.net"},
		LastStep:  step,
	}
}

func TestSecondRunOffersToContinue(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	o.Profile = resumeProfile("smart-host")
	_, h := newRoot(t, o)
	h.requireView("Step 1 of 8", "The last run stopped at step 2 (Smart host). Continue there? (y/n: start over)", "y continue there")
	h.runes("y")
	h.requireView("Step 2 of 8 · Smart host")
	h.requireNoView("Continue there?")

	// n: start over at step 1
	_, h = newRoot(t, o)
	h.runes("n")
	h.requireView("Step 1 of 8", "Starting over at step 1")
	h.requireNoView("Continue there?")
}

// Continuing after Credentials takes the stored password from the keyring
// (the live test must not silently send without a login).
func TestResumePastCredentialsUsesKeyring(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Set(context.Background(), "relay.example.net", "svc@example.net", []byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	o := f.options()
	o.Profile = resumeProfile("details")
	m, h := newRoot(t, o)
	h.runes("y")
	h.requireView("Step 5 of 8 · Exchange details")
	ses := m.Session()
	if ses.Creds != CredsKeyring || string(ses.Password()) != "s3cret" || ses.AuthProven {
		t.Fatalf("creds %v proven %v", ses.Creds, ses.AuthProven)
	}

	// Nothing in the keyring: continue at Credentials instead, and say why.
	f2 := newFixture(t)
	o2 := f2.options()
	o2.Profile = resumeProfile("live-test")
	_, h2 := newRoot(t, o2)
	h2.runes("y")
	h2.requireView("Step 4 of 8 · Credentials")
	h2.requireWrapped("Continuing at Credentials: the password for svc@example.net could not be read")
}

// A finished run does not offer to continue at the summary.
func TestFinishedRunStartsAtTheBeginning(t *testing.T) {
	f := newFixture(t)
	m, h := newRoot(t, f.options())
	m.Session().chooseScenario(scenario(t, steps.RelayOnPrem))
	h.send(gotoStepMsg{StepSummary})
	h.send(finishMsg{})
	p, _ := f.lastSaved()
	if p.LastStep != "scenario" {
		t.Errorf("lastStep %q after finishing", p.LastStep)
	}
}
