package audit

import (
	"strings"
	"testing"

	"relaywiz/exchange"
	"relaywiz/steps"
)

func codeTwoInputs() steps.Inputs {
	in := steps.Defaults(steps.CodeTwoOnline)
	in.Connectors = []string{"Mimecast Outbound"}
	in.AddonRule = "CodeTwo Exchange Rule"
	return in
}

// CodeTwo's article, the ATTR1 case: the smart host hands mail back to
// Exchange Online, and a routing rule without the anti-loop exception
// sends it out again. The audit names the loop, the rule and the
// exception it lacks; relaywiz's own rule has it, so its plan never loops.
func TestAuditFindsTheATTR1Loop(t *testing.T) {
	in := codeTwoInputs()
	org, err := Build(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	org.InboundConnectors = append(org.InboundConnectors, exchange.InboundConnector{Name: "Mimecast Inbound", Enabled: true, ConnectorType: "OnPremises"})
	org.Returns = append(org.Returns, exchange.Return{Name: "Mimecast", Connector: "Mimecast Outbound", Inbound: "Mimecast Inbound", SenderIP: "198.51.100.20"})
	rep := Audit(org, in, CasesFor(in, org), nil)
	if rep.Exit() != 0 {
		t.Fatalf("relaywiz's rule has the anti-loop exception, yet:\n%s", textOf(rep))
	}
	// Remove the exception, as an admin following an older guide might.
	rule := steps.PlannedRules(in)[0]
	for i := range org.TransportRules {
		if org.TransportRules[i].Name == rule {
			org.TransportRules[i].Exceptions = nil
		}
	}
	rep = Audit(org, in, CasesFor(in, org), nil)
	var loop *Finding
	for i, f := range rep.Findings {
		if f.Code == "loop" {
			loop = &rep.Findings[i]
		}
	}
	if rep.Exit() == 0 || loop == nil || loop.Object != rule || !strings.Contains(loop.Fix, "ExceptIfSenderIpRanges 198.51.100.20") {
		t.Fatalf("no loop finding naming %q and the missing exception:\n%s", rule, textOf(rep))
	}
	if rep.Messages[0].Verdict != string(exchange.VerdictLoop) {
		t.Fatalf("verdict %s, want loop", rep.Messages[0].Verdict)
	}
}

// Cryptshare's M365 guide: without the sender-IP exception, mail coming
// back from the gateway is sent to it again.
func TestAuditFindsTheCryptshareLoopWithoutTheIPException(t *testing.T) {
	in := steps.Defaults(steps.CryptshareOnline)
	in.GatewayIP = "203.0.113.25"
	org, err := Build(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep := Audit(org, in, CasesFor(in, org), nil); rep.Exit() != 0 || len(rep.Messages[0].result.Passes) != 2 {
		t.Fatalf("the plan's route must hold and follow the message back once:\n%s", textOf(rep))
	}
	for i := range org.TransportRules {
		delete(org.TransportRules[i].Exceptions, "ExceptIfSenderIpRanges")
	}
	rep := Audit(org, in, CasesFor(in, org), nil)
	if rep.Exit() == 0 || rep.Findings[0].Code != "loop" || !strings.Contains(rep.Findings[0].Fix, "203.0.113.25") {
		t.Fatalf("no loop found:\n%s", textOf(rep))
	}
}

// The messages come from the organisation's own domain, so the audit
// works on an organisation read from an export just as on the plan's model.
func TestCasesFollowTheOrganisationsDomain(t *testing.T) {
	in := steps.Defaults(steps.PAMSOnPrem)
	org, err := Build(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	org.AcceptedDomains[0].DomainName = "contoso.example"
	org.ServerSites = nil
	for i := range org.SendConnectors {
		org.SendConnectors[i].SourceTransportServers = []string{"EX2019A"}
	}
	cases := CasesFor(in, org)
	if cases[0].Message.From != "alice@contoso.example" || cases[0].Message.Server != "EX2019A" {
		t.Fatalf("first case %+v", cases[0].Message)
	}
	if rep := Audit(org, in, cases, nil); rep.Exit() != 0 {
		t.Fatalf("%s", textOf(rep))
	}
	m, _ := ParseMessage("to=bob@contoso.example")
	if IntentOf(in, org, m) != IntentInternal || IntentOf(in, nil, m) == IntentInternal {
		t.Fatal("internal is decided by the organisation's accepted domains")
	}
}

// Each finding names the Exchange object at fault: a disabled rule, a rule
// in Audit mode, a route to a missing connector.
func TestFindingsNameTheObject(t *testing.T) {
	in := steps.Defaults(steps.PAMSOnline)
	for _, c := range []struct {
		code   string
		breakf func(org *exchange.Org)
	}{
		{"rule-disabled", func(o *exchange.Org) { o.TransportRules[0].State = "Disabled" }},
		{"rule-audit-mode", func(o *exchange.Org) { o.TransportRules[0].Mode = "Audit" }},
		{"route-connector-missing", func(o *exchange.Org) { o.OutboundConnectors[0].Enabled = false }},
		{"rule-not-matched", func(o *exchange.Org) {
			o.TransportRules[0].Conditions["HeaderMatchesMessageHeader"] = []string{"zivver-relais"}
		}},
		{"connector-catches-untriggered", func(o *exchange.Org) {
			o.OutboundConnectors[0].IsTransportRuleScoped = false
			o.OutboundConnectors[0].RecipientDomains = []string{"*"}
		}},
	} {
		org, err := Build(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.breakf(org)
		rep := Audit(org, in, CasesFor(in, org), nil)
		if rep.Exit() == 0 || rep.Findings[0].Code != c.code || rep.Findings[0].Object == "" {
			t.Errorf("%s: findings %+v", c.code, rep.Findings)
		}
	}
}

// Every text in the picture is escaped, and the boxes close.
func TestPictureIsTerminalSafeAndClosed(t *testing.T) {
	in := steps.Defaults(steps.PAMSOnPrem)
	m, err := ParseMessage("to=x@example.org subject='\x1b]0;owned\x07' header='zivver-relay: \x1b[2J'")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(Options{Inputs: in, Messages: []exchange.Message{m}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteText(&b, rep)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Fatal("control characters reached the output")
	}
	pic := Picture(rep.Messages[0])
	if strings.Count(pic, "┌") != strings.Count(pic, "└") || strings.Count(pic, "▼") != strings.Count(pic, "┌")-1 {
		t.Fatalf("boxes and arrows do not match:\n%s", pic)
	}
	for _, line := range strings.Split(strings.TrimRight(pic, "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "│") && !strings.Contains(line, "│ ") {
			t.Fatalf("broken box line %q", line)
		}
	}
}

// A hop relaywiz has evidence for is marked proven; every other is
// modelled.
func TestProvenHopsAreMarked(t *testing.T) {
	in := steps.Defaults(steps.PAMSOnPrem)
	// evidence for another port of the same host proves nothing
	rep, err := Run(Options{Inputs: in, Proven: map[string]string{"smtp.zivver.com:25": "relaywiz check passed on port 25"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Messages[0].Route {
		if s.Evidence != "modelled" {
			t.Fatalf("a check on port 25 proves the hop to port 587: %+v", s)
		}
	}
	rep, err = Run(Options{Inputs: in, Proven: map[string]string{"smtp.zivver.com:587": "relaywiz check passed on port 587"}})
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, s := range rep.Messages[0].Route {
		marks = append(marks, s.Kind+"="+s.Evidence)
	}
	if got := strings.Join(marks, " "); got != "rule=modelled connector=modelled hop=proven" {
		t.Fatalf("marks %s", got)
	}
	if pic := Picture(rep.Messages[0]); !strings.Contains(pic, "proven") || !strings.Contains(pic, "proven: relaywiz") {
		t.Fatalf("picture:\n%s", pic)
	}
	rep, _ = Run(Options{Inputs: in})
	for _, s := range rep.Messages[0].Route {
		if s.Evidence != "modelled" {
			t.Fatalf("without evidence %s is %s", s.Kind, s.Evidence)
		}
	}
}

// A message larger than the provider connector's limit is named as such,
// with the connector and the fix.
func TestTooLargeForTheConnector(t *testing.T) {
	in := steps.Defaults(steps.PAMSOnPrem) // 50 MB, the manual's limit
	m, err := ParseMessage("to=p@example.org header='zivver-relay: zivver-message-info' size=60MB")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(Options{Inputs: in, Messages: []exchange.Message{m}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Findings[0]
	if rep.Exit() != 1 || f.Code != "too-large" || f.Object != "Zivver PAMS" || !strings.Contains(f.Fix, "MaxMessageSize") {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

// --message is user input: any text parses or is refused, never panics,
// and a parsed message always has a recipient.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{"to=a@b.example", "from=x to=a@b.example,c@d.example subject='a b' header='X: y'", "to='", "header=x", "size=10MB to=a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseMessage(spec)
		if err == nil && len(m.To) == 0 {
			t.Fatalf("%q parsed without a recipient", spec)
		}
	})
}

// Cryptshare's M365 guide: the gateway's IP on the connection filter's
// allow list. The plan adds it; an organisation without it gets a warning
// naming the policy.
func TestCryptshareAllowList(t *testing.T) {
	in := steps.Defaults(steps.CryptshareOnline)
	in.GatewayIP = "203.0.113.25"
	org, err := Build(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Audit(org, in, CasesFor(in, org), nil).Findings {
		if f.Code == "allow-list-missing" {
			t.Fatalf("the plan adds the IP, yet: %+v", f)
		}
	}
	org.ConnectionFilter[0].IPAllowList = []string{"203.0.113.0/24"}
	for _, f := range Audit(org, in, CasesFor(in, org), nil).Findings {
		if f.Code == "allow-list-missing" {
			t.Fatalf("a CIDR entry covers the gateway, yet: %+v", f)
		}
	}
	org.ConnectionFilter[0].IPAllowList = nil
	found := false
	for _, f := range Audit(org, in, CasesFor(in, org), nil).Findings {
		found = found || f.Code == "allow-list-missing" && f.Object == "Default" && f.Severity == "warn"
	}
	if !found {
		t.Fatal("no allow-list warning")
	}
}

// The review's dangerous drift: an extra SMTP:* on the provider's send
// connector sends all outside mail to the provider. The audit catches it
// and names the connector.
func TestExtraWildcardOnTheProviderConnector(t *testing.T) {
	in := steps.Defaults(steps.PAMSOnPrem)
	org, err := Build(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	org.SendConnectors[0].AddressSpaces = append(org.SendConnectors[0].AddressSpaces, "SMTP:*;1")
	rep := Audit(org, in, CasesFor(in, org), nil)
	f := rep.Findings[0]
	if rep.Exit() != 1 || f.Code != "connector-catches-untriggered" || f.Object != "Zivver PAMS" {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

// A plan whose provider connector names its smart host by IP address with
// BasicAuthRequireTLS routes "correctly" in the model, but Exchange fails
// the TLS step with 454 4.7.5 (its certificate check matches the smart-host
// name as written). checklist.md warns about it; the plan audit must not
// then say the route holds.
func TestPlanAuditFailsAnIPSmartHostWithBasicAuthRequireTLS(t *testing.T) {
	for _, sc := range []steps.ScenarioID{steps.PAMSOnPrem, steps.RelayOnPrem} {
		in := steps.Defaults(sc)
		in.SmartHost = "192.0.2.25"
		org, err := Build(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep := Audit(org, in, CasesFor(in, org), nil)
		var got *Finding
		for i, f := range rep.Findings {
			if f.Code == "ip-smart-host-auth-tls" {
				got = &rep.Findings[i]
			}
		}
		if rep.Exit() != 1 || got == nil || got.Severity != "fail" || !strings.Contains(got.Message, "454 4.7.5") {
			t.Fatalf("%s with an IP smart host: exit %d, finding %+v\n%s", sc, rep.Exit(), got, textOf(rep))
		}
		in.SmartHost = "smtp.zivver.com"
		org, _ = Build(in, nil)
		if rep := Audit(org, in, CasesFor(in, org), nil); rep.Exit() != 0 {
			t.Fatalf("%s with a host name must hold:\n%s", sc, textOf(rep))
		}
	}
}

// A finding without an object (a scenario given with --scenario whose
// provider connector the export lacks) is printed without an empty "[]".
func TestWriteTextFindingWithoutObject(t *testing.T) {
	var b strings.Builder
	WriteText(&b, Report{Platform: "onprem", Scenario: "pams-onprem",
		Findings: []Finding{{Severity: "info", Code: "scenario-detected", Message: "as given with --scenario"}}})
	if out := b.String(); strings.Contains(out, "[]") || !strings.Contains(out, "INFO scenario-detected: as given with --scenario") {
		t.Errorf("finding line:\n%s", out)
	}
}

// A subject from --message or an export is escaped once for the terminal
// (termtext.Escape), not escaped again by %q ("\\x1b").
func TestWriteTextEscapesSubjectOnce(t *testing.T) {
	var b strings.Builder
	WriteText(&b, Report{Platform: "onprem", Scenario: "pams-onprem", Messages: []MessageReport{{
		Label: "given with --message", Message: MessageJSON{From: "a@corp.example", To: []string{"b@example.net"}, Subject: "a\x1b[2Jb"}}}})
	out := b.String()
	if !strings.Contains(out, `subject "a\x1b[2Jb"`) || strings.Contains(out, "\x1b") {
		t.Errorf("subject line:\n%s", out)
	}
}
