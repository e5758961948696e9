package tui

import (
	"errors"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/steps"
)

func summaryHarness(t *testing.T, id steps.ScenarioID, prep func(*Session)) (*Common, *harness) {
	c := newCommon(t, newFixture(t).options())
	ses := c.Session
	ses.chooseScenario(scenario(t, id))
	ses.Inputs, ses.HaveInputs = steps.Defaults(id), true
	if prep != nil {
		prep(ses)
	}
	s := newSummaryStep(c)
	s.SetSize(80, 200) // everything on one screen for the assertions
	h := newHarness(t, s)
	h.run(s.Enter())
	h.settle()
	return c, h
}

func TestSummaryAfterAFullRun(t *testing.T) {
	_, h := summaryHarness(t, steps.PAMSOnPrem, func(s *Session) {
		s.useProvider("smtp.zivver.com", []int{25, 587}, "", "")
		r := report(failResult(25, checks.StageConnect, "timeout"),
			checks.PortResult{Port: 587, OK: true, TLS: &checks.TLSInfo{Version: "TLS1.3", Verified: true}})
		s.Report = &r
		s.Port, s.PortReason, _ = choosePort(r, 587)
		s.User, s.Creds, s.CredsNote, s.AuthProven = "svc@example.net", CredsKeyring, "Stored in the OS keyring (service relaywiz/smtp.zivver.com, user svc@example.net).", true
		s.TestTo = "someone@example.org"
		s.Test = &SendOutcome{Via: "smart host", Result: SendResult{Accepted: true, UpstreamReply: "250 2.0.0 Ok: queued as 4Xy"}}
		s.WrittenDir = "/home/admin/pams"
		s.Written = []string{"/home/admin/pams/checklist.md", "/home/admin/pams/apply.ps1"}
	})
	h.requireWrapped(
		"✓ smtp.zivver.com answers on port 587 with STARTTLS, TLS1.3, certificate verified.",
		"! Port 25 failed at TCP connect (timeout), but 587 works",
		"✓ The login for svc@example.net works. Stored in the OS keyring",
		"✓ A test message to someone@example.org was accepted by the smart host: 250 2.0.0 Ok: queued as 4Xy",
		"Written to /home/admin/pams: checklist.md, apply.ps1",
		"saved in /home/admin/.config/relaywiz/profile.json",
		"run apply.ps1 in the Exchange Management Shell",
		"Run verify.ps1",
		"Only then roll out pams.reg",
		"End-to-end test: in Outlook for Windows, signed in to the Zivver plug-in, send a message to someone@example.org with Secure mail switched on",
		"Run undo.ps1",
		"relaywiz creds delete --smart-host smtp.zivver.com --user svc@example.net",
	)
	h.key(tea.KeyEnter)
	if !h.sawMsg(finishMsg{}) {
		t.Fatal("enter did not finish")
	}
}

// What was not done is said plainly, and Exchange Online gets its shell.
func TestSummaryNothingProven(t *testing.T) {
	_, h := summaryHarness(t, steps.RelayOnline, func(s *Session) {
		s.Test = &SendOutcome{Via: "smart host", Err: errors.New("550 5.7.1 relay denied")}
	})
	h.requireWrapped(
		"- Connectivity was not checked.",
		// Exchange Online: no login, and the proof is a real message's headers.
		"- No login: Exchange Online's connector cannot log in to the smart host",
		"- The Exchange Online route was not proven yet",
		"The Exchange steps were not written to disk yet",
		"Exchange Online PowerShell",
		`send a message with the word "Secure" in the subject`,
	)
	h.requireNoView("pams.reg", "creds delete")
}
