package exchange

import (
	"strings"
	"testing"
)

// Connector selection, each test one documented behaviour.

func pamsOrg() *Org {
	o := onPremOrg()
	o.AcceptedDomains = append(o.AcceptedDomains, AcceptedDomain{Name: "Zivver PAMS", DomainName: "zivver.org", DomainType: "Authoritative"})
	o.MailContacts = []MailContact{{Name: "Zivver PAMS contact", Alias: "relay", ExternalEmailAddress: "SMTP:relay@zivver.org", PrimarySmtpAddress: "relay@zivver.org"}}
	o.SendConnectors = []SendConnector{zivverSend("SMTP:zivver.org;1"), internet()}
	o.TransportRules = []TransportRule{rule("Zivver PAMS", 0,
		Params{"HeaderMatchesMessageHeader": {"zivver-relay"}, "HeaderMatchesPatterns": {"..*"}},
		Params{"RedirectMessageTo": {"relay@zivver.org"}, "SetHeaderName": {"x-zivver-ignore-smtp-recipients"}, "SetHeaderValue": {"true"}})}
	return o
}

// New-TransportRule.md, -RedirectMessageTo: redirects to the recipient,
// named by "Name", "Alias" or "Email address" among others; the contact in
// the authoritative placeholder domain then goes to the send connector for
// that domain (the PAMS construction of Zivver's manual).
func TestRedirectToThePlaceholderContactReachesTheProvider(t *testing.T) {
	for _, id := range []string{"relay@zivver.org", "relay", "Zivver PAMS contact"} {
		o := pamsOrg()
		o.TransportRules[0].Actions["RedirectMessageTo"] = []string{id}
		r := Simulate(o, msg("Offer", Header{"zivver-relay", "zivver-message-info"}), zivver)
		wantVerdict(t, r, VerdictProvider)
		h := r.Passes[0].Hops[0]
		if h.Connector != "Zivver" || h.Port != 587 || !strings.Contains(h.Auth, "LOGIN") {
			t.Fatalf("redirect to %q: hop %+v", id, h)
		}
	}
}

// [EXD] send-connectors.md, connector selection: the closest address-space
// match wins over "*" even when "*" is cheaper.
func TestMostSpecificAddressSpaceWins(t *testing.T) {
	o := pamsOrg()
	o.SendConnectors[0].AddressSpaces = []string{"SMTP:zivver.org;10"}
	r := Simulate(o, msg("Offer", Header{"zivver-relay", "x"}), zivver)
	wantVerdict(t, r, VerdictProvider)
	if !strings.Contains(r.Passes[0].Hops[0].Why, "more specifically") {
		t.Fatalf("why: %s", r.Passes[0].Hops[0].Why)
	}
	// A wildcard for the domain's parent is less specific than the domain.
	as, _ := parseAddressSpace("SMTP:*.zivver.org;1")
	exact, _ := parseAddressSpace("zivver.org")
	if as.matchLen("relay.zivver.org") <= 0 || exact.matchLen("zivver.org") <= as.matchLen("relay.zivver.org") {
		t.Fatal("an exact domain must rank above a wildcard, a wildcard above *")
	}
}

// New-SendConnector.md, -AddressSpaces: "A lower cost indicates a better
// route"; with equal matches the cheaper connector wins.
func TestLowerCostWinsOnEqualMatch(t *testing.T) {
	o := onPremOrg()
	cheap := internet()
	cheap.Name, cheap.AddressSpaces = "B cheap", []string{"SMTP:*;1"}
	dear := internet()
	dear.Name, dear.AddressSpaces = "A dear", []string{"SMTP:*;5"}
	o.SendConnectors = []SendConnector{dear, cheap}
	r := Simulate(o, msg("x"), zivver)
	if h := r.Passes[0].Hops[0]; h.Connector != "B cheap" || !strings.Contains(h.Why, "lower cost") {
		t.Fatalf("hop %+v, want the cost-1 connector", h)
	}
	// Equal match and equal cost: which one Exchange takes is not
	// documented. When both go out by MX the verdict is the same either
	// way; when one of them is the provider's, the model does not guess.
	dear.AddressSpaces = []string{"SMTP:*;1"}
	o.SendConnectors = []SendConnector{dear, cheap}
	r = Simulate(o, msg("x"), zivver)
	wantVerdict(t, r, VerdictDirect)
	if !strings.Contains(r.Passes[0].Hops[0].Why, "tied") {
		t.Fatalf("why %q does not mention the tie", r.Passes[0].Hops[0].Why)
	}
	gw := zivverSend("SMTP:*;1")
	o.SendConnectors = []SendConnector{dear, gw}
	r = Simulate(o, msg("x"), zivver)
	wantVerdict(t, r, VerdictUnknown)
	if !strings.Contains(r.Reason, "ties with") {
		t.Fatalf("reason %q", r.Reason)
	}
}

