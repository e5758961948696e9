package audit

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// Property-based tests: random organisations around the plan. The seed is
// fixed, so a failure repeats; raise the iterations locally to search more.

const propertyRuns = 150

func scenarioInputs() []steps.Inputs {
	var out []steps.Inputs
	for _, id := range steps.IDs() {
		in := steps.Defaults(steps.ScenarioID(id))
		switch in.Scenario {
		case steps.CryptshareOnPrem:
			in.GatewayIP = "192.0.2.25"
		case steps.CryptshareOnline:
			in.GatewayIP = "203.0.113.25"
		case steps.CodeTwoOnline:
			in.Connectors = []string{"Mimecast Outbound"}
			in.AddonRule = "CodeTwo Exchange Rule"
		}
		out = append(out, in)
	}
	return out
}

var (
	randWords   = []string{"newsletter", "invoice", "Lunch", "EXT", "urgent", "report"}
	randHeaders = []string{"X-Neighbour", "X-Spam-Flag", "X-MS-Exchange-Organization-Custom"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// benignRule is a rule real organisations have that does not take mail
// away from relaywiz's route: it never stops rule processing, never
// redirects, routes or rejects, and never touches the triggers' headers.
func benignRule(r *rand.Rand, i int) exchange.TransportRule {
	conds := []func() (string, []string){
		func() (string, []string) { return "SubjectContainsWords", []string{pick(r, randWords)} },
		func() (string, []string) {
			return "FromScope", []string{pick(r, []string{"InOrganization", "NotInOrganization"})}
		},
		func() (string, []string) {
			return "SentToScope", []string{pick(r, []string{"InOrganization", "NotInOrganization"})}
		},
		func() (string, []string) { return "RecipientDomainIs", []string{"other.example"} },
		func() (string, []string) { return "SenderIpRanges", []string{"198.51.100.0/24"} },
		func() (string, []string) { return "MessageSizeOver", []string{"10 MB (10,485,760 bytes)"} },
		func() (string, []string) { return "FromMemberOf", []string{"All staff"} },
	}
	acts := []exchange.Params{
		{"ApplyHtmlDisclaimerText": {"<p>x</p>"}, "ApplyHtmlDisclaimerLocation": {"Append"}},
		{"SetHeaderName": {pick(r, randHeaders)}, "SetHeaderValue": {"1"}},
		{"SetSCL": {"-1"}},
		{"PrependSubject": {"[EXT] "}},
		{"GenerateIncidentReport": {"audit@corp.example"}},
	}
	rule := exchange.TransportRule{
		Name: fmt.Sprintf("Neighbour rule %d", i), State: pick(r, []string{"Enabled", "Enabled", "Disabled"}),
		Mode: pick(r, []string{"Enforce", "Enforce", "Audit"}), RuleErrorAction: "Ignore",
		Conditions: exchange.Params{}, Actions: pick(r, acts),
	}
	for n := r.IntN(3); n >= 0; n-- {
		k, v := pick(r, conds)()
		rule.Conditions[k] = v
	}
	if r.IntN(3) == 0 {
		rule.Exceptions = exchange.Params{"ExceptIfSubjectContainsWords": {pick(r, randWords)}}
	}
	return rule
}

// benignConnector competes for nothing relaywiz routes: other domains, a
// higher cost for *, disabled, or (Online) rule-scoped or for any domain.
func benignConnectors(r *rand.Rand, org *exchange.Org, in steps.Inputs, i int) {
	name := fmt.Sprintf("Neighbour connector %d", i)
	if org.Platform == exchange.OnPremises {
		space := pick(r, []string{"SMTP:other.example;1", "SMTP:*.other.example;1", "SMTP:archive.example;3"})
		if in.Scenario != steps.CryptshareOnPrem && r.IntN(2) == 0 {
			space = fmt.Sprintf("SMTP:*;%d", 1+r.IntN(100))
		} else if r.IntN(3) == 0 {
			space = fmt.Sprintf("SMTP:*;%d", 2+r.IntN(99))
		}
		org.SendConnectors = append(org.SendConnectors, exchange.SendConnector{
			Name: name, Enabled: r.IntN(4) != 0, AddressSpaces: []string{space}, SmartHosts: []string{"relay" + smartHostSuffix},
			IsScopedConnector: r.IntN(2) == 0, SourceTransportServers: []string{pick(r, []string{steps.LocalServerName, "EX77"})},
		})
		return
	}
	org.OutboundConnectors = append(org.OutboundConnectors, exchange.OutboundConnector{
		Name: name, Enabled: r.IntN(4) != 0, ConnectorType: "Partner", IsTransportRuleScoped: r.IntN(2) == 0,
		RecipientDomains: []string{pick(r, []string{"other.example", "*.other.example", "*"})},
		SmartHosts:       []string{"relay" + smartHostSuffix}, TlsSettings: "CertificateValidation",
	})
}

func randomNeighbours(r *rand.Rand) []Neighbour {
	var out []Neighbour
	for i := r.IntN(6); i >= 0; i-- {
		i := i
		seed := r.Uint64()
		out = append(out, Neighbour{ID: "random", Name: fmt.Sprint(i), Add: func(org *exchange.Org, in steps.Inputs) {
			rr := rand.New(rand.NewPCG(seed, 7))
			if org.Groups == nil {
				org.Groups = map[string][]string{"all staff": {OrgUser, OrgColleague}}
			}
			rule := benignRule(rr, i)
			rules := org.SortedRules()
			pos := rr.IntN(len(rules) + 1)
			if in.Scenario == steps.CodeTwoOnline && pos == 0 && len(rules) > 0 {
				pos = 1 // the add-on's rule stays on top, as CodeTwo requires
			}
			rules = append(rules[:pos], append([]exchange.TransportRule{rule}, rules[pos:]...)...)
			for j := range rules {
				rules[j].Priority = j
			}
			org.TransportRules = rules
			benignConnectors(rr, org, in, i)
		}})
	}
	return out
}

// Property: whatever harmless neighbours an organisation has, the plan's
// route holds.
func TestPropertyHarmlessNeighboursNeverBreakTheRoute(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	for _, in := range scenarioInputs() {
		for n := 0; n < propertyRuns; n++ {
			ns := randomNeighbours(r)
			rep, err := Run(Options{Inputs: in, Neighbours: ns})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Exit() != 0 {
				org, _ := Build(in, ns)
				t.Fatalf("%s, run %d: the route breaks with harmless neighbours:\n%s\nrules: %+v\nconnectors: %+v %+v",
					in.Scenario, n, textOf(rep), org.TransportRules, org.SendConnectors, org.OutboundConnectors)
			}
		}
	}
}

// Property: one harmful neighbour among harmless ones is always found, and
// the failing finding names it.
func TestPropertyAHarmfulNeighbourIsNamed(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2026))
	for _, in := range scenarioInputs() {
		harms := harmful(in)
		if len(harms) == 0 {
			t.Fatalf("%s: no harmful neighbour to test with", in.Scenario)
		}
		for n := 0; n < propertyRuns/3; n++ {
			h := pick(r, harms)
			ns := append(randomNeighbours(r), h)
			rep, err := Run(Options{Inputs: in, Neighbours: ns})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Exit() == 0 {
				t.Fatalf("%s: %s does not break the route?\n%s", in.Scenario, h.Name, textOf(rep))
			}
			named := false
			for _, f := range rep.Findings {
				if f.Severity == "fail" && (f.Object == h.Name || strings.Contains(f.Message, h.Name)) {
					named = true
				}
			}
			if !named {
				t.Fatalf("%s: no failing finding names %q:\n%s", in.Scenario, h.Name, textOf(rep))
			}
		}
	}
}

