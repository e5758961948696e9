package audit

import (
	"os"
	"strings"
	"testing"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// A set-up made by hand from Zivver's manual, with its own names (the
// contact "Relay to Zivver" named by alias in the rule, a connector
// "Zivver" that is neither scoped nor requires TLS, a signature rule on
// top): found by what the objects do, routed right, and the two
// differences from relaywiz's plan reported as warnings.
func TestDetectFindsAHandMadeSetUp(t *testing.T) {
	b, err := os.ReadFile("testdata/handmade/zivver-manual-onprem.json")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exchange.ParseExport(b)
	if err != nil {
		t.Fatal(err)
	}
	rep, d, err := FromExport(ex, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Scenario != steps.PAMSOnPrem || d.Connector != "Zivver" || d.Contact != "Relay to Zivver" || d.Placeholder != "zivver.org" ||
		len(d.Rules) != 1 || d.Rules[0] != "Zivver PAMS relay" {
		t.Fatalf("detection %+v", d)
	}
	if rep.Exit() != 0 {
		t.Errorf("exit %d: %+v", rep.Exit(), rep.Findings)
	}
	want := map[string]bool{"connector-not-scoped|Zivver": false, "tls-not-required|Zivver": false}
	for _, f := range rep.Findings {
		if _, ok := want[f.Code+"|"+f.Object]; ok {
			want[f.Code+"|"+f.Object] = true
			if f.Severity != "warn" {
				t.Errorf("%s is %s, want warn", f.Code, f.Severity)
			}
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no finding %s: %+v", k, rep.Findings)
		}
	}
	for _, m := range rep.Messages {
		if !m.OK {
			t.Errorf("%s: %s (%s)", m.Label, m.Verdict, m.Reason)
		}
	}
}

// An organisation with nothing relaywiz knows is not guessed at.
func TestDetectRefusesToGuess(t *testing.T) {
	org := &exchange.Org{Platform: exchange.Online, OutboundConnectors: []exchange.OutboundConnector{
		{Name: "Mimecast", Enabled: true, SmartHosts: []string{"eu-smtp-o365-outbound-1.mimecast.com"}, RecipientDomains: []string{"*"}}}}
	if d, err := Detect(org); err == nil {
		t.Fatalf("detected %s in an org without a relaywiz set-up", d.Scenario)
	}
	// The error names the platform as admins know it.
	for p, want := range map[exchange.Platform]string{exchange.Online: "the Exchange Online export has none", exchange.OnPremises: "the Exchange Server (on-premises) export has none"} {
		org.Platform = p
		if _, err := Detect(org); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v does not say %q", p, err, want)
		}
	}
}
