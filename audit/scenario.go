package audit

import (
	"fmt"
	"strings"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// Names and addresses the model's organisation uses for what the plan
// does not name. They are from the documentation ranges (example.com,
// RFC 5737) so they can never be mistaken for a real organisation.
const (
	OrgDomain       = "corp.example"
	OrgUser         = "alice@corp.example"
	OrgColleague    = "bob@corp.example"
	OutsideAddress  = "partner@example.net"
	AddonConnector  = "CodeTwo Outbound Connector" // the add-on's own connector (codetwo-online)
	AddonInbound    = "CodeTwo Inbound Connector"
	AddonSmartHost  = "tenant.smtp.codetwo.online" // CodeTwo's per-tenant host has this form
	AddonHeader     = "X-CodeTwoProcessed"         // modelled: the add-on marks what it processed
	AddonSenderIP   = "198.51.100.7"
	serverSite      = "Default-First-Site-Name" // Exchange's default Active Directory site name
	providerNameC2  = "CodeTwo"
	smartHostSuffix = ".smarthost.example"
)

// baseline is the organisation before apply.ps1 runs: one authoritative
// domain, and the objects the scenario presupposes (the add-on's rule and
// connectors for codetwo-online, the old send connectors the admin names
// for cryptshare-onprem).
func baseline(in steps.Inputs) *exchange.Org {
	s, _ := steps.Lookup(string(in.Scenario))
	org := &exchange.Org{
		Platform:        exchange.OnPremises,
		Organization:    "corp",
		AcceptedDomains: []exchange.AcceptedDomain{{Name: OrgDomain, DomainName: OrgDomain, DomainType: "Authoritative", Default: true}},
		ServerSites:     map[string]string{strings.ToLower(steps.LocalServerName): serverSite},
	}
	for _, srv := range in.SourceServers {
		org.ServerSites[shortName(srv)] = serverSite
	}
	if s.Online {
		org.Platform = exchange.Online
	}
	switch in.Scenario {
	case steps.CryptshareOnPrem:
		for _, c := range in.Connectors {
			org.SendConnectors = append(org.SendConnectors, internetConnector(c))
		}
	case steps.CodeTwoOnline:
		// The add-on's rule as CodeTwo sets it up: mail from inside to the
		// outside goes to CodeTwo's connector, except what CodeTwo has
		// processed already. Modelled from CodeTwo's description; the real
		// rule's exception may use another header or CodeTwo's IP ranges.
		org.TransportRules = append(org.TransportRules, exchange.TransportRule{
			Name: in.AddonRule, Priority: 0, State: "Enabled", Mode: "Enforce", RuleErrorAction: "Defer",
			Conditions: exchange.Params{"FromScope": {"InOrganization"}, "SentToScope": {"NotInOrganization"}},
			Exceptions: exchange.Params{"ExceptIfHeaderContainsMessageHeader": {AddonHeader}, "ExceptIfHeaderContainsWords": {"true"}},
			Actions:    exchange.Params{"RouteMessageOutboundConnector": {AddonConnector}},
		})
		org.OutboundConnectors = append(org.OutboundConnectors, exchange.OutboundConnector{
			Name: AddonConnector, Enabled: true, ConnectorType: "Partner", IsTransportRuleScoped: true,
			SmartHosts: []string{AddonSmartHost}, TlsSettings: "DomainValidation", TlsDomain: AddonSmartHost,
		})
		org.InboundConnectors = append(org.InboundConnectors, exchange.InboundConnector{
			Name: AddonInbound, Enabled: true, ConnectorType: "OnPremises", SenderDomains: []string{"*"}, RequireTls: true,
		})
		for _, c := range in.Connectors {
			org.OutboundConnectors = append(org.OutboundConnectors, thirdPartyConnector(c, []string{"*"}))
		}
	}
	return org
}

// internetConnector is the send connector Exchange's set-up guides create
// for outgoing mail: every domain, delivered by MX.
func internetConnector(name string) exchange.SendConnector {
	return exchange.SendConnector{Name: name, Enabled: true, AddressSpaces: []string{"SMTP:*;1"}, DNSRoutingEnabled: true,
		SourceTransportServers: []string{steps.LocalServerName}, MaxMessageSize: "35 MB (36,700,160 bytes)"}
}

// thirdPartyConnector is a smart-host service's outbound connector
// (Mimecast, Proofpoint, ...), as their set-up guides create it.
func thirdPartyConnector(name string, domains []string) exchange.OutboundConnector {
	return exchange.OutboundConnector{Name: name, Enabled: true, ConnectorType: "Partner", RecipientDomains: domains,
		SmartHosts: []string{slug(name) + smartHostSuffix}, TlsSettings: "CertificateValidation"}
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func shortName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexByte(s, '.'); i > 0 {
		return s[:i]
	}
	return s
}

// ProviderOf names the hosts that count as the provider for a scenario:
// the smart host the plan's connector delivers to, or the add-on service.
func ProviderOf(in steps.Inputs) exchange.Provider {
	s, _ := steps.Lookup(string(in.Scenario))
	p := exchange.Provider{Name: s.Provider}
	switch in.Scenario {
	case steps.CodeTwoOnline:
		p.Hosts = []string{"*.smtp.codetwo.online"}
	case steps.CryptshareOnPrem, steps.CryptshareOnline:
		host := in.SmartHost
		if host == "" {
			host = in.GatewayIP
		}
		p.Hosts = []string{host}
	default:
		p.Hosts = []string{in.SmartHost}
	}
	return p
}

// AddReturns records the services of the scenario that hand mail back to
// Exchange, so the audit can follow a message around again and find loops:
// the Cryptshare gateway (back through relaywiz's inbound connector, from
// its public IP: Cryptshare's M365 guide, "replies to outgoing mails will
// trigger the rule again and send back to the CMG" without the IP
// exception), and for codetwo-online the add-on (back through an
// OnPremises inbound connector with its processed header). It works on the
// plan's model and on an organisation read from an export alike; a service
// already recorded is left alone.
func AddReturns(org *exchange.Org, in steps.Inputs) {
	has := func(conn string) bool {
		for _, r := range org.Returns {
			if strings.EqualFold(r.Connector, conn) {
				return true
			}
		}
		return false
	}
	switch in.Scenario {
	case steps.CryptshareOnline:
		outs, ins := steps.PlannedNames(in, "OutboundConnector"), steps.PlannedNames(in, "InboundConnector")
		if len(outs) == 0 || len(ins) == 0 || has(outs[0]) {
			return
		}
		org.Returns = append(org.Returns, exchange.Return{Name: "the Cryptshare Mail Gateway", Connector: outs[0], Inbound: ins[0], SenderIP: in.GatewayIP})
	case steps.CodeTwoOnline:
		conn := ""
		for _, r := range org.TransportRules {
			if strings.EqualFold(r.Name, in.AddonRule) {
				conn = r.Actions.First("RouteMessageOutboundConnector")
			}
		}
		if conn == "" || has(conn) {
			return
		}
		inbound := ""
		for _, c := range org.InboundConnectors {
			if c.Enabled && strings.EqualFold(c.ConnectorType, "OnPremises") {
				inbound = c.Name
				break
			}
		}
		org.Returns = append(org.Returns, exchange.Return{Name: providerNameC2, Connector: conn, Inbound: inbound, SenderIP: AddonSenderIP,
			AddHeaders: []exchange.Header{{Name: AddonHeader, Value: "true"}}})
	}
}

// Build returns the organisation the audit works on: the baseline, the
// neighbours asked for, and then the plan applied as apply.ps1 would.
func Build(in steps.Inputs, neighbours []Neighbour) (*exchange.Org, error) {
	org := baseline(in)
	for _, n := range neighbours {
		n.Add(org, in)
	}
	if err := steps.ApplyToOrg(org, in); err != nil {
		return nil, fmt.Errorf("apply the plan to the model: %w", err)
	}
	AddReturns(org, in)
	return org, nil
}
