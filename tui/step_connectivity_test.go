package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"relaywiz/checks"
	"relaywiz/steps"
)

func report(ports ...checks.PortResult) checks.Report {
	r := checks.Report{Host: "smtp.example.net", OK: true, Ports: ports}
	for _, p := range ports {
		r.OK = r.OK && p.OK
	}
	return r
}

func okResult(port int) checks.PortResult { return checks.PortResult{Port: port, OK: true} }

func failResult(port int, st checks.Stage, detail string) checks.PortResult {
	return checks.PortResult{Port: port, Stages: []checks.StageResult{{Name: st, Detail: detail}}}
}

func TestChoosePort(t *testing.T) {
	cases := []struct {
		name      string
		r         checks.Report
		preferred int
		port      int
		ok        bool
		reason    []string
	}{
		{"both ok, preferred 587", report(okResult(25), okResult(587)), 587, 587, true, []string{"Every port works", "587"}},
		{"both ok, preferred 25", report(okResult(25), okResult(587)), 25, 25, true, []string{"uses 25"}},
		{"25 blocked", report(failResult(25, checks.StageConnect, "timeout"), okResult(587)), 25, 587, true,
			[]string{"Port 25 failed at TCP connect (timeout)", "but 587 works", "use port 587", "blocked outbound"}},
		{"587 tls broken", report(okResult(25), failResult(587, checks.StageTLS, "certificate expired")), 587, 25, true,
			[]string{"Port 587 failed at TLS certificate (certificate expired)", "use port 25"}},
		{"none", report(failResult(25, checks.StageConnect, "refused"), failResult(587, checks.StageConnect, "refused")), 587, 587, false,
			[]string{"No port passed"}},
		{"lab single port", report(okResult(2587)), 587, 2587, true, []string{"Port 2587 works"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port, reason, ok := choosePort(c.r, c.preferred)
			if port != c.port || ok != c.ok {
				t.Fatalf("choosePort = %d, %v; want %d, %v (%s)", port, ok, c.port, c.ok, reason)
			}
			for _, w := range c.reason {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q does not say %q", reason, w)
				}
			}
		})
	}
}

func connectivityHarness(t *testing.T, f *fixture, id steps.ScenarioID, ports ...int) (*Common, *harness) {
	c := newCommon(t, f.options())
	c.Session.chooseScenario(scenario(t, id))
	c.Session.useProvider("smtp.example.net", ports, "", "")
	return c, stepHarness(t, newConnectivityStep(c))
}

func TestConnectivityAllPortsPass(t *testing.T) {
	f := newFixture(t)
	c, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	h.requireView("Checked smtp.example.net on port 25 and 587", "Port 25 ✓", "Port 587 ✓", "TLS certificate", "Every port works")
	if c.Session.Port != 587 {
		t.Fatalf("port %d, want PAMS's 587", c.Session.Port)
	}
	call := f.checker.lastCall()
	if call.Host != "smtp.example.net" || len(call.Ports) != 2 || call.User != "" {
		t.Fatalf("checks called with %+v", call)
	}
	h.key(tea.KeyEnter)
	if !h.sawMsg(nextStepMsg{}) {
		t.Fatal("enter did not continue")
	}
}

// Port 25 blocked, 587 fine: the later steps use 587, and say why.
func TestConnectivity25BlockedUses587(t *testing.T) {
	f := newFixture(t)
	f.checker.ports[25] = portScript{failAt: checks.StageConnect, detail: "timeout after 10s (filtered)", hint: "Outbound port 25 is blocked here; use 587."}
	c, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	h.requireView("Port 25 ✗", "Port 587 ✓", "✗ Port 25: TCP connect failed — timeout after 10s", "Outbound port 25 is blocked here")
	if c.Session.Port != 587 || !strings.Contains(c.Session.PortReason, "587 works") {
		t.Fatalf("port %d reason %q", c.Session.Port, c.Session.PortReason)
	}
	if !containsWrapped(h.view(), "the connector and the live test use port 587 instead") {
		t.Fatalf("the reason is not shown:\n%s", h.view())
	}
}

