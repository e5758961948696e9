package audit

import (
	"strings"
	"testing"
	"time"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// exportCasesInputs are the answers the round trip and the fixtures use:
// every scenario's defaults, and each trigger kind.
func exportInputs() map[string]steps.Inputs {
	out := map[string]steps.Inputs{}
	for _, s := range steps.Scenarios() {
		in := steps.Defaults(s.ID)
		switch s.ID {
		case steps.CryptshareOnPrem:
			in.GatewayIP = "192.0.2.25"
			in.Connectors = []string{"Internet"}
		case steps.CryptshareOnline:
			in.GatewayIP = "203.0.113.25"
		case steps.CodeTwoOnline:
			in.Connectors = []string{"Mimecast Outbound"}
			in.AddonRule = "CodeTwo Exchange Rule"
		}
		out[string(s.ID)] = in
		if s.ID == steps.RelayOnline || s.ID == steps.RelayOnPrem {
			for _, k := range s.TriggerKinds {
				t := in.Clone()
				switch k {
				case steps.TriggerSubject:
					t.Triggers = []steps.Trigger{{Kind: k, Value: "Vertrouwelijk"}}
				case steps.TriggerLabel:
					t.Triggers = []steps.Trigger{{Kind: k, Value: "0F4C5A7E-3B0A-4D8E-9A51-2C6D8E7F9A10"}}
				case steps.TriggerSender:
					t.Triggers = []steps.Trigger{{Kind: k, Value: "invoices@corp.example.com"}}
				}
				out[string(s.ID)+"/"+string(k)] = t
			}
		}
	}
	return out
}

// correctOrg is the organisation a correct apply.ps1 leaves: relaywiz's
// baseline (what the scenario presupposes) with the plan applied, on a
// server named EX01 in the org corp.example.com.
func correctOrg(t *testing.T, in steps.Inputs) *exchange.Org {
	t.Helper()
	org, err := Build(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	org.Organization = "Contoso"
	org.Returns = nil // not an Exchange object: the export cannot have it
	org.ServerSites = nil
	for i, d := range org.AcceptedDomains {
		if d.DomainName == OrgDomain {
			org.AcceptedDomains[i].Name, org.AcceptedDomains[i].DomainName = "corp.example.com", "corp.example.com"
		}
	}
	for i := range org.SendConnectors {
		for j, s := range org.SendConnectors[i].SourceTransportServers {
			if s == steps.LocalServerName {
				org.SendConnectors[i].SourceTransportServers[j] = "EX01"
			}
		}
	}
	return org
}

var fixtureTime = time.Date(2026, 11, 30, 14, 2, 11, 0, time.UTC)

func exportOf(t *testing.T, org *exchange.Org) *exchange.Export {
	t.Helper()
	b, err := exchange.MarshalExport(org, time.Date(2026, 11, 30, 14, 2, 11, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := exchange.ParseExport(b)
	if err != nil {
		t.Fatalf("the generated export does not read back: %v\n%s", err, b)
	}
	return ex
}

// The export that a correct apply would produce, generated from the plan,
// audits clean, and the audit names the scenario by itself.
func TestRoundTripCorrectApplyAuditsClean(t *testing.T) {
	for name, in := range exportInputs() {
		t.Run(name, func(t *testing.T) {
			ex := exportOf(t, correctOrg(t, in))
			rep, d, err := FromExport(ex, ExportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Scenario != in.Scenario {
				t.Errorf("detected %s, want %s (%s)", d.Scenario, in.Scenario, d.Evidence)
			}
			if rep.Exit() != 0 {
				var b strings.Builder
				WriteText(&b, rep)
				t.Errorf("exit %d:\n%s", rep.Exit(), b.String())
			}
			// Nothing beyond what the audit of the plan itself says.
			plan, err := Run(Options{Inputs: in})
			if err != nil {
				t.Fatal(err)
			}
			known := map[string]bool{}
			for _, f := range plan.Findings {
				known[f.Code+"|"+f.Object] = true
			}
			for _, f := range rep.Findings {
				if f.Severity != "info" && !known[f.Code+"|"+f.Object] {
					t.Errorf("finding on a correct apply that the plan's audit does not have: %+v", f)
				}
			}
			if len(rep.Messages) != len(plan.Messages) {
				t.Errorf("%d messages, the plan's audit has %d", len(rep.Messages), len(plan.Messages))
			}
			// The same with the scenario named.
			given := in.Clone()
			rep, _, err = FromExport(ex, ExportOptions{Inputs: &given})
			if err != nil || rep.Exit() != 0 {
				t.Errorf("with --scenario: exit %d, %v: %+v", rep.Exit(), err, rep.Findings)
			}
		})
	}
}

// With the common neighbours (a default Internet connector, a disclaimer
// rule on top with and without StopRuleProcessing, another smart host),
// the live org's audit gives every message the verdict the plan's audit
// gives it: the export adds nothing and loses nothing.
func TestRoundTripWithNeighboursSameVerdicts(t *testing.T) {
	for name, in := range exportInputs() {
		for _, nb := range Neighbours(in) {
			t.Run(name+"/"+nb.Name, func(t *testing.T) {
				plan, err := Run(Options{Inputs: in, Neighbours: []Neighbour{nb}})
				if err != nil {
					t.Fatal(err)
				}
				org, err := Build(in, []Neighbour{nb})
				if err != nil {
					t.Fatal(err)
				}
				org.Returns, org.ServerSites = nil, nil
				ex := exportOf(t, org)
				if _, d, err := FromExport(ex, ExportOptions{}); err != nil || d.Scenario != in.Scenario {
					t.Errorf("detected %s (%v), want %s", d.Scenario, err, in.Scenario)
				}
				given := in.Clone()
				rep, _, err := FromExport(ex, ExportOptions{Inputs: &given})
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Messages) != len(plan.Messages) {
					t.Fatalf("%d messages, plan %d", len(rep.Messages), len(plan.Messages))
				}
				for i := range plan.Messages {
					if rep.Messages[i].Verdict != plan.Messages[i].Verdict {
						t.Errorf("%s: %s from the export, %s from the plan (%s)", plan.Messages[i].Label, rep.Messages[i].Verdict, plan.Messages[i].Verdict, rep.Messages[i].Reason)
					}
				}
				if (rep.Exit() == 0) != (plan.Exit() == 0) {
					t.Errorf("exit %d from the export, %d from the plan: %+v", rep.Exit(), plan.Exit(), rep.Findings)
				}
			})
		}
	}
}
