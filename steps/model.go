package steps

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"relaywiz/exchange"
)

// LocalServerName stands, in the routing model, for "the Exchange server
// apply.ps1 runs on" (-SourceTransportServers @($env:COMPUTERNAME)).
const LocalServerName = "EXCHANGE-LOCAL"

// ApplyToOrg does to a model of an organisation what apply.ps1 does to the
// real one, from the same plan the scripts are rendered from: it creates
// the objects that do not exist yet (looked up as apply.ps1 looks them up),
// inserts the rules at the priority apply.ps1 gives them (shifting the
// rules below, as Exchange does), and makes the changes to existing
// objects. It fails where apply.ps1 stops (e.g. the add-on rule is
// missing). The inputs must be valid.
func ApplyToOrg(org *exchange.Org, in Inputs) error {
	if err := in.Validate(); err != nil {
		return err
	}
	p, err := newPlan(in)
	if err != nil {
		return err
	}
	if p.S.Online {
		org.Platform = exchange.Online
	} else {
		org.Platform = exchange.OnPremises
	}
	for _, o := range p.Objects {
		if err := applyObject(org, o); err != nil {
			return fmt.Errorf("step %d (%s %s): %w", o.Step, o.Title, plainValue(o.Name), err)
		}
	}
	return nil
}

// Model is the organisation that holds only what apply.ps1 creates (plus
// nothing else): the plan on an empty organisation. Scenarios that change
// existing objects (codetwo-online) need those objects first; use
// ApplyToOrg on an organisation that has them.
func Model(in Inputs) (*exchange.Org, error) {
	org := &exchange.Org{}
	if err := ApplyToOrg(org, in); err != nil {
		return nil, err
	}
	return org, nil
}

// PlannedRules returns the names of the rules the plan creates, in plan
// order, and PlannedConnectors the connectors, so that an audit can point
// at relaywiz's own objects.
func PlannedRules(in Inputs) []string { return plannedNames(in, kindTransportRule) }

// PlannedConnectors returns the send or outbound connectors the plan
// creates.
func PlannedConnectors(in Inputs) []string {
	return append(plannedNames(in, kindSendConnector), plannedNames(in, kindOutboundConnector)...)
}

// PlannedNames returns the names of the objects of one kind
// ("TransportRule", "SendConnector", "OutboundConnector",
// "InboundConnector", "MailContact", "AcceptedDomain") the plan creates.
func PlannedNames(in Inputs, k string) []string { return plannedNames(in, kind(k)) }

func plannedNames(in Inputs, k kind) []string {
	p, err := newPlan(in)
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range p.Objects {
		if o.Kind == k {
			out = append(out, modelString(o.Name))
		}
	}
	return out
}

// modelValues renders a setting's value the way Exchange prints it back:
// lists of strings, booleans as True/False.
func modelValues(v any) []string {
	switch x := v.(type) {
	case *psVar:
		return modelValues(x.Value)
	case psVar:
		return modelValues(x.Value)
	case string:
		return []string{x}
	case []string:
		return append([]string(nil), x...)
	case bool:
		if x {
			return []string{"True"}
		}
		return []string{"False"}
	case int:
		return []string{strconv.Itoa(x)}
	case localServer:
		return []string{LocalServerName}
	case psRaw:
		return nil // $cred: a credential, nothing to route on
	}
	panic(fmt.Sprintf("steps: modelValues: unsupported value type %T", v))
}

func modelString(v any) string {
	if s := modelValues(v); len(s) > 0 {
		return s[0]
	}
	return ""
}

func settingMap(o *object) map[string][]string {
	m := map[string][]string{}
	for _, s := range o.Settings {
		m[s.Param] = modelValues(s.Value)
	}
	return m
}

