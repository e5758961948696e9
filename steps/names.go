package steps

import (
	"fmt"
	"unicode/utf8"
)

// objectNames derives every object's name from the --name prefix, so that
// all objects of one set-up sort together in the admin centre and undo can
// find them. Validate checks each derived name against Exchange's 64
// character limit, so an over-long prefix is reported before anything is
// emitted.
type objectNames struct {
	AcceptedDomain string
	Contact        string
	SendConnector  string
	Outbound       string
	Inbound        string
	// rules per trigger kind / purpose
	Rule          string // the single rule (PAMS)
	RuleSubject   string
	RuleLabel     string
	RuleSender    string
	RuleHeader    string // Cryptshare: route on X-CS-Sensitivity
	RuleOWA       string // Cryptshare: set the header from a subject word
	RuleConnector []string
}

func namesFor(in Inputs) objectNames {
	n := in.Name
	out := objectNames{
		AcceptedDomain: n,
		Contact:        n + " contact",
		SendConnector:  n,
		Outbound:       n,
		Rule:           n,
		RuleSubject:    n + " - subject",
		RuleLabel:      n + " - label",
		RuleSender:     n + " - sender",
	}
	switch in.Scenario {
	case CryptshareOnline:
		out.Outbound = n + " - M365 to CMG"
		out.Inbound = n + " - CMG to M365"
		out.RuleHeader = n + " - X-CS-Sensitivity to CMG"
		out.RuleOWA = n + " - OWA subject"
	case CodeTwoOnline:
		for i, c := range in.Connectors {
			name := n + " - " + c
			if utf8.RuneCountInString(name) > MaxNameLen {
				// Long connector names would make the rule name too
				// long; number the rule instead (its comment names the
				// connector).
				name = fmt.Sprintf("%s - connector %d", n, i+1)
			}
			out.RuleConnector = append(out.RuleConnector, name)
		}
	}
	return out
}

// all lists the names the scenario actually creates, for the length check.
func (o objectNames) all(id ScenarioID, in Inputs) []string {
	var out []string
	switch id {
	case PAMSOnPrem:
		out = append(out, o.AcceptedDomain, o.Contact, o.SendConnector, o.Rule)
	case RelayOnPrem:
		out = append(out, o.AcceptedDomain, o.Contact, o.SendConnector)
		out = append(out, o.triggerRules(in)...)
	case PAMSOnline:
		out = append(out, o.Outbound, o.Rule)
	case RelayOnline:
		out = append(out, o.Outbound)
		out = append(out, o.triggerRules(in)...)
	case CryptshareOnPrem:
		out = append(out, o.SendConnector)
	case CryptshareOnline:
		out = append(out, o.Outbound, o.Inbound, o.RuleHeader, o.RuleOWA)
	case CodeTwoOnline:
		out = append(out, o.RuleConnector...)
	}
	return out
}

func (o objectNames) triggerRules(in Inputs) []string {
	var out []string
	if len(in.triggerValues(TriggerSubject)) > 0 {
		out = append(out, o.RuleSubject)
	}
	if len(in.triggerValues(TriggerLabel)) > 0 {
		out = append(out, o.RuleLabel)
	}
	if len(in.triggerValues(TriggerSender)) > 0 {
		out = append(out, o.RuleSender)
	}
	return out
}