func TestConnectivityFailureOffersRetryChangeAnyway(t *testing.T) {
	f := newFixture(t)
	f.checker.ports[25] = portScript{failAt: checks.StageConnect, detail: "connection refused"}
	f.checker.ports[587] = portScript{failAt: checks.StageTLS, detail: "x509: certificate signed by unknown authority", hint: "Add the CA."}
	c, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	h.requireView("No port works yet")
	if got := helpKeys(h.m.(Step)); got != "r h c d" {
		t.Fatalf("keys offered: %q, want retry, change, anyway, details", got)
	}
	h.key(tea.KeyEnter)
	if h.sawMsg(nextStepMsg{}) {
		t.Fatal("enter continued although no port works")
	}
	calls := len(f.checker.calls)
	h.runes("r")
	if len(f.checker.calls) != calls+1 {
		t.Fatal("r did not run the checks again")
	}
	h.runes("h")
	if !h.sawMsg(gotoStepMsg{StepSmartHost}) {
		t.Fatal("h did not go to the smart host step")
	}
	h.runes("c")
	if !h.sawMsg(nextStepMsg{}) || !c.Session.Forced {
		t.Fatal("c did not continue anyway")
	}
	if !strings.Contains(c.Session.PortReason, "continue anyway") {
		t.Fatalf("reason %q", c.Session.PortReason)
	}
}

// The table fills in while the checks run.
func TestConnectivityShowsLiveProgress(t *testing.T) {
	f := newFixture(t)
	f.checker.block = make(chan struct{})
	c, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	h.requireView("Testing smtp.example.net on port 25 and 587…", "·")
	h.requireNoView("Every port works")
	if c.Session.Report != nil {
		t.Fatal("report set before the checks finished")
	}
	close(f.checker.block)
	h.waitFor("the verdict", func() bool { return c.Session.Report != nil })
	h.settle()
	h.requireView("Every port works")
}

// Coming back to the step shows the earlier result without probing again.
func TestConnectivityReusesReport(t *testing.T) {
	f := newFixture(t)
	c, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	calls := len(f.checker.calls)
	h.run(h.m.(Step).Enter())
	h.settle()
	if len(f.checker.calls) != calls {
		t.Fatal("checks ran again for the same host")
	}
	h.requireView("Every port works")
	c.Session.useProvider("other.example.net", []int{587}, "", "")
	h.run(h.m.(Step).Enter())
	h.settle()
	if len(f.checker.calls) != calls+1 {
		t.Fatal("a new host was not checked")
	}
}

// d opens the per-port details the table cells cut short, and d again
// returns to the table.
func TestConnectivityDetailView(t *testing.T) {
	f := newFixture(t)
	_, h := connectivityHarness(t, f, steps.PAMSOnPrem, 25, 587)
	h.m.(Step).SetSize(80, 60)
	if !strings.Contains(helpKeys(h.m.(Step)), "d") {
		t.Fatalf("no d key offered: %s", helpKeys(h.m.(Step)))
	}
	h.runes("d")
	h.requireView("Details for smtp.example.net", "Port 25 ✓", "Port 587 ✓",
		"Subject      CN=smtp.example.net", "SANs         smtp.example.net, mx.smtp.example.net",
		"Issuer       CN=Fake Issuing CA", "Expires      2027-06-10 (200 days left)",
		"Verified     ✓ yes, for smtp.example.net", "SNI          not sent, as Exchange Server does",
		"AUTH         LOGIN PLAIN", "SIZE         52428800 bytes (50.0 MB)",
		"Conversation (AUTH redacted)", "<- 220 smtp.example.net ESMTP", "-> EHLO relaywiz.test")
	h.runes("d")
	h.requireView("Checked smtp.example.net on port 25 and 587")
	h.requireNoView("Details for")
}

// An Exchange Online scenario is checked as Exchange Online sees the smart
// host: port 25 only, in its dialect (never AUTH), whatever ports were set.
func TestConnectivityOnlineChecksPort25AsExchangeOnline(t *testing.T) {
	f := newFixture(t)
	_, h := connectivityHarness(t, f, steps.RelayOnline, 25, 587)
	h.requireView("as Exchange Online sees it on port 25", "never logs in")
	call := f.checker.lastCall()
	if call.Dialect != checks.DialectExchangeOnline || len(call.Ports) != 1 || call.Ports[0] != 25 || call.User != "" {
		t.Fatalf("checks called with %+v", call)
	}
}