// New-SendConnector.md, -AddressSpaces: "contoso.com", "SMTP:contoso.com",
// "contoso.com;1" and "SMTP:contoso.com;1" are the same; scoped connectors
// print as "Local:SMTP:contoso.com;1".
func TestAddressSpaceForms(t *testing.T) {
	for _, s := range []string{"SMTP:contoso.com;1", "contoso.com;1", "SMTP:contoso.com", "contoso.com", "Local:SMTP:contoso.com;1"} {
		as, ok := parseAddressSpace(s)
		if !ok || as.Domain != "contoso.com" || as.Cost != 1 || as.Type != "SMTP" {
			t.Errorf("parseAddressSpace(%q) = %+v, %v", s, as, ok)
		}
	}
	if _, ok := parseAddressSpace("SMTP:contoso.com;101"); ok {
		t.Error("cost is 1 through 100")
	}
}

// New-SendConnector.md, -IsScopedConnector: "$true, the connector can only
// be used by Transport service on Mailbox servers in the same Active
// Directory site."
func TestScopedConnectorServesOnlyItsSite(t *testing.T) {
	m := msg("Offer", Header{"zivver-relay", "x"})
	o := pamsOrg()
	o.SendConnectors[0].IsScopedConnector = true
	o.SendConnectors = o.SendConnectors[:1] // no Internet connector
	for server, want := range map[string]Verdict{"EX01": VerdictProvider, "ex02.corp.example": VerdictProvider, "EX09": VerdictUndeliverable} {
		m.Server = server
		wantVerdict(t, Simulate(o, m, zivver), want)
	}
	// Not scoped: every server may use it.
	o.SendConnectors[0].IsScopedConnector = false
	m.Server = "EX09"
	wantVerdict(t, Simulate(o, m, zivver), VerdictProvider)
}

// A disabled send connector is not a route.
func TestDisabledSendConnectorIsNoRoute(t *testing.T) {
	o := pamsOrg()
	o.SendConnectors[0].Enabled = false
	r := Simulate(o, msg("Offer", Header{"zivver-relay", "x"}), zivver)
	// zivver.org is then caught by the Internet connector's *: out by MX.
	wantVerdict(t, r, VerdictDirect)
	o.SendConnectors = o.SendConnectors[:1]
	wantVerdict(t, Simulate(o, msg("Offer", Header{"zivver-relay", "x"}), zivver), VerdictUndeliverable)
}

// New-AcceptedDomain.md: mail for an authoritative domain is delivered
// inside the organisation.
func TestAuthoritativeDomainIsInternal(t *testing.T) {
	m := msg("x")
	m.To = []string{"bob@corp.example"}
	wantVerdict(t, Simulate(pamsOrg(), m, zivver), VerdictInternal)
	wantVerdict(t, Simulate(onlineOrg(), m, zivver), VerdictInternal)
}

// The tricky one: a rule redirects to a contact whose address is outside
// every provider connector's address space. The Internet connector's *
// takes it, by DNS: the message leaves unsecured.
func TestRedirectToContactOutsideEveryAddressSpaceGoesDirectByMX(t *testing.T) {
	o := pamsOrg()
	o.MailContacts[0].ExternalEmailAddress = "SMTP:relay@zivver.com" // typo: .com instead of .org
	o.TransportRules[0].Actions["RedirectMessageTo"] = []string{"Zivver PAMS contact"}
	r := Simulate(o, msg("Offer", Header{"zivver-relay", "x"}), zivver)
	wantVerdict(t, r, VerdictDirect)
	if h := r.Passes[0].Hops[0]; !h.MX || h.Connector != "Internet" {
		t.Fatalf("hop %+v, want the Internet connector by MX", h)
	}
	// Exchange Online: the same redirect, no connector covers it: MX.
	on := onlineOrg()
	on.MailContacts = o.MailContacts
	on.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	on.TransportRules = o.TransportRules
	r = Simulate(on, msg("Offer", Header{"zivver-relay", "x"}), zivver)
	wantVerdict(t, r, VerdictDirect)
	if h := r.Passes[0].Hops[0]; h.Kind != "mx" {
		t.Fatalf("hop %+v, want MX", h)
	}
}

// New-OutboundConnector.md, -IsTransportRuleScoped: a rule-scoped
// connector is used through a rule's RouteMessageOutboundConnector; without
// such a rule, mail does not go there even if RecipientDomains covers it.
func TestRuleScopedConnectorWithoutARuleIsNotUsed(t *testing.T) {
	o := onlineOrg()
	c := zivverOutbound(true)
	c.RecipientDomains = []string{"*"}
	o.OutboundConnectors = []OutboundConnector{c}
	r := Simulate(o, msg("Secure offer"), zivver)
	wantVerdict(t, r, VerdictDirect)
	if h := r.Passes[0].Hops[0]; h.Kind != "mx" || !strings.Contains(h.Why, "rule-scoped") {
		t.Fatalf("hop %+v", h)
	}
	// The same connector not rule-scoped takes all mail by RecipientDomains.
	o.OutboundConnectors[0].IsTransportRuleScoped = false
	wantVerdict(t, Simulate(o, msg("Lunch"), zivver), VerdictProvider)
}

