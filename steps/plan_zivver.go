package steps

import "fmt"

// zivverOnPrem builds PAMS and Custom Relay for Exchange Server (seeds 000,
// 001): Exchange on-premises cannot route a rule's message to a connector,
// so the rule redirects it to a contact in a made-up accepted domain, and a
// send connector for that domain hands it to Zivver with SMTP AUTH after
// STARTTLS.
func (b *builder) zivverOnPrem() {
	in, n := b.in, b.names
	domainName := b.v("AcceptedDomainName", n.AcceptedDomain, "name of the placeholder accepted domain")
	domain := b.v("PlaceholderDomain", in.PlaceholderDomain, "made-up domain the send connector catches; must not be a real domain")
	contactName := b.v("ContactName", n.Contact, "mail contact the rule redirects to")
	alias := b.v("ContactAlias", in.ContactAlias, "the contact's alias")
	address := b.v("ContactAddress", in.ContactAlias+"@"+in.PlaceholderDomain, "the contact's address in the placeholder domain")
	connName := b.v("SendConnectorName", n.SendConnector, "send connector to the Zivver smart host")
	host := b.v("SmartHost", in.SmartHost, "Zivver's smart host")
	port := b.v("Port", in.Port, "smart-host port (587: submission with STARTTLS; 25 also works)")
	size := b.v("MaxMessageSize", fmt.Sprintf("%dMB", in.MaxSizeMB), "largest message the connector passes on (encoded size)")
	servers := b.sourceServers()

	b.add(&object{
		Kind: kindAcceptedDomain, Title: "accepted domain", Name: domainName, Unique: domain,
		Settings: []setting{
			{Param: "Name", Value: domainName, Label: "Name"},
			{Param: "DomainName", Value: domain, Label: "Accepted domain", Verify: verifyEqual},
			{Param: "DomainType", Value: "Authoritative", Label: "This accepted domain is: Authoritative", Verify: verifyEqual},
		},
	})
	b.add(&object{
		Kind: kindMailContact, Title: "mail contact", Name: contactName, Unique: address,
		Settings: []setting{
			{Param: "Name", Value: contactName, Label: "Name and display name"},
			{Param: "Alias", Value: alias, Label: "Alias", Verify: verifyEqual},
			{Param: "ExternalEmailAddress", Value: address, Label: "External email address", Verify: verifyAddress},
		},
	})
	b.add(&object{
		Kind: kindSendConnector, Title: "send connector", Name: connName, AddressSpace: in.PlaceholderDomain,
		Credential:       true,
		CredentialPrompt: "Zivver Mail Submission SMTP user name and password (Zivver organisation settings)",
		Settings: append(append([]setting{
			{Param: "Name", Value: connName, Label: "Name"},
			{Param: "Custom", Value: true, Label: "Type: Custom"},
			{Param: "AddressSpaces", Value: []string{"SMTP:" + in.PlaceholderDomain + ";1"}, Label: "Address space: type SMTP, FQDN the placeholder domain, cost 1", Verify: verifyAddressSpaces},
			{Param: "DNSRoutingEnabled", Value: false, Label: "Route mail through smart hosts (not MX records)", Verify: verifyEqual},
			{Param: "SmartHosts", Value: host, Label: "Smart host", Verify: verifySmartHosts},
			{Param: "Port", Value: port, Label: "Port", Verify: verifyEqual},
			{Param: "SmartHostAuthMechanism", Value: "BasicAuthRequireTLS", Label: "Smart host authentication: Basic authentication, offered only after starting TLS", Verify: verifyEqual},
			{Param: "AuthenticationCredential", Value: psRaw("$cred"), Label: "User name and password: the Mail Submission SMTP credentials", Verify: verifyCredential},
			{Param: "RequireTLS", Value: true, Label: "Require TLS (relaywiz adds this: the message never leaves in clear text)", Verify: verifyEqual},
		}, tlsValidation(host)...), []setting{
			{Param: "IsScopedConnector", Value: true, Label: "Scoped send connector", Verify: verifyEqual},
			{Param: "SourceTransportServers", Value: servers, Label: "Source servers", Verify: verifyServers},
			{Param: "MaxMessageSize", Value: size, Label: "Maximum send message size (MB)", Verify: verifySizeMB, Want: in.MaxSizeMB},
			{Param: "Enabled", Value: true, Label: "Enabled", Verify: verifyEqual, VerifyOnly: true},
		}...),
		Caveats: smartHostCaveats(in.SmartHost, cavSizeDefault),
	})

	redirect := []setting{
		{Param: "RedirectMessageTo", Value: address, Role: roleAction, Label: "Redirect the message to these recipients: the contact", Verify: verifyRecipientsOnly},
		{Param: "SetHeaderName", Value: "x-zivver-ignore-smtp-recipients", Role: roleAction, Label: "Modify the message properties › set a message header: name", Verify: verifyEqual},
		{Param: "SetHeaderValue", Value: "true", Role: roleAction, Label: "… and value", Verify: verifyEqual},
	}
	ruleCaveats := []caveat{cavIgnoreRecipients, cavRedirectAndHeader, cavAuditMode}

	if b.p.S.ID == PAMSOnPrem {
		rule := b.v("RuleName", n.Rule, "mail flow rule for messages the Zivver plug-in marked")
		b.rule(rule, 0, "sends mail the Zivver Outlook plug-in marked (zivver-relay header) to Zivver through the placeholder contact",
			append(append(pamsCondition(), redirect...), commonRuleProps()...), ruleCaveats)
		return
	}
	b.triggerRules(redirect, ruleCaveats, "redirects it to the placeholder contact, whose send connector delivers it to Zivver")
}

