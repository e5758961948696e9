package exchange

import "testing"

// Test organisations are built from small pieces so each test shows
// exactly the objects the documented behaviour is about.

// Citations name the page in MicrosoftDocs/office-docs-powershell,
// exchange/exchange-ps/ExchangePowerShell/ (New-TransportRule.md, ...), or
// [EXD] for MicrosoftDocs/OfficeDocs-Exchange.

var zivver = Provider{Name: "Zivver", Hosts: []string{"smtp.zivver.com"}}

func onPremOrg() *Org {
	return &Org{
		Platform:        OnPremises,
		AcceptedDomains: []AcceptedDomain{{Name: "corp", DomainName: "corp.example", DomainType: "Authoritative", Default: true}},
		ServerSites:     map[string]string{"ex01": "Site-A", "ex02": "Site-A", "ex09": "Site-B"},
	}
}

func onlineOrg() *Org {
	return &Org{
		Platform:        Online,
		AcceptedDomains: []AcceptedDomain{{Name: "corp", DomainName: "corp.example", DomainType: "Authoritative", Default: true}},
	}
}

func msg(subject string, headers ...Header) Message {
	return Message{From: "alice@corp.example", To: []string{"partner@example.net"}, Subject: subject,
		Headers: headers, Via: ViaOutlook, Server: "EX01"}
}

func rule(name string, prio int, cond Params, act Params) TransportRule {
	return TransportRule{Name: name, Priority: prio, State: "Enabled", Mode: "Enforce", Conditions: cond, Actions: act}
}

func zivverSend(spaces ...string) SendConnector {
	return SendConnector{Name: "Zivver", Enabled: true, AddressSpaces: spaces, SmartHosts: []string{"smtp.zivver.com"},
		Port: 587, SmartHostAuthMechanism: "BasicAuthRequireTLS", RequireTLS: true, SourceTransportServers: []string{"EX01"}}
}

func internet() SendConnector {
	return SendConnector{Name: "Internet", Enabled: true, AddressSpaces: []string{"SMTP:*;1"}, DNSRoutingEnabled: true}
}

func zivverOutbound(scoped bool) OutboundConnector {
	return OutboundConnector{Name: "Zivver", Enabled: true, ConnectorType: "Partner", IsTransportRuleScoped: scoped,
		SmartHosts: []string{"smtp.zivver.com"}, TlsSettings: "CertificateValidation"}
}

func trace(t *testing.T, r Result, rule string) RuleTrace {
	t.Helper()
	for _, rt := range r.Passes[0].Rules {
		if rt.Rule == rule {
			return rt
		}
	}
	t.Fatalf("rule %q not in the trace", rule)
	return RuleTrace{}
}

func wantVerdict(t *testing.T, r Result, v Verdict) {
	t.Helper()
	if r.Verdict != v {
		t.Fatalf("verdict %s, want %s (%s); passes: %+v", r.Verdict, v, r.Reason, r.Passes)
	}
}
