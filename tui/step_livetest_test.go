package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/relay"
	"relaywiz/steps"
)

// liveHarness starts at the live test with a proven login on port 587.
func liveHarness(t *testing.T, f *fixture, o *Options, id steps.ScenarioID) (*Common, *harness) {
	opts := f.options()
	if o != nil {
		opts = *o
	}
	c := newCommon(t, opts)
	ses := c.Session
	ses.chooseScenario(scenario(t, id))
	ses.useProvider("smtp.example.net", []int{25, 587}, "/etc/ssl/extra-ca.pem", "")
	ses.Port, ses.User, ses.Creds, ses.AuthProven = 587, "svc@example.net", CredsKeyring, true
	ses.SetPassword([]byte("right"))
	ses.TestTo = "someone@example.org"
	return c, stepHarness(t, newLiveTestStep(c))
}

func TestLiveTestPAMSSendsWithTriggerHeader(t *testing.T) {
	f := newFixture(t)
	c, h := liveHarness(t, f, nil, steps.PAMSOnPrem)
	h.requireWrapped("Adds the header zivver-relay: zivver-message-info", "Through the smart host smtp.example.net:587")
	h.key(tea.KeyEnter)
	h.requireView("> someone@example.org", "> svc@example.net", "> relaywiz test of the secure route")
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the result", func() bool { return c.Session.Test != nil })
	h.settle()
	req := f.sender.last()
	if req.Trigger != "pams" || req.Host != "smtp.example.net" || req.Port != 587 || req.CAFile != "/etc/ssl/extra-ca.pem" ||
		req.User != "svc@example.net" || string(req.Password) != "right" || req.To != "someone@example.org" ||
		!req.Now.Equal(f.options().Now()) {
		t.Fatalf("send request %+v", req)
	}
	h.requireView("✓ Accepted by the smart host: 250 2.0.0 Ok: queued as FAKE1", "AUTH LOGIN <redacted>")
	if c.Session.Test.Err != nil || c.Session.Test.Result.QueueID != "FAKE1" {
		t.Fatalf("outcome %+v", c.Session.Test)
	}
	h.key(tea.KeyEnter)
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatal("enter did not continue")
	}
}

func TestLiveTestSubjectTriggerPrefilled(t *testing.T) {
	f := newFixture(t)
	c, h := liveHarness(t, f, nil, steps.RelayOnPrem)
	_ = c
	h.requireWrapped(`The subject carries "Secure"`)
	h.key(tea.KeyEnter)
	h.requireView("> Secure relaywiz test of the secure route")
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the send", func() bool { return f.sender.last().To != "" })
	if got := f.sender.last().Trigger; got != "subject=Secure" {
		t.Fatalf("trigger %q", got)
	}
}

// A refused message shows the smart host's reply and the hint.
func TestLiveTestFailureShowsReplyAndHint(t *testing.T) {
	f := newFixture(t)
	f.sender.fail = errors.New("smart host refused the login")
	c, h := liveHarness(t, f, nil, steps.PAMSOnPrem)
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the result", func() bool { return c.Session.Test != nil })
	h.settle()
	h.requireWrapped("✗ Not accepted (mail): smart host refused the login", "the smart host said: 535 5.7.8", "Check the password.")
}

// Without an account the lab is the default, started on demand.
func TestLiveTestOffersLabWithoutAccount(t *testing.T) {
	f := newFixture(t)
	o := f.options()
	lab := &relay.Lab{Addr: "127.0.0.1:2587", CAFile: "/tmp/lab-ca.pem", User: "relaywiz", Password: "lab-pw", Dir: "/tmp/lab"}
	starts := 0
	o.StartLab = func(ctx context.Context, dir string) (*relay.Lab, error) { starts++; return lab, nil }
	c := newCommon(t, o)
	ses := c.Session
	ses.chooseScenario(scenario(t, steps.PAMSOnPrem))
	ses.useProvider("smtp.zivver.com", []int{587}, "", "")
	ses.Port = 587
	h := stepHarness(t, newLiveTestStep(c))
	h.requireView("> Through the lab smart host on this machine", "(without login)")
	h.key(tea.KeyEnter).typeLine("someone@example.org").typeLine("admin@example.com").key(tea.KeyEnter)
	h.waitFor("the result", func() bool { return ses.Test != nil })
	h.settle()
	req := f.sender.last()
	if starts != 1 || req.Host != "127.0.0.1" || req.Port != 2587 || req.User != "relaywiz" || string(req.Password) != "lab-pw" || req.CAFile != "/tmp/lab-ca.pem" {
		t.Fatalf("lab send: starts %d request %+v", starts, req)
	}
	h.requireWrapped("Accepted by the lab smart host", "the lab stored it as an .eml in /tmp/lab")
	if ses.Lab != lab {
		t.Fatal("the lab was not kept for the session")
	}
}

