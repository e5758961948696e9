package tui

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/steps"
)

func troubleHarness(t *testing.T, f *fixture) (*Common, *harness) {
	c := newCommon(t, f.options())
	return c, stepHarness(t, newTroubleshootStep(c))
}

// The most fundamental failure comes first, with its fix; the keyring
// state is part of the diagnosis.
func TestTroubleshootRanksFindings(t *testing.T) {
	f := newFixture(t)
	f.checker.ports[587] = portScript{failAt: checks.StageConnect, detail: "connection timed out", hint: "Open outbound 587."}
	c, h := troubleHarness(t, f)
	h.requireView("Smart host", "Ports", "A received message to analyse")
	h.clear().typeLine("smtp.example.net").clear().typeLine("587").typeLine("svc@example.net").key(tea.KeyEnter).key(tea.KeyEnter)
	// Nothing in the keyring: the password is asked for; empty runs
	// the diagnosis without the login.
	h.waitFor("the password question", func() bool { return h.m.(*troubleshootStep).phase == troublePasswordForm })
	h.requireView("Password for svc@example.net")
	h.key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.m.(Step).SetSize(80, 100) // all findings on screen
	h.settle()
	v := h.view()
	iNet := strings.Index(v, "not reachable on port 587")
	iPw := strings.Index(v, "no password stored for svc@example.net")
	if iNet < 0 || iPw < 0 || iNet > iPw {
		t.Fatalf("findings missing or out of order:\n%s", v)
	}
	h.requireWrapped("Fix: Open outbound 587.", "relaywiz creds set --smart-host smtp.example.net --user svc@example.net")
	if call := f.checker.lastCall(); call.Host != "smtp.example.net" || call.User != "svc@example.net" {
		t.Fatalf("checks called with %+v", call)
	}
	_ = c
	h.runes("r")
	h.requireView("A received message to analyse")
}

// A received message's headers are read and judged.
func TestTroubleshootReadsHeaders(t *testing.T) {
	f := newFixture(t)
	msg := "Received: from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.com with ESMTP id 1; Sun, 22 Nov 2026 10:00:05 +0000\r\n" +
		"Received: from ex01.corp.example.org by mail.example.org with ESMTP id 2; Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
		"zivver-relay: zivver-message-info\r\nSubject: test\r\nFrom: a@example.org\r\nTo: b@example.com\r\n\r\nbody\r\n"
	path := filepath.Join(t.TempDir(), "received.eml")
	if err := os.WriteFile(path, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, h := troubleHarness(t, f)
	h.clear().typeLine("smtp.example.net").clear().typeLine("587").typeLine("").runes(path).key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.settle()
	h.requireWrapped("the transport rule did not fire", "[transport-rule]")
	if strings.Contains(h.view(), "could not be analysed") {
		t.Fatalf("the message was not analysed:\n%s", h.view())
	}

	// A path that does not exist is a finding, not a crash.
	h.runes("r")
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).clear().runes(filepath.Join(t.TempDir(), "missing.eml")).key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.settle()
	h.requireWrapped("the message could not be analysed", "no such file")
}

// The screen runs the same diagnosis as `relaywiz doctor`: the DNS checks
// of the saved answers, and on request a test message through the wizard's
// sender with the scenario's trigger and the held password.
func TestTroubleshootDNSAndTestSend(t *testing.T) {
	f := newFixture(t)
	f.dns.mx = map[string][]*net.MX{"zivver.org": {{Host: "mx.zivver.org.", Pref: 10}}}
	c := newCommon(t, f.options())
	ses := c.Session
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem)) // placeholder domain zivver.org
	ses.useProvider("smtp.example.net", []int{587}, "", "")
	ses.User, ses.TestTo = "svc@example.net", "someone@example.org"
	ses.SetPassword([]byte("right"))
	h := stepHarness(t, newTroubleshootStep(c))
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter) // the saved answers as they are
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.m.(Step).SetSize(80, 100)
	h.settle()
	h.requireWrapped("✗ the placeholder domain zivver.org exists in public DNS", "[placeholder-domain]", "AUTH as svc@example.net all work")
	if req := f.sender.last(); req.To != "" {
		t.Fatalf("a test message was sent without being asked for: %+v", req)
	}

	h.runes("s")
	h.requireView("Send a test message to", "someone@example.org")
	h.key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.settle()
	h.requireWrapped("the test message was accepted by the smart host", "250 2.0.0 Ok: queued as FAKE1")
	req := f.sender.last()
	if req.To != "someone@example.org" || req.Trigger != "pams" || req.Host != "smtp.example.net" || req.Port != 587 ||
		req.User != "svc@example.net" || string(req.Password) != "right" || req.From != "svc@example.net" {
		t.Fatalf("send request %+v", req)
	}
}