// New-OutboundConnector.md, -RecipientDomains: "*.contoso.com" covers the
// subdomains; the most specific list wins.
func TestRecipientDomainsMostSpecific(t *testing.T) {
	o := onlineOrg()
	all := OutboundConnector{Name: "All", Enabled: true, RecipientDomains: []string{"*"}, SmartHosts: []string{"all.example"}}
	sub := OutboundConnector{Name: "Sub", Enabled: true, RecipientDomains: []string{"*.example.net"}, SmartHosts: []string{"sub.example"}}
	o.OutboundConnectors = []OutboundConnector{all, sub}
	m := msg("x")
	m.To = []string{"a@eu.example.net"}
	if h := Simulate(o, m, zivver).Passes[0].Hops[0]; h.Connector != "Sub" {
		t.Fatalf("hop %+v, want Sub", h)
	}
}

// New-OutboundConnector.md, -UseMXRecord: "$true: The connector uses DNS
// routing (MX records in DNS)"; a connector that uses MX is not the
// provider even if it is the one chosen.
func TestOutboundConnectorWithMXIsDirect(t *testing.T) {
	o := onlineOrg()
	c := zivverOutbound(true)
	c.UseMXRecord = true
	o.OutboundConnectors = []OutboundConnector{c}
	o.TransportRules = []TransportRule{rule("r", 0, nil, Params{"RouteMessageOutboundConnector": {"Zivver"}})}
	wantVerdict(t, Simulate(o, msg("x"), zivver), VerdictDirect)
}

// RouteMessageOutboundConnector exists only in Exchange Online: on
// premises the model cannot say what such a rule does.
func TestRouteToConnectorOnPremisesIsUnknown(t *testing.T) {
	o := pamsOrg()
	o.TransportRules[0].Actions = Params{"RouteMessageOutboundConnector": {"Zivver"}}
	wantVerdict(t, Simulate(o, msg("Offer", Header{"zivver-relay", "x"}), zivver), VerdictUnknown)
}

// CodeTwo's knowledge-base article: a smart host that hands mail back to
// Exchange Online and a rule without the anti-loop exception send it out
// again and again (NDR ATTR1). The model finds the loop and names the
// exception the rule lacks.
func TestSmartHostReturnWithoutExceptionLoops(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{{Name: "Mimecast", Enabled: true, IsTransportRuleScoped: true, SmartHosts: []string{"mimecast.example"}}}
	o.InboundConnectors = []InboundConnector{{Name: "From Mimecast", Enabled: true, ConnectorType: "OnPremises", SenderDomains: []string{"*"}}}
	o.Returns = []Return{{Name: "Mimecast", Connector: "Mimecast", Inbound: "From Mimecast", SenderIP: "198.51.100.9"}}
	route := rule("to Mimecast", 0, Params{"FromScope": {"InOrganization"}, "SentToScope": {"NotInOrganization"}},
		Params{"SetHeaderName": {"X-AntiLoop-Smarthost"}, "SetHeaderValue": {"true"}, "RouteMessageOutboundConnector": {"Mimecast"}})
	o.TransportRules = []TransportRule{route}
	r := Simulate(o, msg("x"), Provider{Hosts: []string{"mimecast.example"}})
	wantVerdict(t, r, VerdictLoop)
	if r.LoopRule != "to Mimecast" || !strings.Contains(r.LoopException, "ExceptIfSenderIpRanges 198.51.100.9") {
		t.Fatalf("loop rule %q, exception %q", r.LoopRule, r.LoopException)
	}
	// With the exception on the header the rule itself sets, the returned
	// copy is delivered by MX: once to the smart host, no loop.
	o.TransportRules[0].Exceptions = Params{"ExceptIfHeaderContainsMessageHeader": {"X-AntiLoop-Smarthost"}, "ExceptIfHeaderContainsWords": {"true"}}
	r = Simulate(o, msg("x"), Provider{Hosts: []string{"mimecast.example"}})
	wantVerdict(t, r, VerdictProvider)
	if len(r.Passes) != 2 || r.Passes[1].Hops[0].Kind != "mx" {
		t.Fatalf("passes %+v, want the second pass to leave by MX", r.Passes)
	}
}

// New-SendConnector.md, -MaxMessageSize: a message larger than the chosen
// connector's limit does not pass it (and does not take another route).
func TestMessageOverTheConnectorLimitIsUndeliverable(t *testing.T) {
	o := pamsOrg()
	o.SendConnectors[0].MaxMessageSize = "50 MB (52,428,800 bytes)"
	m := msg("Offer", Header{"zivver-relay", "x"})
	m.SizeBytes = 40 << 20
	wantVerdict(t, Simulate(o, m, zivver), VerdictProvider)
	m.SizeBytes = 60 << 20
	r := Simulate(o, m, zivver)
	wantVerdict(t, r, VerdictUndeliverable)
	if !strings.Contains(r.Reason, "MaxMessageSize") {
		t.Fatalf("reason %q", r.Reason)
	}
}
