package steps

import "fmt"

// cryptshareOnPrem sends all outgoing mail of Exchange Server through the
// Cryptshare Mail Gateway (seed 003): one send connector for every domain
// (*) with the gateway as smart host. The existing Internet connector would
// compete with it, so the ones the admin names are disabled (not deleted).
func (b *builder) cryptshareOnPrem() {
	in, n := b.in, b.names
	connName := b.v("SendConnectorName", n.SendConnector, "send connector to the Cryptshare Mail Gateway")
	host := b.v("SmartHost", in.effectiveSmartHost(), "the gateway, as smart host")
	port := b.v("Port", in.Port, "the gateway's SMTP port")
	servers := b.sourceServers()
	settings := []setting{
		{Param: "Name", Value: connName, Label: "Name"},
		{Param: "Custom", Value: true, Label: "Type: Custom"},
		{Param: "AddressSpaces", Value: []string{"SMTP:*;1"}, Label: "Address space: type SMTP, FQDN * (all domains), cost 1", Verify: verifyAddressSpaces},
		{Param: "DNSRoutingEnabled", Value: false, Label: "Route mail through smart hosts", Verify: verifyEqual},
		{Param: "SmartHosts", Value: host, Label: "Smart host: the gateway", Verify: verifySmartHosts},
		{Param: "Port", Value: port, Label: "Port", Verify: verifyEqual},
		{Param: "SmartHostAuthMechanism", Value: "None", Label: "Smart host authentication: None", Verify: verifyEqual},
		{Param: "SourceTransportServers", Value: servers, Label: "Source servers", Verify: verifyServers},
	}
	cavs := []caveat{}
	if in.MaxSizeMB > 0 {
		size := b.v("MaxMessageSize", fmt.Sprintf("%dMB", in.MaxSizeMB), "largest message the connector passes on (encoded size)")
		settings = append(settings, setting{Param: "MaxMessageSize", Value: size, Label: "Maximum send message size (MB)", Verify: verifySizeMB, Want: in.MaxSizeMB})
		cavs = append(cavs, cavSizeDefault)
	}
	settings = append(settings, setting{Param: "Enabled", Value: true, Label: "Enabled", Verify: verifyEqual, VerifyOnly: true})
	b.add(&object{Kind: kindSendConnector, Title: "send connector", Name: connName, AddressSpace: "*", Settings: settings, Caveats: cavs})

	for i, c := range in.Connectors {
		v := b.v(fmt.Sprintf("OldConnector%d", i+1), c, "existing send connector to switch off (kept, not deleted)")
		b.add(&object{
			Kind: kindDisableSend, Title: "existing send connector", Name: v,
			Property: "Enabled", Desired: false, Verb: "switched off (kept, not deleted)",
			Caveats: []caveat{cavDisableNotDelete},
		})
	}
	// Whatever the admin named, any other enabled connector for * still
	// competes with the gateway connector; apply warns and verify fails.
	b.add(&object{Kind: kindCheckOtherConnect, Title: "other send connectors for all domains", Name: connName, Except: connName})
}