// No test message while the configured port fails: the screen says why.
func TestTroubleshootSkipsSendWhenPortFails(t *testing.T) {
	f := newFixture(t)
	f.checker.ports[587] = portScript{failAt: checks.StageTLS, detail: "certificate signed by unknown authority"}
	_, h := troubleHarness(t, f)
	h.clear().typeLine("smtp.example.net").clear().typeLine("587").typeLine("").key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.runes("s")
	h.clear().typeLine("someone@example.org")
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.m.(Step).SetSize(80, 100)
	h.settle()
	h.requireWrapped("skipping the test send: port 587 does not work yet")
	if req := f.sender.last(); req.To != "" {
		t.Fatalf("sent although the port fails: %+v", req)
	}
}

// Regression (trust defect 3): with the keyring unavailable the screen
// never asked for the password and sent the test message without AUTH
// (the 554 relay-denied answer was then blamed on the receive connector).
// It asks as step 4 does, and the login and the send use what was typed.
func TestTroubleshootAsksForThePasswordWhenTheKeyringIsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.store = brokenStore{}
	c := newCommon(t, f.options())
	ses := c.Session
	ses.chooseScenario(scenario(t, steps.RelayOnPrem))
	ses.useProvider("smtp.example.net", []int{587}, "", "")
	ses.User, ses.TestTo = "svc@example.net", "someone@example.org"
	h := stepHarness(t, newTroubleshootStep(c))
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the password question", func() bool { return h.m.(*troubleshootStep).phase == troublePasswordForm })
	h.requireWrapped("Password for svc@example.net", "keyring cannot be used")
	h.typeLine("right")
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	if call := f.checker.lastCall(); call.User != "svc@example.net" || string(call.Password) != "right" {
		t.Fatalf("the AUTH check ran with user %q and password %q, want the typed one", call.User, call.Password)
	}
	if strings.Contains(h.view(), "Password: right") {
		t.Fatal("the password is on screen")
	}
	h.runes("s")
	h.requireView("Send a test message to")
	h.key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	if req := f.sender.last(); req.User != "svc@example.net" || string(req.Password) != "right" {
		t.Fatalf("test send as %q with password %q: never without AUTH when a user is configured\n%s", req.User, req.Password, h.view())
	}
}

// The Troubleshoot entry takes the path of an Exchange export: the live
// org's audit findings join the ordered list, each naming the object, and
// a file that cannot be read is a finding, not a crash.
func TestTroubleshootAuditsAnExport(t *testing.T) {
	f := newFixture(t)
	_, h := troubleHarness(t, f)
	h.requireView("Exchange export to audit (optional)")
	export := filepath.Join("..", "audit", "testdata", "export", "onprem", "rule-disabled.json")
	h.clear().typeLine("smtp.example.net").clear().typeLine("587").typeLine("").key(tea.KeyEnter).runes(export).key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.m.(Step).SetSize(100, 200)
	h.settle()
	h.requireWrapped(`rule "Zivver PAMS" is disabled (State Disabled) [transport-rule]`, "Exchange object: Zivver PAMS (audit finding rule-disabled)", "Fix: Enable-TransportRule -Identity 'Zivver PAMS'")

	h.runes("r")
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).clear().runes(filepath.Join(t.TempDir(), "missing.json")).key(tea.KeyEnter)
	h.waitFor("the findings", func() bool { return h.m.(*troubleshootStep).phase == troubleDone })
	h.m.(Step).SetSize(100, 200)
	h.settle()
	h.requireWrapped("the Exchange export could not be read", "no such file")
}
