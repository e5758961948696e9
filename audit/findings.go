package audit

import (
	"fmt"
	"strings"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// findings explains every message that does not do what it should, naming
// the Exchange object at fault and the fix, and adds what the admin should
// know about routes that work.
func findings(org *exchange.Org, in steps.Inputs, ours []string, msgs []MessageReport) []Finding {
	var out []Finding
	seen := map[string]bool{}
	add := func(f Finding) {
		k := f.Code + "|" + f.Object
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	for _, m := range msgs {
		res := m.result
		if res.Verdict == exchange.VerdictLoop {
			add(Finding{Severity: "fail", Code: "loop", Object: res.LoopRule,
				Message: fmt.Sprintf("%s (%s): %s", m.Label, res.Reason, "the rule sends the returned message out again"),
				Fix:     fmt.Sprintf("add the exception %s to rule %q", res.LoopException, res.LoopRule)})
			continue
		}
		if m.OK {
			continue
		}
		if res.Verdict == exchange.VerdictUnknown && strings.Contains(res.Reason, " ties with ") {
			add(Finding{Severity: "fail", Code: "connector-tie", Object: tiedWith(res.Reason),
				Message: fmt.Sprintf("%s: %s", m.Label, res.Reason),
				Fix:     fmt.Sprintf("switch the competing connector %q off (relaywiz steps --connector '%s' does it and undo.ps1 switches it back on) or give it a higher cost", tiedWith(res.Reason), tiedWith(res.Reason))})
			continue
		}
		if res.Verdict == exchange.VerdictUnknown {
			add(Finding{Severity: "fail", Code: "unknown", Object: objectIn(res.Reason),
				Message: fmt.Sprintf("%s: the model cannot decide: %s", m.Label, res.Reason),
				Fix:     "check this object by hand, or test with a real message (Exchange Online: Test-Message; on-premises: the rule in Audit mode and Get-MessageTrackingLog)"})
			continue
		}
		switch m.Intent {
		case IntentProvider:
			add(whyNotProvider(org, in, m, ours))
		case IntentNotProvider:
			add(whyProvider(m, ours))
		case IntentInternal:
			add(Finding{Severity: "fail", Code: "internal-leaves", Object: firstFired(res),
				Message: fmt.Sprintf("%s: an internal message ends as %s (%s)", m.Label, res.Verdict, res.Reason),
				Fix:     "add the exception 'The recipient is located: Inside the organization' (-ExceptIfSentToScope InOrganization) to the rule, or accept that internal mail with the trigger goes through the provider"})
		}
	}
	// Routes that work but could be stronger, or rest on inferred behaviour.
	for _, m := range msgs {
		if m.OK && m.Intent == IntentProvider {
			for _, r := range m.result.Passes[0].Rules {
				if r.Fired() && r.Inferred && strings.Contains(r.Why, "UNVERIFIED") {
					add(Finding{Severity: "info", Code: "words-unverified", Object: r.Rule,
						Message: fmt.Sprintf("rule %q matches the label by word matching inside the msip_labels header, which Microsoft does not document for tokens with _ and =", r.Rule),
						Fix:     "send a labelled test message (Exchange Online: Test-Message, or the final test in checklist.md) and check in message trace that the rule fired"})
				}
			}
		}
	}
	for _, m := range msgs {
		for _, pass := range m.result.Passes[:min(1, len(m.result.Passes))] {
			for _, h := range pass.Hops {
				if h.Provider && strings.HasPrefix(h.TLS, "opportunistic") {
					add(Finding{Severity: "warn", Code: "tls-not-required", Object: h.Connector,
						Message: fmt.Sprintf("connector %q hands mail to the provider with opportunistic TLS: if STARTTLS fails, it goes in clear text", h.Connector),
						Fix:     "Set-SendConnector -RequireTLS $true (and -TlsAuthLevel DomainValidation -TlsDomain <smart host>), once the gateway's certificate is trusted"})
				}
				if h.Provider {
					for _, c := range org.SendConnectors {
						if strings.EqualFold(c.Name, h.Connector) {
							if f, ok := ipSmartHostFinding(c); ok {
								add(f)
							}
						}
					}
				}
				if h.Inferred && strings.Contains(h.Why, "not rule-scoped") {
					add(Finding{Severity: "warn", Code: "route-connector-not-scoped", Object: h.Connector,
						Message: fmt.Sprintf("a rule routes to connector %q, which is not rule-scoped: its RecipientDomains may take other mail there too", h.Connector),
						Fix:     fmt.Sprintf("Set-OutboundConnector -Identity '%s' -IsTransportRuleScoped $true", h.Connector)})
				}
			}
		}
	}
	// Cryptshare's M365 guide: the gateway's mail back into Microsoft 365
	// must always be accepted (its SPF/DKIM/DMARC results soft-fail), so its
	// IP belongs on the connection filter's allow list.
	if in.Scenario == steps.CryptshareOnline && in.GatewayIP != "" && !allowListed(org, in.GatewayIP) {
		name := "Default"
		if len(org.ConnectionFilter) > 0 {
			name = org.ConnectionFilter[0].Name
		}
		add(Finding{Severity: "warn", Code: "allow-list-missing", Object: name,
			Message: fmt.Sprintf("the connection filter policy %q does not allow %s: mail coming back from the gateway may be filtered as spam", name, in.GatewayIP),
			Fix:     fmt.Sprintf("Set-HostedConnectionFilterPolicy -Identity '%s' -IPAllowList @{Add='%s'}", name, in.GatewayIP)})
	}
	sortFindings(out)
	return out
}

// ipSmartHostFinding: a send connector with BasicAuthRequireTLS that names
// its smart host by IP address can never pass Exchange's certificate check
// (the name to match is the smart host as written, "[192.0.2.10]"), so the
// route the model draws fails at the TLS step with 454 4.7.5. The plan audit
// and the export audit both report it, so a green plan verdict never hides
// what checklist.md warns about.
func ipSmartHostFinding(c exchange.SendConnector) (Finding, bool) {
	if !strings.EqualFold(c.SmartHostAuthMechanism, "BasicAuthRequireTLS") {
		return Finding{}, false
	}
	for _, h := range c.SmartHosts {
		if isIPv4(strings.Trim(strings.TrimSpace(h), "[]")) {
			return Finding{Severity: "fail", Code: "ip-smart-host-auth-tls", Object: c.Name,
				Message: fmt.Sprintf("send connector %q names its smart host by IP address (%s) and uses BasicAuthRequireTLS: Exchange checks the certificate against the smart-host name, which an IP address never matches (454 4.7.5 Certificate validation failure)", c.Name, h),
				Fix:     fmt.Sprintf("Set-SendConnector -Identity '%s' -SmartHosts <the host name in the certificate>", c.Name)}, true
		}
	}
	return Finding{}, false
}

func allowListed(org *exchange.Org, ip string) bool {
	for _, p := range org.ConnectionFilter {
		for _, e := range p.IPAllowList {
			if ok, err := exchange.IPInRanges(ip, []string{e}); err == nil && ok {
				return true
			}
		}
	}
	return false
}

// expectedRules are the rules that should send triggered mail on its way:
// relaywiz's own, and for the add-on scenario the add-on's rule first.
func expectedRules(in steps.Inputs) []string {
	r := steps.PlannedRules(in)
	if in.Scenario == steps.CodeTwoOnline {
		r = append([]string{in.AddonRule}, r...)
	}
	return r
}

func isOurs(ours []string, name string) bool {
	for _, o := range ours {
		if strings.EqualFold(o, name) {
			return true
		}
	}
	return false
}

// whyNotProvider: a triggered message that does not reach the provider.
// The causes are tried in the order they explain the most.
func whyNotProvider(org *exchange.Org, in steps.Inputs, m MessageReport, ours []string) Finding {
	res := m.result
	pass := res.Passes[0]
	stopper := ""
	for _, r := range pass.Rules {
		if r.Fired() && containsChange(r.Changes, "stops processing") && !isOurs(ours, r.Rule) {
			stopper = r.Rule
			break
		}
	}
	for _, r := range pass.Rules {
		if !isOurs(ours, r.Rule) {
			continue
		}
		switch r.Outcome {
		case exchange.OutcomeNotReached:
			if stopper != "" {
				fix := fmt.Sprintf("run rule %q before %q (relaywiz steps --priority %d, or move it up in the admin centre), or switch off 'Stop processing more rules' on %q", r.Rule, stopper, ruleIndex(pass, stopper), stopper)
				if in.Scenario == steps.CodeTwoOnline && len(ours) > 0 && strings.EqualFold(ours[0], r.Rule) {
					// The add-on's own rule (first of ours): relaywiz does not place it.
					fix = fmt.Sprintf("move the add-on's rule %q to the top of the list (priority 0, as the add-on requires), or switch off 'Stop processing more rules' on %q", r.Rule, stopper)
				}
				return Finding{Severity: "fail", Code: "stop-rule-above", Object: stopper,
					Message: fmt.Sprintf("%s: rule %q stops processing more rules and matches this message first, so %q never sees it; the message ends as %s", m.Label, stopper, r.Rule, res.Verdict),
					Fix:     fix}
			}
		case exchange.OutcomeDisabled:
			return Finding{Severity: "fail", Code: "rule-disabled", Object: r.Rule,
				Message: fmt.Sprintf("%s: rule %q is disabled", m.Label, r.Rule), Fix: fmt.Sprintf("Enable-TransportRule -Identity '%s'", r.Rule)}
		case exchange.OutcomeAuditOnly:
			return Finding{Severity: "fail", Code: "rule-audit-mode", Object: r.Rule,
				Message: fmt.Sprintf("%s: rule %q matches but is in %s", m.Label, r.Rule, r.Why), Fix: fmt.Sprintf("Set-TransportRule -Identity '%s' -Mode Enforce", r.Rule)}
		case exchange.OutcomeError:
			return Finding{Severity: "fail", Code: "route-connector-missing", Object: r.Rule,
				Message: fmt.Sprintf("%s: rule %q: %s", m.Label, r.Rule, r.Why), Fix: "create or enable the connector the rule routes to, or correct the rule's RouteMessageOutboundConnector"}
		}
	}
	if stopper != "" && len(ours) > 0 && !anyOursFired(pass, ours) {
		return Finding{Severity: "fail", Code: "stop-rule-above", Object: stopper,
			Message: fmt.Sprintf("%s: rule %q stops processing more rules before relaywiz's rules", m.Label, stopper),
			Fix:     fmt.Sprintf("put relaywiz's rules above %q (relaywiz steps --priority 0), or switch off 'Stop processing more rules' on it", stopper)}
	}
	if len(ours) > 0 && !anyOursFired(pass, ours) {
		var whys []string
		for _, r := range pass.Rules {
			if isOurs(ours, r.Rule) {
				whys = append(whys, fmt.Sprintf("%q: %s", r.Rule, r.Why))
			}
		}
		return Finding{Severity: "fail", Code: "rule-not-matched", Object: firstOr(ours, ""),
			Message: fmt.Sprintf("%s: no relaywiz rule matches it (%s)", m.Label, strings.Join(whys, "; ")),
			Fix:     "compare the message with the rule's conditions (header name, subject word, label GUID form MSIP_Label_<GUID>_Enabled=True, sender address)"}
	}
	// The rule fired: the route after it is wrong.
	for _, h := range pass.Hops {
		if h.Provider {
			continue
		}
		switch {
		case h.Kind == "none" && strings.Contains(h.Why, "MaxMessageSize"):
			return Finding{Severity: "fail", Code: "too-large", Object: h.Connector,
				Message: fmt.Sprintf("%s: %s", m.Label, h.Why),
				Fix:     fmt.Sprintf("raise the limit (Set-SendConnector -Identity '%s' -MaxMessageSize, and the organisation's Get-TransportConfig limits), within what the provider accepts, or send it smaller; Base64 makes attachments about a third larger", h.Connector)}
		case h.Kind == "none":
			return Finding{Severity: "fail", Code: "no-route", Object: h.Recipient,
				Message: fmt.Sprintf("%s: %s", m.Label, h.Why), Fix: "create a send connector whose address space is the placeholder domain, pointing to the provider's smart host"}
		case h.Inferred && strings.Contains(h.Why, "tied"):
			return Finding{Severity: "fail", Code: "connector-tie", Object: h.Connector,
				Message: fmt.Sprintf("%s: %s", m.Label, h.Why),
				Fix:     "disable the competing connector (relaywiz steps --connector NAME switches it off) or give it a higher cost"}
		case h.Connector != "":
			how := "not the provider's"
			if h.MX {
				how = "and delivers it by DNS/MX: it goes out unsecured"
			}
			return Finding{Severity: "fail", Code: "other-connector", Object: h.Connector,
				Message: fmt.Sprintf("%s: connector %q takes it (%s), %s", m.Label, h.Connector, h.Why, how),
				Fix:     fmt.Sprintf("make the provider's connector the most specific match (or the cheaper one), or narrow %q's address space", h.Connector)}
		default:
			return Finding{Severity: "fail", Code: "direct-by-mx", Object: h.Recipient,
				Message: fmt.Sprintf("%s: %s: it leaves unsecured", m.Label, h.Why),
				Fix:     "the address the rule sends it to must be covered by the provider connector's address space (on-premises) or routed by the rule (Online)"}
		}
	}
	return Finding{Severity: "fail", Code: "not-provider", Object: firstOr(ours, ""), Message: fmt.Sprintf("%s: ends as %s: %s", m.Label, res.Verdict, res.Reason)}
}

// whyProvider: an untriggered message that still reaches the provider.
func whyProvider(m MessageReport, ours []string) Finding {
	pass := m.result.Passes[0]
	for _, r := range pass.Rules {
		if r.Fired() && isOurs(ours, r.Rule) {
			return Finding{Severity: "fail", Code: "rule-matches-untriggered", Object: r.Rule,
				Message: fmt.Sprintf("%s: rule %q matches it (%s) and sends it to the provider", m.Label, r.Rule, r.Why),
				Fix:     "narrow the rule's conditions, or add an exception"}
		}
	}
	for _, h := range pass.Hops {
		if h.Provider {
			return Finding{Severity: "fail", Code: "connector-catches-untriggered", Object: h.Connector,
				Message: fmt.Sprintf("%s: connector %q takes ordinary mail to the provider (%s)", m.Label, h.Connector, h.Why),
				Fix:     "make the connector rule-scoped (Online: -IsTransportRuleScoped $true) or limit its address space to the placeholder domain (on-premises)"}
		}
	}
	return Finding{Severity: "fail", Code: "untriggered-to-provider", Object: firstFired(m.result), Message: m.Label + ": " + m.result.Reason}
}

func containsChange(changes []string, s string) bool {
	for _, c := range changes {
		if strings.Contains(c, s) {
			return true
		}
	}
	return false
}

func anyOursFired(p exchange.Pass, ours []string) bool {
	for _, r := range p.Rules {
		if r.Fired() && isOurs(ours, r.Rule) {
			return true
		}
	}
	return false
}

func ruleIndex(p exchange.Pass, name string) int {
	for _, r := range p.Rules {
		if r.Rule == name {
			return r.Priority
		}
	}
	return 0
}

func firstFired(res exchange.Result) string {
	if len(res.Passes) == 0 {
		return ""
	}
	for _, r := range res.Passes[0].Rules {
		if r.Fired() {
			return r.Rule
		}
	}
	for _, h := range res.Passes[0].Hops {
		if h.Connector != "" {
			return h.Connector
		}
	}
	return ""
}

// objectIn pulls the quoted object name out of a reason ("rule "x": ...").
func objectIn(reason string) string {
	if i := strings.Index(reason, "\""); i >= 0 {
		if j := strings.Index(reason[i+1:], "\""); j >= 0 {
			return reason[i+1 : i+1+j]
		}
	}
	return ""
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// tiedWith is the competing connector in a tie reason.
func tiedWith(reason string) string {
	i := strings.Index(reason, " ties with ")
	if i < 0 {
		return ""
	}
	return objectIn(reason[i:])
}
