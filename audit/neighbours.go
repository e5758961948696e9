package audit

import (
	"relaywiz/exchange"
	"relaywiz/steps"
)

// Neighbour is an object real organisations often have before relaywiz
// comes: it is added to the model before the plan is applied.
type Neighbour struct {
	ID   string // internet-connector, disclaimer, disclaimer-stop, smart-host, third-party
	Name string // the Exchange object's name
	// MayBreak says the neighbour can break the route for some messages
	// unless the admin does something (the checklist and apply.ps1 say
	// what); a stop-processing rule breaks it only for the mail it matches.
	MayBreak bool
	Add      func(org *exchange.Org, in steps.Inputs)
}

// Neighbour object names.
const (
	NeighbourInternet      = "Internet"
	NeighbourDisclaimer    = "Company disclaimer"
	NeighbourSignatureStop = "Company signature (stop processing)"
	NeighbourSmartHost     = "Archive smart host"
	NeighbourThirdParty    = "Proofpoint Outbound"
)

// addRuleOnTop inserts a rule at priority 0, shifting the others down.
func addRuleOnTop(org *exchange.Org, r exchange.TransportRule) {
	rules := append([]exchange.TransportRule{r}, org.SortedRules()...)
	for i := range rules {
		rules[i].Priority = i
	}
	org.TransportRules = rules
}

func disclaimerRule(name string, stop bool) exchange.TransportRule {
	return exchange.TransportRule{
		Name: name, State: "Enabled", Mode: "Enforce", StopRuleProcessing: stop, RuleErrorAction: "Ignore",
		Conditions: exchange.Params{"FromScope": {"InOrganization"}},
		Actions: exchange.Params{
			"ApplyHtmlDisclaimerText":           {"<p>Company Ltd, registered in ...</p>"},
			"ApplyHtmlDisclaimerLocation":       {"Append"},
			"ApplyHtmlDisclaimerFallbackAction": {"Wrap"},
		},
	}
}

// Neighbours returns the common neighbours for a scenario: on-premises the
// default Internet send connector (SMTP:*, DNS) and another smart-host send
// connector; Online another smart-host outbound connector and, for
// codetwo-online, another third-party connector the admin did not name;
// everywhere an organisation-wide disclaimer rule at priority 0, without
// and with StopRuleProcessing.
func Neighbours(in steps.Inputs) []Neighbour {
	s, _ := steps.Lookup(string(in.Scenario))
	var out []Neighbour
	if !s.Online {
		out = append(out, Neighbour{ID: "internet-connector", Name: NeighbourInternet,
			// For cryptshare-onprem an Internet connector that the admin
			// did not name competes with the gateway connector for *.
			MayBreak: in.Scenario == steps.CryptshareOnPrem && !named(in.Connectors, NeighbourInternet),
			Add: func(org *exchange.Org, _ steps.Inputs) {
				if !hasSend(org, NeighbourInternet) {
					org.SendConnectors = append(org.SendConnectors, internetConnector(NeighbourInternet))
				}
			}})
		out = append(out, Neighbour{ID: "smart-host", Name: NeighbourSmartHost,
			Add: func(org *exchange.Org, _ steps.Inputs) {
				org.SendConnectors = append(org.SendConnectors, exchange.SendConnector{
					Name: NeighbourSmartHost, Enabled: true, AddressSpaces: []string{"SMTP:archive.example;1"},
					SmartHosts: []string{"archive" + smartHostSuffix}, Port: 25, SmartHostAuthMechanism: "None",
					SourceTransportServers: []string{steps.LocalServerName},
				})
			}})
	} else {
		out = append(out, Neighbour{ID: "smart-host", Name: NeighbourSmartHost,
			Add: func(org *exchange.Org, _ steps.Inputs) {
				org.OutboundConnectors = append(org.OutboundConnectors, thirdPartyConnector(NeighbourSmartHost, []string{"archive.example"}))
			}})
	}
	if in.Scenario == steps.CodeTwoOnline {
		out = append(out, Neighbour{ID: "third-party", Name: NeighbourThirdParty,
			Add: func(org *exchange.Org, _ steps.Inputs) {
				org.OutboundConnectors = append(org.OutboundConnectors, thirdPartyConnector(NeighbourThirdParty, []string{"partner.example"}))
			}})
	}
	out = append(out, Neighbour{ID: "disclaimer", Name: NeighbourDisclaimer,
		Add: func(org *exchange.Org, _ steps.Inputs) { addRuleOnTop(org, disclaimerRule(NeighbourDisclaimer, false)) }})
	out = append(out, Neighbour{ID: "disclaimer-stop", Name: NeighbourSignatureStop,
		// A rule on top that stops processing hides every rule below it
		// from the mail it matches; relaywiz's rules are only safe above it
		// (--priority 0). The add-on scenario is broken the same way.
		MayBreak: stopBreaks(in),
		Add: func(org *exchange.Org, _ steps.Inputs) {
			addRuleOnTop(org, disclaimerRule(NeighbourSignatureStop, true))
		}})
	return out
}

func named(list []string, name string) bool {
	for _, n := range list {
		if n == name {
			return true
		}
	}
	return false
}

func hasSend(org *exchange.Org, name string) bool {
	for _, c := range org.SendConnectors {
		if c.Name == name {
			return true
		}
	}
	return false
}

// stopBreaks: which scenarios a stop-processing rule on top breaks.
func stopBreaks(in steps.Inputs) bool {
	switch in.Scenario {
	case steps.CryptshareOnPrem:
		return false // no rules: routing is by address space alone
	case steps.CodeTwoOnline:
		return true // the add-on's rule is pushed below it
	}
	return in.Priority != 0
}
