package steps

import (
	"reflect"
	"strings"
	"testing"

	"relaywiz/exchange"
)

func existingRules(names ...string) []exchange.TransportRule {
	var out []exchange.TransportRule
	for i, n := range names {
		out = append(out, exchange.TransportRule{Name: n, Priority: i, State: "Enabled"})
	}
	return out
}

func order(org *exchange.Org) []string {
	var out []string
	for _, r := range org.SortedRules() {
		out = append(out, r.Name)
	}
	return out
}

// New-TransportRule.md, -Priority: "The default value for a new rule (the
// 9th rule) is 8" (the end of the list), and "if you set the priority
// value of a rule to the same value as an existing rule, the priority
// value of the existing rule and all other lower priority rules after it
// is increased by 1". The model of apply.ps1 places rules the same way.
func TestApplyToOrgPlacesRulesAsExchangeDoes(t *testing.T) {
	in := Defaults(PAMSOnline)
	org := &exchange.Org{TransportRules: existingRules("Signature", "Journal")}
	if err := ApplyToOrg(org, in); err != nil {
		t.Fatal(err)
	}
	if got := order(org); !reflect.DeepEqual(got, []string{"Signature", "Journal", "Zivver PAMS"}) {
		t.Fatalf("auto priority: %v, want the new rule last", got)
	}
	in.Priority = 1
	org = &exchange.Org{TransportRules: existingRules("Signature", "Journal")}
	if err := ApplyToOrg(org, in); err != nil {
		t.Fatal(err)
	}
	if got := order(org); !reflect.DeepEqual(got, []string{"Signature", "Zivver PAMS", "Journal"}) {
		t.Fatalf("--priority 1: %v", got)
	}
	for i, r := range org.SortedRules() {
		if r.Priority != i {
			t.Fatalf("priorities are not consecutive: %+v", org.TransportRules)
		}
	}
}

// The CodeTwo manual: each smart-host rule goes directly below the
// add-on's rule, the connector becomes rule-scoped and the add-on's rule
// stops processing. apply.ps1 stops when the add-on's rule is missing, and
// so does the model.
func TestApplyToOrgCodeTwo(t *testing.T) {
	in := Defaults(CodeTwoOnline)
	in.Connectors = []string{"Mimecast Outbound"}
	in.AddonRule = "CodeTwo Exchange Rule"
	org := &exchange.Org{
		TransportRules:     existingRules("CodeTwo Exchange Rule", "Disclaimer"),
		OutboundConnectors: []exchange.OutboundConnector{{Name: "Mimecast Outbound", Enabled: true, RecipientDomains: []string{"*.example.net", "*"}}},
	}
	if err := ApplyToOrg(org, in); err != nil {
		t.Fatal(err)
	}
	if got := order(org); !reflect.DeepEqual(got, []string{"CodeTwo Exchange Rule", "Smart host via rule - Mimecast Outbound", "Disclaimer"}) {
		t.Fatalf("order %v", got)
	}
	rules := org.SortedRules()
	if !rules[0].StopRuleProcessing || !org.OutboundConnectors[0].IsTransportRuleScoped {
		t.Fatal("the add-on rule must stop processing and the connector be rule-scoped")
	}
	// Get-DomainPatterns: the connector's domains (not *) become patterns.
	if got := rules[1].Conditions.Get("RecipientAddressMatchesPatterns"); !reflect.DeepEqual(got, []string{`[@.]example\.net$`}) {
		t.Fatalf("patterns %q", got)
	}
	err := ApplyToOrg(&exchange.Org{OutboundConnectors: org.OutboundConnectors}, in)
	if err == nil || !strings.Contains(err.Error(), "CodeTwo Exchange Rule") {
		t.Fatalf("err %v, want the missing add-on rule named", err)
	}
}

// apply.ps1 is safe to run again: it creates only what is missing. So is
// its model.
func TestApplyToOrgTwiceChangesNothing(t *testing.T) {
	names, inputs := GoldenCases()
	for i, in := range inputs {
		if in.Scenario == CodeTwoOnline || in.Scenario == CryptshareOnPrem && len(in.Connectors) > 0 {
			continue // they change objects that must exist first (see the audit's baseline)
		}
		org, err := Model(in)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		again, _ := Model(in)
		if err := ApplyToOrg(again, in); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(org, again) {
			t.Errorf("%s: a second apply changed the organisation", names[i])
		}
	}
}

// The model is built from the plan's settings, so what verify.ps1 checks
// is what the model routes by: the send connector's address space, smart
// host, port and authentication, the rule's header condition and redirect.
func TestModelCarriesThePlanSettings(t *testing.T) {
	in := Defaults(PAMSOnPrem)
	in.Port, in.PlaceholderDomain, in.SourceServers = 25, "zivver-relay.invalid", []string{"EX01"}
	org, err := Model(in)
	if err != nil {
		t.Fatal(err)
	}
	sc := org.SendConnectors[0]
	if !reflect.DeepEqual(sc.AddressSpaces, []string{"SMTP:zivver-relay.invalid;1"}) || sc.Port != 25 ||
		sc.SmartHostAuthMechanism != "BasicAuthRequireTLS" || !sc.IsScopedConnector || !sc.RequireTLS ||
		!reflect.DeepEqual(sc.SourceTransportServers, []string{"EX01"}) || sc.DNSRoutingEnabled {
		t.Fatalf("send connector %+v", sc)
	}
	r := org.TransportRules[0]
	if r.Conditions.First("HeaderMatchesMessageHeader") != "zivver-relay" || r.Actions.First("RedirectMessageTo") != "relay@zivver-relay.invalid" ||
		r.RuleErrorAction != "Defer" || r.Mode != "Enforce" || r.State != "Enabled" {
		t.Fatalf("rule %+v", r)
	}
	if org.AcceptedDomains[0].DomainName != "zivver-relay.invalid" || org.AcceptedDomains[0].DomainType != "Authoritative" {
		t.Fatalf("accepted domain %+v", org.AcceptedDomains)
	}
}
