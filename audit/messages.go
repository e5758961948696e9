package audit

import (
	"fmt"
	"strings"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// Intent is what a message should do under the scenario.
type Intent string

const (
	IntentProvider    Intent = "provider"     // must reach the provider
	IntentNotProvider Intent = "not-provider" // must not reach the provider
	IntentInternal    Intent = "internal"     // must stay inside
)

// Case is one message the audit sends through the model, with what it
// should do.
type Case struct {
	Label   string // "triggered: zivver-relay header", ...
	Message exchange.Message
	Intent  Intent
}

// Ok reports whether a verdict fulfils an intent.
func (i Intent) Ok(v exchange.Verdict) bool {
	switch i {
	case IntentProvider:
		return v == exchange.VerdictProvider
	case IntentInternal:
		return v == exchange.VerdictInternal
	case IntentNotProvider:
		return v == exchange.VerdictDirect || v == exchange.VerdictInternal || v == exchange.VerdictUndeliverable
	}
	return false
}

// identity is who sends the audit's messages in an organisation: a user
// and a colleague in its default authoritative domain, on a transport
// server that may use its scoped connectors.
type identity struct {
	user, colleague, server string
}

// identityOf picks the sender from the organisation's own objects, so the
// same messages work on the plan's model and on a live export.
func identityOf(org *exchange.Org, p exchange.Provider) identity {
	id := identity{user: OrgUser, colleague: OrgColleague, server: steps.LocalServerName}
	if org == nil {
		return id
	}
	domain := ""
	for _, d := range org.AcceptedDomains {
		authoritative := d.DomainType == "" || strings.EqualFold(d.DomainType, "Authoritative")
		if authoritative && !strings.HasPrefix(d.DomainName, "*") && (domain == "" || d.Default) {
			domain = strings.ToLower(d.DomainName)
			if d.Default {
				break
			}
		}
	}
	if domain != "" {
		id.user, id.colleague = "alice@"+domain, "bob@"+domain
	}
	// The server is one the provider's scoped connector serves (the
	// placeholder route works only from its site).
	for _, c := range org.SendConnectors {
		if c.Enabled && c.IsScopedConnector && len(c.SourceTransportServers) > 0 && servesProvider(c, p) {
			id.server = c.SourceTransportServers[0]
			break
		}
	}
	return id
}

// DefaultCases are the scenario's triggered message(s) (one per trigger),
// an untriggered message to the outside and an internal message, sent in
// the plan's model organisation.
func DefaultCases(in steps.Inputs) []Case { return CasesFor(in, nil) }

// CasesFor is DefaultCases for a given organisation (the plan's model, or
// one read from an export): the sender is a user of its default domain.
func CasesFor(in steps.Inputs, org *exchange.Org) []Case {
	id := identityOf(org, ProviderOf(in))
	outlook := func(subject string) exchange.Message {
		return exchange.Message{From: id.user, To: []string{OutsideAddress}, Subject: subject, Via: exchange.ViaOutlook,
			Server: id.server, SizeBytes: 64 << 10}
	}
	var out []Case
	add := func(label string, m exchange.Message, intent Intent) {
		out = append(out, Case{Label: label, Message: m, Intent: intent})
	}
	switch in.Scenario {
	case steps.PAMSOnPrem, steps.PAMSOnline:
		m := outlook("Offer")
		m.Headers = []exchange.Header{{Name: "zivver-relay", Value: "zivver-message-info"}}
		add("triggered: the Zivver plug-in's zivver-relay header", m, IntentProvider)
	case steps.RelayOnPrem, steps.RelayOnline:
		for _, t := range in.Triggers {
			m := outlook("")
			switch t.Kind {
			case steps.TriggerSubject:
				m.Subject = t.Value + ": offer"
			case steps.TriggerLabel:
				m.Subject = "Offer"
				m.Labels = []string{t.Value}
			case steps.TriggerSender:
				m.Subject = "Invoice"
				m.From = strings.ToLower(t.Value)
				m.Via = exchange.ViaSMTPClient
			}
			add("triggered: "+t.String(), m, IntentProvider)
		}
	case steps.CryptshareOnline:
		m := outlook("Offer")
		m.Headers = []exchange.Header{{Name: "X-CS-Sensitivity", Value: "confidential"}}
		add("triggered: Cryptshare for Outlook's X-CS-Sensitivity header", m, IntentProvider)
		for _, t := range in.Triggers {
			m := outlook(t.Value + " offer")
			m.Via = exchange.ViaOWA
			add("triggered: "+t.String()+" in Outlook on the web", m, IntentProvider)
		}
	case steps.CryptshareOnPrem:
		add("triggered: any mail to the outside", outlook("Offer"), IntentProvider)
	case steps.CodeTwoOnline:
		add("triggered: any mail to the outside (the add-on first)", outlook("Offer"), IntentProvider)
		back := outlook("Offer")
		back.Via, back.Inbound, back.SenderIP = exchange.ViaInbound, AddonInbound, AddonSenderIP
		back.Headers = []exchange.Header{{Name: AddonHeader, Value: "true"}}
		add("returned by the add-on: on to the smart host, not back to the add-on", back, IntentNotProvider)
	}
	if in.Scenario != steps.CryptshareOnPrem && in.Scenario != steps.CodeTwoOnline {
		add("untriggered: ordinary mail to the outside", outlook("Lunch on Friday"), IntentNotProvider)
	}
	internal := outlook("Team meeting")
	internal.To = []string{id.colleague}
	add("internal: mail to a colleague", internal, IntentInternal)
	return out
}

// IntentOf decides what a message given with --message should do, from
// the scenario's triggers as the admin described them (not from the
// model, so the model is checked against an independent statement). Its
// recipients are internal when they are in one of org's authoritative
// domains (nil: the plan's model organisation).
func IntentOf(in steps.Inputs, org *exchange.Org, m exchange.Message) Intent {
	internal := true
	for _, r := range m.To {
		if !authoritative(org, exchange.Domain(r)) {
			internal = false
		}
	}
	if internal {
		return IntentInternal
	}
	if m.Via == exchange.ViaInbound && in.Scenario != steps.CodeTwoOnline {
		return IntentNotProvider
	}
	hdr := func(name string) string { return strings.Join(m.HeaderValues(name), " ") }
	switch in.Scenario {
	case steps.PAMSOnPrem, steps.PAMSOnline:
		if strings.TrimSpace(hdr("zivver-relay")) != "" {
			return IntentProvider
		}
	case steps.RelayOnPrem, steps.RelayOnline:
		for _, t := range in.Triggers {
			switch t.Kind {
			case steps.TriggerSubject:
				if containsFold(m.Subject, t.Value) {
					return IntentProvider
				}
			case steps.TriggerLabel:
				for _, l := range m.Labels {
					if strings.EqualFold(strings.Trim(l, "{}"), strings.Trim(t.Value, "{}")) {
						return IntentProvider
					}
				}
			case steps.TriggerSender:
				if strings.EqualFold(m.From, t.Value) {
					return IntentProvider
				}
			}
		}
	case steps.CryptshareOnline:
		if m.Via == exchange.ViaInbound {
			return IntentNotProvider
		}
		if containsFold(hdr("X-CS-Sensitivity"), "confidential") {
			return IntentProvider
		}
		for _, t := range in.Triggers {
			if containsFold(m.Subject, t.Value) {
				return IntentProvider
			}
		}
	case steps.CryptshareOnPrem:
		return IntentProvider
	case steps.CodeTwoOnline:
		if m.Via == exchange.ViaInbound {
			return IntentNotProvider
		}
		return IntentProvider
	}
	return IntentNotProvider
}

func containsFold(s, sub string) bool {
	return sub != "" && strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// ParseMessage reads --message "from=a@corp.example to=b@ext.example
// subject='Secure offer' header='zivver-relay: zivver-message-info'
// label=GUID via=outlook size=10MB". Values may be single- or
// double-quoted; to= and header= may repeat.
func ParseMessage(spec string) (exchange.Message, error) {
	m := exchange.Message{Via: exchange.ViaOutlook, Server: steps.LocalServerName, SizeBytes: 64 << 10}
	fields, err := splitSpec(spec)
	if err != nil {
		return m, err
	}
	if len(fields) == 0 {
		return m, fmt.Errorf("empty message: give at least to=ADDRESS")
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return m, fmt.Errorf("%q: expected KEY=VALUE (from, to, subject, body, header, label, via, ip, size)", f)
		}
		switch strings.ToLower(k) {
		case "from":
			m.From = v
		case "to":
			for _, r := range strings.Split(v, ",") {
				if r = strings.TrimSpace(r); r != "" {
					if !strings.Contains(r, "@") {
						return m, fmt.Errorf("to=%q is not an address", r)
					}
					m.To = append(m.To, r)
				}
			}
		case "subject":
			m.Subject = v
		case "body":
			m.Body = v
		case "header":
			name, value, ok := strings.Cut(v, ":")
			if !ok || strings.TrimSpace(name) == "" {
				return m, fmt.Errorf("header=%q: expected 'Name: value'", v)
			}
			m.Headers = append(m.Headers, exchange.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
		case "label":
			m.Labels = append(m.Labels, v)
		case "via":
			switch exchange.Submission(strings.ToLower(v)) {
			case exchange.ViaOutlook, exchange.ViaOWA, exchange.ViaSMTPClient, exchange.ViaAnonymous, exchange.ViaInbound:
				m.Via = exchange.Submission(strings.ToLower(v))
			default:
				return m, fmt.Errorf("via=%q: use outlook, owa, smtp-client, anonymous or inbound", v)
			}
		case "inbound":
			m.Via, m.Inbound = exchange.ViaInbound, v
		case "ip":
			m.SenderIP = v
		case "server":
			m.Server = v
		case "size":
			n, ok := exchange.ParseSize(v)
			if !ok {
				return m, fmt.Errorf("size=%q: expected e.g. 10MB", v)
			}
			m.SizeBytes = n
		default:
			return m, fmt.Errorf("unknown key %q: use from, to, subject, body, header, label, via, inbound, ip, server, size", k)
		}
	}
	if len(m.To) == 0 {
		return m, fmt.Errorf("no recipient: give to=ADDRESS")
	}
	if m.From == "" {
		m.From = OrgUser
	}
	return m, nil
}

// splitSpec splits on spaces outside quotes; quotes are removed.
func splitSpec(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", s)
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

func authoritative(org *exchange.Org, domain string) bool {
	if org == nil {
		return domain == OrgDomain
	}
	for _, d := range org.AcceptedDomains {
		if strings.EqualFold(d.DomainName, domain) && (d.DomainType == "" || strings.EqualFold(d.DomainType, "Authoritative")) {
			return true
		}
	}
	return false
}

func servesProvider(c exchange.SendConnector, p exchange.Provider) bool {
	for _, h := range c.SmartHosts {
		for _, ph := range p.Hosts {
			if strings.EqualFold(strings.Trim(h, "[]"), strings.Trim(ph, "[]")) {
				return true
			}
		}
	}
	return false
}