func TestLiveTestSkip(t *testing.T) {
	f := newFixture(t)
	c, h := liveHarness(t, f, nil, steps.PAMSOnPrem)
	h.key(tea.KeyDown) // no lab offered here: smart host, skip
	h.requireView("> Skip the live test for now")
	h.key(tea.KeyEnter)
	if !h.sawMsg(nextStepMsg{}) || c.Session.Test != nil || len(f.sender.reqs) != 0 {
		t.Fatal("skip did not skip")
	}
}

func TestLiveTestBusyWhileSending(t *testing.T) {
	f := newFixture(t)
	f.sender.block = make(chan struct{})
	_, h := liveHarness(t, f, nil, steps.PAMSOnPrem)
	s := h.m.(*liveTestStep)
	h.key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter).key(tea.KeyEnter)
	if s.Busy() == "" {
		t.Fatal("not busy during the send")
	}
	h.requireView("Sending the test message", "AUTH LOGIN <redacted>")
	close(f.sender.block)
	h.waitFor("the end of the send", func() bool { return s.Busy() == "" })
	if strings.Contains(h.view(), "right") {
		t.Fatal("the password shows in the transcript")
	}
}

// Exchange Online scenarios: no send from here (it would prove nothing
// about a path that starts in Microsoft's network). The SPF check of the
// sender domain, the provider's allow-listing named as the admin's manual
// step, then the headers of a real message sent from Outlook/OWA.
func TestLiveTestOnlineProvesSPFAndHeadersWithoutSending(t *testing.T) {
	f := newFixture(t)
	f.dns.txt = map[string][]string{"example.net": {"v=spf1 include:spf.protection.outlook.com -all"}}
	msg := "Received: from smtp.example.net (smtp.example.net [192.0.2.7]) by mx.example.org with ESMTPS id 9; Sun, 22 Nov 2026 10:00:09 +0000\r\n" +
		"Received: from EUR01-obe.outbound.protection.outlook.com (EUR01-obe.outbound.protection.outlook.com [192.0.2.8]) by smtp.example.net with ESMTPS id 8; Sun, 22 Nov 2026 10:00:05 +0000\r\n" +
		"Subject: Secure test\r\nFrom: svc@example.net\r\nTo: someone@example.org\r\n\r\nbody\r\n"
	path := filepath.Join(t.TempDir(), "received.eml")
	if err := os.WriteFile(path, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, h := liveHarness(t, f, nil, steps.RelayOnline)
	h.requireView("Prove the Exchange Online route")
	if strings.Contains(h.view(), "Through the smart host") {
		t.Fatalf("an Online scenario offers a send through the smart host:\n%s", h.view())
	}
	h.key(tea.KeyEnter) // the Online proof
	h.requireView("An address of your mail domain")
	h.key(tea.KeyEnter) // svc@example.net
	h.waitFor("the headers question", func() bool { return h.m.(*liveTestStep).online == onlineAsk })
	h.requireWrapped("spf.protection.outlook.com", "allow-list example.net", "Outlook or OWA")
	h.runes(path).key(tea.KeyEnter)
	h.waitFor("the verdict", func() bool { return h.m.(*liveTestStep).online == onlineAnalysed })
	h.settle()
	h.requireWrapped("SECURE: the received message went through the provider")
	if req := f.sender.last(); req.To != "" {
		t.Fatalf("a message was sent from here: %+v", req)
	}
	if p := c.Session.Online; p == nil || p.Headers == nil || p.Headers.Secure == nil || !*p.Headers.Secure || p.Domain != "example.net" {
		t.Fatalf("session proof %+v", p)
	}
}

// Without spf.protection.outlook.com in the sender domain's SPF the
// provider cannot recognise the tenant: a failure here, with the fix.
func TestLiveTestOnlineMissingSPFIncludeFails(t *testing.T) {
	f := newFixture(t)
	f.dns.txt = map[string][]string{"example.net": {"v=spf1 mx -all"}}
	_, h := liveHarness(t, f, nil, steps.RelayOnline)
	h.key(tea.KeyEnter).key(tea.KeyEnter)
	h.waitFor("the headers question", func() bool { return h.m.(*liveTestStep).online == onlineAsk })
	h.requireWrapped("✗ SPF: example.net's SPF does not include spf.protection.outlook.com", "add include:spf.protection.outlook.com")
}