// tlsValidation makes the send connector enforce what relaywiz's check
// proved: a certificate that chains to a trusted root and names the smart
// host (DomainValidation with TlsDomain; New-SendConnector.md: TlsDomain is
// required for DomainValidation on smart-host connectors). A smart host
// given as an IP address has no name to match, so it gets
// CertificateValidation only.
func tlsValidation(host *psVar) []setting {
	name, _ := host.Value.(string)
	if checkIPv4(name) == "" {
		return []setting{{Param: "TlsAuthLevel", Value: "CertificateValidation", Label: "TLS: the certificate must be issued by a trusted authority (relaywiz adds this)", Verify: verifyEqual}}
	}
	return []setting{
		{Param: "TlsAuthLevel", Value: "DomainValidation", Label: "TLS: the certificate must be trusted and name the smart host (relaywiz adds this)", Verify: verifyEqual},
		{Param: "TlsDomain", Value: host, Label: "TLS domain: the smart host", Verify: verifyEqual},
	}
}

// zivverOnline builds PAMS and Custom Relay for Exchange Online (seeds 000,
// 001): a rule-scoped outbound connector to Zivver, and rules that route to
// it. Zivver recognises Exchange Online by the SPF allow list, so there is
// no credential.
func (b *builder) zivverOnline() {
	in, n := b.in, b.names
	connName := b.v("ConnectorName", n.Outbound, "outbound connector to the Zivver smart host")
	host := b.v("SmartHost", in.SmartHost, "Zivver's smart host")
	b.add(&object{
		ValidateTo: b.testRecipient(),
		Kind:       kindOutboundConnector, Title: "outbound connector", Name: connName,
		Settings: []setting{
			{Param: "Name", Value: connName, Label: "Name"},
			{Param: "ConnectorType", Value: "Partner", Label: "From Office 365 to Partner organization", Verify: verifyEqual},
			{Param: "IsTransportRuleScoped", Value: true, Label: "Use of connector: Only when I have a transport rule set up that redirects messages to this connector", Verify: verifyEqual},
			{Param: "UseMXRecord", Value: false, Label: "Routing: Route email through these smart hosts", Verify: verifyEqual},
			{Param: "SmartHosts", Value: host, Label: "Smart host", Verify: verifySmartHosts},
			{Param: "TlsSettings", Value: "CertificateValidation", Label: "Always use TLS; connect only if the certificate is issued by a trusted certificate authority (CA)", Verify: verifyEqual},
			{Param: "Comment", Value: "relaywiz steps, scenario " + string(b.p.S.ID) + ": only mail-flow rules route here", Label: "Comment"},
			{Param: "Enabled", Value: true, Label: "Turn it on", Verify: verifyEqual, VerifyOnly: true},
		},
		Caveats: []caveat{cavTLSMapping},
	})
	route := []setting{
		{Param: "RouteMessageOutboundConnector", Value: connName, Role: roleAction, Label: "Redirect the message to › the following connector", Verify: verifyEqual},
	}
	if b.p.S.ID == PAMSOnline {
		rule := b.v("RuleName", n.Rule, "mail flow rule for messages the Zivver plug-in marked")
		o := b.rule(rule, 0, "routes mail the Zivver Outlook plug-in marked (zivver-relay header) to the Zivver connector",
			append(append(pamsCondition(), route...), commonRuleProps()...), nil)
		o.RouteConnName = connName
		return
	}
	for _, o := range b.triggerRules(route, nil, "routes it to the Zivver connector") {
		o.RouteConnName = connName
	}
}