func firstOf(m map[string][]string, k string) string {
	if v := m[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func isTrue(m map[string][]string, k string) bool { return strings.EqualFold(firstOf(m, k), "True") }

func applyObject(org *exchange.Org, o *object) error {
	m := settingMap(o)
	name := modelString(o.Name)
	switch o.Kind {
	case kindAcceptedDomain:
		for _, d := range org.AcceptedDomains {
			if strings.EqualFold(d.DomainName, firstOf(m, "DomainName")) {
				return nil // apply.ps1 finds it by DomainName and leaves it
			}
		}
		org.AcceptedDomains = append(org.AcceptedDomains, exchange.AcceptedDomain{
			Name: name, DomainName: firstOf(m, "DomainName"), DomainType: firstOf(m, "DomainType")})
	case kindMailContact:
		addr := firstOf(m, "ExternalEmailAddress")
		for _, c := range org.MailContacts {
			if strings.EqualFold(exchange.StripProxyPrefix(c.ExternalEmailAddress), addr) || strings.EqualFold(c.Name, name) {
				return nil
			}
		}
		org.MailContacts = append(org.MailContacts, exchange.MailContact{
			Name: name, Alias: firstOf(m, "Alias"), ExternalEmailAddress: "SMTP:" + addr, PrimarySmtpAddress: addr})
	case kindSendConnector:
		for _, c := range org.SendConnectors {
			if strings.EqualFold(c.Name, name) {
				return nil
			}
		}
		port, _ := strconv.Atoi(firstOf(m, "Port"))
		sc := exchange.SendConnector{
			Name: name, Enabled: enabled(m), AddressSpaces: m["AddressSpaces"], SmartHosts: m["SmartHosts"], Port: port,
			DNSRoutingEnabled: isTrue(m, "DNSRoutingEnabled"), SmartHostAuthMechanism: firstOf(m, "SmartHostAuthMechanism"),
			RequireTLS: isTrue(m, "RequireTLS"), TlsAuthLevel: firstOf(m, "TlsAuthLevel"), TlsDomain: firstOf(m, "TlsDomain"),
			IsScopedConnector: isTrue(m, "IsScopedConnector"), SourceTransportServers: m["SourceTransportServers"],
			MaxMessageSize: firstOf(m, "MaxMessageSize"),
		}
		org.SendConnectors = append(org.SendConnectors, sc)
	case kindOutboundConnector:
		if _, ok := findOutbound(org, name); ok {
			return nil
		}
		org.OutboundConnectors = append(org.OutboundConnectors, exchange.OutboundConnector{
			Name: name, Enabled: enabled(m), ConnectorType: firstOf(m, "ConnectorType"),
			IsTransportRuleScoped: isTrue(m, "IsTransportRuleScoped"), RecipientDomains: m["RecipientDomains"],
			SmartHosts: m["SmartHosts"], UseMXRecord: isTrue(m, "UseMXRecord"),
			TlsSettings: firstOf(m, "TlsSettings"), TlsDomain: firstOf(m, "TlsDomain"),
		})
	case kindInboundConnector:
		for _, c := range org.InboundConnectors {
			if strings.EqualFold(c.Name, name) {
				return nil
			}
		}
		org.InboundConnectors = append(org.InboundConnectors, exchange.InboundConnector{
			Name: name, Enabled: enabled(m), ConnectorType: firstOf(m, "ConnectorType"), SenderDomains: m["SenderDomains"],
			SenderIPAddresses: m["SenderIPAddresses"], RequireTls: m["RequireTls"] == nil || isTrue(m, "RequireTls"),
		})
	case kindTransportRule:
		return applyRule(org, o, name)
	case kindDisableSend:
		for i := range org.SendConnectors {
			if strings.EqualFold(org.SendConnectors[i].Name, name) {
				org.SendConnectors[i].Enabled = false
				return nil
			}
		}
		return fmt.Errorf("send connector %q not found", name)
	case kindScopeOutbound:
		for i := range org.OutboundConnectors {
			if strings.EqualFold(org.OutboundConnectors[i].Name, name) {
				org.OutboundConnectors[i].IsTransportRuleScoped = true
				return nil
			}
		}
		return fmt.Errorf("outbound connector %q not found", name)
	case kindAddonStopsRules:
		for i := range org.TransportRules {
			if strings.EqualFold(org.TransportRules[i].Name, name) {
				org.TransportRules[i].StopRuleProcessing = true
				return nil
			}
		}
		return fmt.Errorf("the add-on rule %q was not found", name)
	case kindAllowListEntry:
		ip := modelString(o.IP)
		if len(org.ConnectionFilter) == 0 {
			org.ConnectionFilter = append(org.ConnectionFilter, exchange.ConnectionFilterPolicy{Name: "Default"})
		}
		for _, e := range org.ConnectionFilter[0].IPAllowList {
			if e == ip || e == ip+"/32" {
				return nil
			}
		}
		org.ConnectionFilter[0].IPAllowList = append(org.ConnectionFilter[0].IPAllowList, ip)
	case kindCheckOtherConnect:
		// A check apply.ps1 makes (and warns about); it changes nothing.
	default:
		return fmt.Errorf("no model for %s", o.Kind)
	}
	return nil
}

func findOutbound(org *exchange.Org, name string) (exchange.OutboundConnector, bool) {
	for _, c := range org.OutboundConnectors {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return exchange.OutboundConnector{}, false
}

func findRule(org *exchange.Org, name string) (int, bool) {
	for i, r := range org.TransportRules {
		if strings.EqualFold(r.Name, name) {
			return i, true
		}
	}
	return -1, false
}

// applyRule builds the rule from its settings (conditions, exceptions and
// actions keyed by their parameter names) and inserts it where apply.ps1
// puts it.
func applyRule(org *exchange.Org, o *object, name string) error {
	if _, ok := findRule(org, name); ok {
		return nil
	}
	r := exchange.TransportRule{Name: name, Conditions: exchange.Params{}, Exceptions: exchange.Params{}, Actions: exchange.Params{}}
	for _, s := range o.Settings {
		v := modelValues(s.Value)
		switch s.Role {
		case roleCondition:
			r.Conditions[s.Param] = v
		case roleException:
			r.Exceptions[s.Param] = v
		case roleAction:
			if s.Param == "StopRuleProcessing" {
				r.StopRuleProcessing = isTrue(map[string][]string{"x": v}, "x")
				continue
			}
			r.Actions[s.Param] = v
		case roleProperty:
			switch s.Param {
			case "Mode":
				r.Mode = first(v)
			case "RuleErrorAction":
				r.RuleErrorAction = first(v)
			case "Enabled":
				r.State = "Disabled"
				if strings.EqualFold(first(v), "True") {
					r.State = "Enabled"
				}
			case "Comments":
				r.Comments = first(v)
			}
		}
	}
	if o.RouteConnName != nil {
		// apply.ps1 stops when the connector is missing.
		if _, ok := findOutbound(org, modelString(o.RouteConnName)); !ok {
			return fmt.Errorf("the connector %q does not exist, so no rule can route to it", modelString(o.RouteConnName))
		}
	}
	if o.PatternsFrom != nil {
		c, _ := findOutbound(org, modelString(o.PatternsFrom))
		if pats := domainPatterns(c.RecipientDomains); len(pats) > 0 {
			r.Conditions["RecipientAddressMatchesPatterns"] = pats
		}
	}
	rules := org.SortedRules()
	pos := len(rules) // no --priority: Exchange appends the rule
	switch {
	case o.Priority >= 0:
		pos = o.Priority
	case o.BelowRule != nil:
		i, ok := findSorted(rules, modelString(o.BelowRule))
		if !ok {
			return fmt.Errorf("the add-on rule %q was not found", modelString(o.BelowRule))
		}
		pos = i + 1 + o.BelowOffset
	case o.AboveRule != nil:
		if i, ok := findSorted(rules, modelString(o.AboveRule)); ok {
			pos = i
		}
	}
	if pos > len(rules) {
		// Exchange refuses a priority beyond the number of rules; apply.ps1
		// is meant to clamp it (see the audit-live issue).
		pos = len(rules)
	}
	rules = append(rules[:pos], append([]exchange.TransportRule{r}, rules[pos:]...)...)
	for i := range rules {
		rules[i].Priority = i // priorities stay consecutive, as in Exchange
	}
	org.TransportRules = rules
	return nil
}

func findSorted(rules []exchange.TransportRule, name string) (int, bool) {
	for i, r := range rules {
		if strings.EqualFold(r.Name, name) {
			return i, true
		}
	}
	return -1, false
}

// domainPatterns is Get-DomainPatterns of the scripts: a connector's
// recipient domains as address patterns.
func domainPatterns(domains []string) []string {
	var out []string
	for _, d := range domains {
		d = strings.TrimSpace(d)
		switch {
		case d == "" || d == "*":
		case strings.HasPrefix(d, "*."):
			out = append(out, "[@.]"+regexp.QuoteMeta(d[2:])+"$")
		default:
			out = append(out, "@"+regexp.QuoteMeta(d)+"$")
		}
	}
	return out
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// enabled: a new connector is on unless the plan says otherwise (the
// plan's Enabled setting is what verify.ps1 checks).
func enabled(m map[string][]string) bool { return m["Enabled"] == nil || isTrue(m, "Enabled") }