// cryptshareOnline is the Microsoft 365 set-up of seed 003: connectors both
// ways, a rule that routes mail with the X-CS-Sensitivity header to the
// gateway, an optional OWA rule that sets that header from a subject word,
// and the gateway's IP on the connection-filter allow list.
func (b *builder) cryptshareOnline() {
	in, n := b.in, b.names
	ip := b.v("GatewayIP", in.GatewayIP, "the gateway's public IPv4 address")
	host := b.v("SmartHost", in.effectiveSmartHost(), "the gateway, as smart host for mail from Microsoft 365")
	inName := b.v("InboundConnectorName", n.Inbound, "connector for mail from the gateway into Microsoft 365")
	outName := b.v("OutboundConnectorName", n.Outbound, "connector for mail from Microsoft 365 to the gateway")
	words := uniqueFold(in.triggerValues(TriggerSubject))
	var owaName, wordsVar *psVar
	if len(words) > 0 {
		owaName = b.v("OwaRuleName", n.RuleOWA, "rule that marks OWA mail by a subject word")
		wordsVar = b.v("SubjectWords", words, "subject words or phrases that mark mail as confidential (any of them)")
	}
	headerRule := b.v("HeaderRuleName", n.RuleHeader, "rule that routes marked mail to the gateway")

	b.add(&object{
		Kind: kindInboundConnector, Title: "inbound connector (gateway to Microsoft 365)", Name: inName,
		Settings: []setting{
			{Param: "Name", Value: inName, Label: "Name"},
			{Param: "ConnectorType", Value: "OnPremises", Label: "From: Your organization's email server; To: Office 365", Verify: verifyEqual},
			{Param: "SenderDomains", Value: []string{"*"}, Label: "Sender domains: * (all)", Verify: verifyDomains},
			{Param: "SenderIPAddresses", Value: ip, Label: "Identify mail from your email server by this IP address: the gateway's public IP", Verify: verifyIPs},
			{Param: "Comment", Value: "relaywiz steps, scenario cryptshare-online: mail coming back from the Cryptshare Mail Gateway", Label: "Comment"},
			{Param: "Enabled", Value: true, Label: "Turn it on", Verify: verifyEqual, VerifyOnly: true},
		},
		Caveats: []caveat{cavCMGInbound},
	})
	b.add(&object{
		ValidateTo: b.testRecipient(),
		Kind:       kindOutboundConnector, Title: "outbound connector (Microsoft 365 to gateway)", Name: outName,
		Settings: []setting{
			{Param: "Name", Value: outName, Label: "Name"},
			{Param: "ConnectorType", Value: "OnPremises", Label: "From: Office 365; To: Your organization's email server", Verify: verifyEqual},
			{Param: "IsTransportRuleScoped", Value: true, Label: "Use only when I have a transport rule set up that redirects messages to this connector", Verify: verifyEqual},
			{Param: "UseMXRecord", Value: false, Label: "Route email messages through these smart hosts", Verify: verifyEqual},
			{Param: "SmartHosts", Value: host, Label: "Smart host: the gateway's public address", Verify: verifySmartHosts},
			{Param: "TlsSettings", Value: "CertificateValidation", Label: "Always use TLS and connect only if the certificate is issued by a trusted certificate authority (CA)", Verify: verifyEqual},
			{Param: "Comment", Value: "relaywiz steps, scenario cryptshare-online: only the X-CS-Sensitivity rule routes here", Label: "Comment"},
			{Param: "Enabled", Value: true, Label: "Turn it on", Verify: verifyEqual, VerifyOnly: true},
		},
		Caveats: []caveat{cavTLSMapping},
	})
	// The loop exception: mail that comes back from the gateway must not be
	// sent to it again. Cryptshare puts it on the OWA rule; relaywiz puts it
	// on the routing rule too, where a loop would hurt most.
	loopException := setting{Param: "ExceptIfSenderIpRanges", Value: ip, Role: roleException,
		Label: "The sender › IP address is in any of these ranges: the gateway's public IP", Verify: verifyIPs}
	offset := 0
	if owaName != nil {
		o := b.rule(owaName, 0, "marks mail with a subject word as confidential (X-CS-Sensitivity) for the gateway", append([]setting{
			{Param: "SubjectContainsWords", Value: wordsVar, Role: roleCondition, Label: "The subject or body › subject includes any of these words", Verify: verifyIncludes},
			{Param: "FromScope", Value: "InOrganization", Role: roleCondition, Label: "The sender › is external/internal › Inside the organization", Verify: verifyEqual},
			{Param: "SetHeaderName", Value: "X-CS-Sensitivity", Role: roleAction, Label: "Modify the message properties › set a message header: name", Verify: verifyEqual},
			{Param: "SetHeaderValue", Value: "confidential", Role: roleAction, Label: "… and value", Verify: verifyEqual},
			loopException,
		}, commonRuleProps()...), []caveat{cavWords, cavFromScope})
		// Cryptshare: the OWA rule must run before the routing rule.
		o.AboveRule = headerRule
		offset = 1
	}
	o := b.rule(headerRule, offset, "routes mail marked confidential (X-CS-Sensitivity) to the Cryptshare Mail Gateway", append([]setting{
		{Param: "HeaderContainsMessageHeader", Value: "X-CS-Sensitivity", Role: roleCondition, Label: "A message header › includes any of these words: header name", Verify: verifyEqual},
		{Param: "HeaderContainsWords", Value: []string{"confidential"}, Role: roleCondition, Label: "… words", Verify: verifyIncludes},
		{Param: "FromScope", Value: "InOrganization", Role: roleCondition, Label: "The sender › is external/internal › Inside the organization", Verify: verifyEqual},
		{Param: "RouteMessageOutboundConnector", Value: outName, Role: roleAction, Label: "Redirect the message to › the following connector", Verify: verifyEqual},
		{Param: "StopRuleProcessing", Value: true, Role: roleAction, Label: "Stop processing more rules", Verify: verifyEqual},
		loopException,
	}, commonRuleProps()...), []caveat{cavFromScope})
	o.RouteConnName = outName

	b.add(&object{Kind: kindAllowListEntry, Title: "connection filter IP allow list", Name: ip, IP: ip})
}