// pamsCondition matches the header the Zivver Outlook plug-in adds
// (zivver-relay: zivver-message-info); the pattern ..* matches any
// non-empty value, as in Zivver's manual.
func pamsCondition() []setting {
	return []setting{
		{Param: "HeaderMatchesMessageHeader", Value: "zivver-relay", Role: roleCondition, Label: "A message header › matches these text patterns: header name", Verify: verifyEqual},
		{Param: "HeaderMatchesPatterns", Value: []string{"..*"}, Role: roleCondition, Label: "… text pattern (two dots and a star: any non-empty value)", Verify: verifyIncludes},
	}
}

// triggerRules adds one rule per trigger kind: conditions in one rule are
// ANDed, so "subject word OR label OR sender" needs separate rules.
func (b *builder) triggerRules(actions []setting, cavs []caveat, does string) []*object {
	in, n := b.in, b.names
	var out []*object
	offset := 0
	if words := uniqueFold(in.triggerValues(TriggerSubject)); len(words) > 0 {
		v := b.v("SubjectWords", words, "subject words or phrases (any of them)")
		rule := b.v("SubjectRuleName", n.RuleSubject, "rule for the subject words")
		cond := []setting{{Param: "SubjectContainsWords", Value: v, Role: roleCondition, Label: "The subject or body › subject includes any of these words", Verify: verifyIncludes}}
		out = append(out, b.rule(rule, offset, "picks mail whose subject contains one of the words and "+does, append(append(cond, actions...), commonRuleProps()...), append([]caveat{cavWords}, cavs...)))
		offset++
	}
	if guids := uniqueFold(in.triggerValues(TriggerLabel)); len(guids) > 0 {
		var words []string
		for _, g := range guids {
			words = append(words, "MSIP_Label_"+NormalGUID(g)+"_Enabled=True")
		}
		v := b.v("LabelWords", words, "msip_labels entries of the sensitivity labels (any of them)")
		rule := b.v("LabelRuleName", n.RuleLabel, "rule for the sensitivity labels")
		cond := []setting{
			{Param: "SentToScope", Value: "NotInOrganization", Role: roleCondition, Label: "The recipient is located › Outside the organization", Verify: verifyEqual},
			{Param: "HeaderContainsMessageHeader", Value: "msip_labels", Role: roleCondition, Label: "A message header › includes any of these words: header name", Verify: verifyEqual},
			{Param: "HeaderContainsWords", Value: v, Role: roleCondition, Label: "… words", Verify: verifyIncludes},
		}
		out = append(out, b.rule(rule, offset, "picks mail to outside recipients that carries one of the sensitivity labels and "+does, append(append(cond, actions...), commonRuleProps()...), append([]caveat{cavLabelWords}, cavs...)))
		offset++
	}
	if senders := uniqueFold(in.triggerValues(TriggerSender)); len(senders) > 0 {
		v := b.v("Senders", senders, "sender addresses (any of them)")
		rule := b.v("SenderRuleName", n.RuleSender, "rule for the sender addresses")
		cond := []setting{{Param: "From", Value: v, Role: roleCondition, Label: "The sender › is this person", Verify: verifyRecipient}}
		out = append(out, b.rule(rule, offset, "picks mail from the sender addresses and "+does, append(append(cond, actions...), commonRuleProps()...), append([]caveat{cavFromPerson}, cavs...)))
	}
	return out
}

// rule adds a transport rule with a comment saying who made it and why.
func (b *builder) rule(name *psVar, offset int, does string, settings []setting, cavs []caveat) *object {
	all := append([]setting{{Param: "Name", Value: name, Label: "Name"}}, settings...)
	all = append(all, setting{Param: "Comments", Value: "relaywiz steps, scenario " + string(b.p.S.ID) + ": " + does, Role: roleProperty, Label: "Comments"})
	return b.add(&object{
		Kind: kindTransportRule, Title: "mail flow rule", Name: name, Does: does,
		Settings: all, Caveats: cavs, Priority: b.rulePriority(offset),
	})
}
