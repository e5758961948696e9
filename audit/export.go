package audit

import (
	"fmt"
	"regexp"
	"strings"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// ExportOptions select what to audit in an exported organisation.
type ExportOptions struct {
	// Inputs is the scenario the admin named (--scenario and its answers);
	// nil means "detect it from the objects". Triggers left empty are read
	// from the org's rules.
	Inputs   *steps.Inputs
	Messages []exchange.Message // extra messages (--message)
	Proven   map[string]string
}

// ScenarioMismatchError: the scenario named is for the other platform
// than the export. It is bad input (exit 64).
type ScenarioMismatchError struct{ Msg string }

func (e *ScenarioMismatchError) Error() string { return e.Msg }

// FromExport audits a live organisation from its export: it finds the
// scenario's objects (or the scenario itself), sends the scenario's
// messages through the org as it is, and reports the route, the verdict
// and the findings in the same form as the audit of a plan. Findings about
// the objects themselves (a disabled connector, TLS not validated, the
// placeholder domain not authoritative, ...) come first, each naming the
// object.
func FromExport(ex *exchange.Export, opt ExportOptions) (Report, Detection, error) {
	org := *ex.Org
	org.Returns = append([]exchange.Return(nil), ex.Org.Returns...)
	var d Detection
	if opt.Inputs != nil {
		s, ok := steps.Lookup(string(opt.Inputs.Scenario))
		if !ok {
			return Report{}, d, &ScenarioMismatchError{Msg: fmt.Sprintf("--scenario: %q is not a scenario; use one of %s", opt.Inputs.Scenario, strings.Join(steps.IDs(), ", "))}
		}
		if (s.Online) != (org.Platform == exchange.Online) {
			return Report{}, d, &ScenarioMismatchError{Msg: fmt.Sprintf("--scenario: %s is for %s, but the export is from %s", s.ID, exchangeName(platformOf(s)), exchangeName(string(org.Platform)))}
		}
		d, _ = DetectFor(&org, *opt.Inputs)
	} else {
		var err error
		if d, err = Detect(&org); err != nil {
			return Report{}, d, err
		}
	}
	switch d.Scenario {
	case steps.CryptshareOnline:
		if d.Connector != "" {
			org.Returns = append(org.Returns, exchange.Return{Name: "the Cryptshare Mail Gateway", Connector: d.Connector, Inbound: d.Inbound, SenderIP: d.ReturnIP})
		}
	case steps.CodeTwoOnline:
		if d.Connector != "" {
			org.Returns = append(org.Returns, exchange.Return{Name: providerNameC2, Connector: d.Connector, Inbound: d.Inbound,
				SenderIP: d.ReturnIP, AddHeaders: d.ReturnHeaders})
		}
	}
	p := ProviderOf(d.Inputs)
	p.Hosts = append(p.Hosts, d.Hosts...)
	if opt.Inputs != nil && d.Scenario != steps.CodeTwoOnline {
		p = ProviderOf(d.Inputs) // the host the admin named is the provider, whatever the connector says
		if len(p.Hosts) == 0 || p.Hosts[0] == "" {
			p.Hosts = d.Hosts
		}
	}
	cases := exportCases(&org, d)
	for _, m := range opt.Messages {
		cases = append(cases, Case{Label: "given with --message", Message: m, Intent: IntentOf(d.Inputs, &org, m)})
	}
	rep := auditWith(&org, d.Inputs, d.Rules, p, cases, opt.Proven)
	rep.Scenario = string(d.Scenario)

	all := objectFindings(&org, d, opt.Inputs != nil)
	seen := map[string]bool{}
	for _, f := range all {
		seen[f.Code+"|"+f.Object] = true
	}
	for _, f := range rep.Findings {
		if !seen[f.Code+"|"+f.Object] {
			all = append(all, f)
		}
	}
	how := "detected"
	if opt.Inputs != nil {
		how = "as given with --scenario"
	}
	title := d.Scenario
	if s, ok := steps.Lookup(string(d.Scenario)); ok {
		title = steps.ScenarioID(fmt.Sprintf("%s (%s)", s.ID, s.Title))
	}
	all = append(all, Finding{Severity: "info", Code: "scenario-detected", Object: d.Connector,
		Message: fmt.Sprintf("scenario %s, %s: %s", title, how, d.Evidence),
		Fix:     "if this is not the set-up meant, give it with --scenario ID and its answers"})
	sortFindings(all)
	rep.Findings = all
	return rep, d, nil
}

func exchangeName(p string) string {
	if p == string(exchange.Online) {
		return "Exchange Online"
	}
	return "Exchange Server (on-premises)"
}

func platformOf(s steps.Scenario) string {
	if s.Online {
		return string(exchange.Online)
	}
	return string(exchange.OnPremises)
}

// exportCases are the scenario's default messages in the exported org
// (CasesFor: its own users, a server its scoped connector serves), with
// the add-on's returned copy coming back the way the org's add-on rule
// recognises it.
func exportCases(org *exchange.Org, d Detection) []Case {
	cases := CasesFor(d.Inputs, org)
	// A real org has no EXCHANGE-LOCAL: when no scoped provider connector
	// named the server, the message is on one of the org's transport
	// servers (the first a send connector names).
	server := ""
	for _, c := range org.SendConnectors {
		if len(c.SourceTransportServers) > 0 {
			server = c.SourceTransportServers[0]
			break
		}
	}
	for i := range cases {
		m := &cases[i].Message
		if m.Server == steps.LocalServerName && server != "" {
			m.Server = server
		}
		if m.Via == exchange.ViaInbound && d.Scenario == steps.CodeTwoOnline {
			m.Inbound, m.SenderIP, m.Headers = d.Inbound, d.ReturnIP, d.ReturnHeaders
		}
	}
	return cases
}

var labelWordRE = regexp.MustCompile(`(?i)^MSIP_Label_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_Enabled=True$`)

// objectFindings judge the scenario's objects as they are, before any
// message is sent: what makes secure mail leave unsecured, or not at all.
func objectFindings(org *exchange.Org, d Detection, given bool) []Finding {
	var out []Finding
	add := func(sev, code, object, msg, fix string) {
		out = append(out, Finding{Severity: sev, Code: code, Object: object, Message: msg, Fix: fix})
	}
	online := org.Platform == exchange.Online
	if d.Connector == "" {
		add("fail", "provider-connector-missing", hostOr(d.Inputs, "the provider"),
			fmt.Sprintf("no connector delivers to the provider (%s): %s", hostOr(d.Inputs, "its smart host"), d.Evidence),
			"create it with apply.ps1 (relaywiz steps), or name the smart host the connector uses with --smart-host")
	}
	if online {
		out = append(out, outboundFindings(org, d)...)
	} else {
		out = append(out, sendFindings(org, d)...)
	}
	out = append(out, ruleFindings(org, d, given)...)
	if d.Scenario == steps.CryptshareOnline && d.ReturnIP != "" {
		listed := false
		name := "connection filter policy"
		for _, f := range org.ConnectionFilter {
			if containsIP(f.IPAllowList, d.ReturnIP) {
				listed = true
			}
			if name == "connection filter policy" {
				name = f.Name
			}
		}
		if !listed {
			add("fail", "allow-list-missing-gateway", name,
				fmt.Sprintf("the connection filter IP allow list does not have the gateway %s: Microsoft 365 runs SPF, DKIM and DMARC on the mail coming back from the gateway, and it fails them", d.ReturnIP),
				fmt.Sprintf("Set-HostedConnectionFilterPolicy -Identity '%s' -IPAllowList @{Add='%s'}", orWord(name, "Default"), d.ReturnIP))
		}
		if d.Inbound == "" {
			add("fail", "inbound-connector-missing", d.ReturnIP,
				fmt.Sprintf("no inbound connector identifies mail from the gateway %s, so what comes back is treated as mail from the internet", d.ReturnIP),
				fmt.Sprintf("New-InboundConnector -ConnectorType OnPremises -SenderDomains * -SenderIPAddresses %s (apply.ps1 creates it)", d.ReturnIP))
		}
	}
	return out
}

func sendFindings(org *exchange.Org, d Detection) []Finding {
	var out []Finding
	add := func(sev, code, object, msg, fix string) {
		out = append(out, Finding{Severity: sev, Code: code, Object: object, Message: msg, Fix: fix})
	}
	var c *exchange.SendConnector
	for i := range org.SendConnectors {
		if strings.EqualFold(org.SendConnectors[i].Name, d.Connector) {
			c = &org.SendConnectors[i]
		}
	}
	if c == nil {
		return nil
	}
	if !c.Enabled {
		add("fail", "provider-connector-disabled", c.Name, fmt.Sprintf("send connector %q to the provider is disabled: Exchange skips it, and the mail takes another connector or waits", c.Name),
			fmt.Sprintf("Set-SendConnector -Identity '%s' -Enabled $true", c.Name))
	}
	zivver := d.Scenario == steps.PAMSOnPrem || d.Scenario == steps.RelayOnPrem
	auth := strings.EqualFold(c.SmartHostAuthMechanism, "BasicAuthRequireTLS")
	if f, ok := ipSmartHostFinding(*c); ok {
		out = append(out, f)
	}
	if !zivver {
		return out
	}
	if !c.RequireTLS {
		sev := "fail"
		if auth {
			sev = "warn" // AUTH still waits for STARTTLS
		}
		add(sev, "tls-not-required", c.Name, fmt.Sprintf("send connector %q does not require TLS (RequireTLS False): relaywiz check proved TLS, but Exchange is not held to it", c.Name),
			fmt.Sprintf("Set-SendConnector -Identity '%s' -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain %s", c.Name, orWord(first(d.Hosts), "<smart host>")))
	} else if !strings.EqualFold(c.TlsAuthLevel, "DomainValidation") && !strings.EqualFold(c.TlsAuthLevel, "CertificateValidation") {
		add("warn", "tls-not-validated", c.Name, fmt.Sprintf("send connector %q requires TLS but does not validate the certificate (TlsAuthLevel %s)", c.Name, orWord(c.TlsAuthLevel, "not set")),
			fmt.Sprintf("Set-SendConnector -Identity '%s' -TlsAuthLevel DomainValidation -TlsDomain %s", c.Name, orWord(first(d.Hosts), "<smart host>")))
	}
	if !c.IsScopedConnector {
		add("warn", "connector-not-scoped", c.Name,
			fmt.Sprintf("send connector %q is not scoped: every transport server of the organisation uses it, also servers whose way out to the smart host nobody checked", c.Name),
			fmt.Sprintf("Set-SendConnector -Identity '%s' -IsScopedConnector $true (relaywiz's plan scopes it to the source servers' site)", c.Name))
	}
	// The placeholder domain must be authoritative, so that mail to the
	// contact never leaves by itself.
	if d.Placeholder != "" {
		var ad *exchange.AcceptedDomain
		for i := range org.AcceptedDomains {
			if strings.EqualFold(org.AcceptedDomains[i].DomainName, d.Placeholder) {
				ad = &org.AcceptedDomains[i]
			}
		}
		switch {
		case ad == nil:
			add("fail", "placeholder-not-authoritative", d.Placeholder,
				fmt.Sprintf("the placeholder domain %s is not an accepted domain: mail to the contact is mail to a real outside domain, and leaves by MX whenever the connector does not take it", d.Placeholder),
				fmt.Sprintf("New-AcceptedDomain -Name '%s' -DomainName %s -DomainType Authoritative", d.Placeholder, d.Placeholder))
		case !strings.EqualFold(ad.DomainType, "Authoritative"):
			add("fail", "placeholder-not-authoritative", ad.Name,
				fmt.Sprintf("accepted domain %q (%s) is %s, not Authoritative: Exchange may relay mail for it elsewhere", ad.Name, ad.DomainName, ad.DomainType),
				fmt.Sprintf("Set-AcceptedDomain -Identity '%s' -DomainType Authoritative", ad.Name))
		}
	}
	// The contact the rules redirect to must be inside the connector's
	// address space; otherwise the redirected message goes out by MX.
	for _, rn := range d.Rules {
		r, ok := ruleNamed(org, rn)
		if !ok {
			continue
		}
		for _, id := range r.Actions.Get("RedirectMessageTo") {
			addr, name := contactAddress(org, id)
			if addr == "" {
				continue
			}
			if !spacesCover(c.AddressSpaces, exchange.Domain(addr)) {
				add("fail", "contact-outside-address-space", name,
					fmt.Sprintf("rule %q redirects to %s, whose domain %s is outside send connector %q's address space (%s): the redirected message does not reach the provider; it leaves through another connector or by MX, unsecured, or waits in the queue", r.Name, addr, exchange.Domain(addr), c.Name, strings.Join(c.AddressSpaces, ", ")),
					fmt.Sprintf("give the contact an address in %s (Set-MailContact -Identity '%s' -ExternalEmailAddress <alias>@%s), or correct the connector's address space", orWord(d.Placeholder, "the connector's address space"), name, orWord(d.Placeholder, "<placeholder domain>")))
			}
		}
	}
	return out
}

func outboundFindings(org *exchange.Org, d Detection) []Finding {
	var out []Finding
	add := func(sev, code, object, msg, fix string) {
		out = append(out, Finding{Severity: sev, Code: code, Object: object, Message: msg, Fix: fix})
	}
	c, ok := outboundNamed(org, d.Connector)
	if !ok {
		return nil
	}
	if !c.Enabled {
		add("fail", "provider-connector-disabled", c.Name, fmt.Sprintf("outbound connector %q to the provider is disabled: a rule that routes to it cannot", c.Name),
			fmt.Sprintf("Set-OutboundConnector -Identity '%s' -Enabled $true", c.Name))
	}
	if !c.IsTransportRuleScoped {
		sev, what := "warn", "only the rules route to it now, but any RecipientDomains added later send ordinary mail there too"
		if len(c.RecipientDomains) > 0 {
			sev, what = "fail", fmt.Sprintf("its RecipientDomains (%s) send mail that no rule picked to the provider too", strings.Join(c.RecipientDomains, ", "))
		}
		add(sev, "connector-not-rule-scoped", c.Name, fmt.Sprintf("outbound connector %q is not rule-scoped (IsTransportRuleScoped False): %s", c.Name, what),
			fmt.Sprintf("Set-OutboundConnector -Identity '%s' -IsTransportRuleScoped $true", c.Name))
	}
	switch {
	case c.TlsSettings == "":
		add("fail", "tls-not-required", c.Name, fmt.Sprintf("outbound connector %q does not require TLS (TlsSettings not set): if STARTTLS fails, the mail goes in clear text", c.Name),
			fmt.Sprintf("Set-OutboundConnector -Identity '%s' -TlsSettings CertificateValidation", c.Name))
	case strings.EqualFold(c.TlsSettings, "EncryptionOnly"):
		add("warn", "tls-not-validated", c.Name, fmt.Sprintf("outbound connector %q encrypts but does not check the smart host's certificate (TlsSettings EncryptionOnly)", c.Name),
			fmt.Sprintf("Set-OutboundConnector -Identity '%s' -TlsSettings CertificateValidation", c.Name))
	}
	return out
}

func ruleFindings(org *exchange.Org, d Detection, given bool) []Finding {
	var out []Finding
	add := func(sev, code, object, msg, fix string) {
		out = append(out, Finding{Severity: sev, Code: code, Object: object, Message: msg, Fix: fix})
	}
	for _, rn := range d.Rules {
		r, ok := ruleNamed(org, rn)
		if !ok {
			continue
		}
		if !r.Enabled() {
			add("fail", "rule-disabled", r.Name, fmt.Sprintf("rule %q is disabled (State Disabled)", r.Name), fmt.Sprintf("Enable-TransportRule -Identity '%s'", r.Name))
		}
		if !r.Enforced() {
			add("fail", "rule-audit-mode", r.Name, fmt.Sprintf("rule %q is in %s mode: it only logs what it would do", r.Name, r.Mode), fmt.Sprintf("Set-TransportRule -Identity '%s' -Mode Enforce", r.Name))
		}
		if !strings.EqualFold(r.RuleErrorAction, "Defer") {
			add("warn", "rule-error-ignore", r.Name,
				fmt.Sprintf("rule %q has RuleErrorAction %s: when the rule cannot be processed, the message is sent anyway, without the secure route", r.Name, orWord(r.RuleErrorAction, "Ignore (the default)")),
				fmt.Sprintf("Set-TransportRule -Identity '%s' -RuleErrorAction Defer", r.Name))
		}
		if c := r.Actions.First("RouteMessageOutboundConnector"); c != "" {
			switch oc, ok := outboundNamed(org, c); {
			case !ok:
				add("fail", "route-connector-missing", r.Name, fmt.Sprintf("rule %q routes to connector %q, which does not exist", r.Name, c),
					"create the connector, or correct the rule's 'Redirect the message to the following connector'")
			case !oc.Enabled:
				add("fail", "route-connector-disabled", oc.Name, fmt.Sprintf("rule %q routes to connector %q, which is disabled", r.Name, oc.Name),
					fmt.Sprintf("Set-OutboundConnector -Identity '%s' -Enabled $true", oc.Name))
			}
		}
		// Conditions that cannot match what marks the mail.
		h := headerName(r)
		switch {
		case (d.Scenario == steps.PAMSOnPrem || d.Scenario == steps.PAMSOnline) && h != "" && !strings.EqualFold(h, "zivver-relay"):
			add("fail", "condition-header-name", r.Name, fmt.Sprintf("rule %q looks for the header %q; the Zivver plug-in sets zivver-relay", r.Name, h),
				fmt.Sprintf("Set-TransportRule -Identity '%s' -HeaderMatchesMessageHeader zivver-relay -HeaderMatchesPatterns '..*'", r.Name))
		case strings.EqualFold(h, "msip_labels"):
			for _, w := range r.Conditions.Get("HeaderContainsWords") {
				if !labelWordRE.MatchString(w) {
					add("fail", "condition-label-form", r.Name,
						fmt.Sprintf("rule %q looks for %q in msip_labels; Office writes MSIP_Label_<GUID>_Enabled=true (MSIP_Label_, singular, then the GUID)", r.Name, w),
						"correct the word to MSIP_Label_<GUID>_Enabled=True (relaywiz steps --trigger label=<GUID> writes it)")
					break
				}
			}
		}
	}
	// The triggers the admin named must appear in the rules.
	if given {
		for _, t := range d.Inputs.Triggers {
			if !triggerInRules(org, d.Rules, t) {
				obj := first(d.Rules)
				for _, rn := range d.Rules {
					if r, ok := ruleNamed(org, rn); ok && ruleHasKind(r, t.Kind) {
						obj = rn
						break
					}
				}
				add("fail", "condition-trigger-missing", obj,
					fmt.Sprintf("no rule that sends mail to the provider matches --trigger %s", t),
					"add it to the rule's condition (relaywiz steps with the same --trigger writes it), or check the spelling")
			}
		}
	}
	return out
}

func triggerInRules(org *exchange.Org, rules []string, t steps.Trigger) bool {
	for _, rn := range rules {
		r, ok := ruleNamed(org, rn)
		if !ok {
			continue
		}
		switch t.Kind {
		case steps.TriggerSubject:
			for _, w := range r.Conditions.Get("SubjectContainsWords") {
				if strings.EqualFold(w, t.Value) {
					return true
				}
			}
		case steps.TriggerSender:
			for _, f := range r.Conditions.Get("From") {
				if strings.EqualFold(exchange.StripProxyPrefix(f), t.Value) {
					return true
				}
			}
		case steps.TriggerLabel:
			for _, w := range r.Conditions.Get("HeaderContainsWords") {
				if labelWordRE.MatchString(w) && strings.Contains(strings.ToLower(w), steps.NormalGUID(t.Value)) {
					return true
				}
			}
		}
	}
	return false
}

func ruleHasKind(r exchange.TransportRule, k steps.TriggerKind) bool {
	switch k {
	case steps.TriggerSubject:
		return r.Conditions.Has("SubjectContainsWords")
	case steps.TriggerSender:
		return r.Conditions.Has("From")
	case steps.TriggerLabel:
		return strings.EqualFold(headerName(r), "msip_labels")
	}
	return false
}

func ruleNamed(org *exchange.Org, name string) (exchange.TransportRule, bool) {
	for _, r := range org.TransportRules {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return exchange.TransportRule{}, false
}

// contactAddress resolves a RedirectMessageTo entry to an address, and the
// contact's name when it is one.
func contactAddress(org *exchange.Org, id string) (addr, name string) {
	v := exchange.StripProxyPrefix(id)
	for _, c := range org.MailContacts {
		ext := exchange.StripProxyPrefix(c.ExternalEmailAddress)
		if strings.EqualFold(v, c.Name) || strings.EqualFold(v, c.Alias) || strings.EqualFold(v, ext) || strings.EqualFold(v, exchange.StripProxyPrefix(c.PrimarySmtpAddress)) {
			return strings.ToLower(ext), c.Name
		}
	}
	if strings.Contains(v, "@") {
		return strings.ToLower(v), v
	}
	return "", ""
}

func spacesCover(spaces []string, domain string) bool {
	domain = strings.ToLower(domain)
	for _, s := range spaces {
		sd := spaceDomain(s)
		switch {
		case sd == "*", sd == domain:
			return true
		case strings.HasPrefix(sd, "*.") && strings.HasSuffix(domain, sd[1:]):
			return true
		}
	}
	return false
}