// codeTwo puts every existing third-party smart-host connector behind a
// rule placed right below the add-on service's rule (seed 004), so that
// mail reaches the add-on first and each smart host exactly once.
func (b *builder) codeTwo() {
	in, n := b.in, b.names
	addon := b.v("AddonRuleName", in.AddonRule, "the add-on service's own rule (e.g. CodeTwo's); it must stay on top")
	loop := b.v("LoopHeader", "X-AntiLoop-Smarthost", "header that marks mail already routed to a smart host")
	for i, c := range in.Connectors {
		conn := b.v(fmt.Sprintf("Connector%d", i+1), c, "existing smart-host outbound connector")
		name := b.v(fmt.Sprintf("RuleName%d", i+1), n.RuleConnector[i], "rule that routes to that connector")
		o := b.rule(name, i, "routes outgoing mail once to the smart-host connector in its action (the anti-loop header stops a second time)", append([]setting{
			{Param: "FromScope", Value: "InOrganization", Role: roleCondition, Label: "The sender › is external/internal › Inside the organization", Verify: verifyEqual},
			{Param: "SentToScope", Value: "NotInOrganization", Role: roleCondition, Label: "The recipient › is external/internal › Outside the organization", Verify: verifyEqual},
			{Param: "SetHeaderName", Value: loop, Role: roleAction, Label: "Modify the message properties › set a message header: name", Verify: verifyEqual},
			{Param: "SetHeaderValue", Value: "true", Role: roleAction, Label: "… and value", Verify: verifyEqual},
			{Param: "RouteMessageOutboundConnector", Value: conn, Role: roleAction, Label: "Redirect the message to › the following connector", Verify: verifyEqual},
			{Param: "ExceptIfHeaderContainsMessageHeader", Value: loop, Role: roleException, Label: "The message headers › include any of these words: header name", Verify: verifyEqual},
			{Param: "ExceptIfHeaderContainsWords", Value: []string{"true"}, Role: roleException, Label: "… words", Verify: verifyIncludes},
		}, commonRuleProps()...), []caveat{cavFromScope, cavDomainPatterns})
		o.RouteConnName = conn
		o.PatternsFrom = conn
		o.StopExempt = addon
		if in.Priority == PriorityAuto {
			o.BelowRule, o.BelowOffset = addon, i
		}
		b.add(&object{
			Kind: kindScopeOutbound, Title: "existing outbound connector", Name: conn,
			Property: "IsTransportRuleScoped", Desired: true, Verb: "made rule-scoped (only mail-flow rules route to it now)",
			Caveats: []caveat{cavRuleScoped},
		})
	}
	b.add(&object{
		Kind: kindAddonStopsRules, Title: "add-on service rule", Name: addon,
		Property: "StopRuleProcessing", Desired: true, Verb: "set to stop processing more rules",
	})
}