// harmful neighbours per scenario: a stop-processing rule on top that
// matches all inside mail; a connector that takes the provider's mail.
func harmful(in steps.Inputs) []Neighbour {
	var out []Neighbour
	if in.Scenario != steps.CryptshareOnPrem {
		out = append(out, Neighbour{Name: "Harmful stop rule", Add: func(org *exchange.Org, _ steps.Inputs) {
			addRuleOnTop(org, disclaimerRule("Harmful stop rule", true))
		}})
	}
	switch in.Scenario {
	case steps.PAMSOnPrem, steps.RelayOnPrem:
		out = append(out, Neighbour{Name: "Harmful placeholder connector", Add: func(org *exchange.Org, in steps.Inputs) {
			org.SendConnectors = append(org.SendConnectors, exchange.SendConnector{Name: "Harmful placeholder connector", Enabled: true,
				AddressSpaces: []string{"SMTP:" + in.PlaceholderDomain + ";1"}, DNSRoutingEnabled: true})
		}})
	case steps.CryptshareOnPrem:
		out = append(out, Neighbour{Name: "Harmful .net connector", Add: func(org *exchange.Org, _ steps.Inputs) {
			org.SendConnectors = append(org.SendConnectors, exchange.SendConnector{Name: "Harmful .net connector", Enabled: true,
				AddressSpaces: []string{"SMTP:*.net;5"}, DNSRoutingEnabled: true})
		}})
	}
	return out
}

func textOf(rep Report) string {
	var b strings.Builder
	WriteText(&b, rep)
	return b.String()
}
