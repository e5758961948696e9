package exchange

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// evalCtx is what a predicate sees: the organisation and the message as
// earlier rules left it.
type evalCtx struct {
	org *Org
	msg *Message
}

// predicate evaluates one condition (or, with ExceptIf, exception) from a
// rule's Params. eval decides; why explains, and is called only for the
// predicates that decided the rule's outcome (explanations cost more than
// the decisions).
type predicate struct {
	// companion is the second parameter that belongs to it (the words of a
	// header condition); it is consumed with it.
	companion string
	eval      func(c evalCtx, v, comp []string) Tri
	why       func(c evalCtx, v, comp []string) string
	dynamic   bool // why depends on the message, not only on the rule
}

func tri(b bool) Tri {
	if b {
		return True
	}
	return False
}

// words builds a Words predicate over some texts of the message; patterns
// the same for Patterns.
func words(what string, texts func(c evalCtx) []string) predicate {
	return predicate{
		eval: func(c evalCtx, v, _ []string) Tri { return tri(anyWord(texts(c), v)) },
		why:  func(_ evalCtx, v, _ []string) string { return what + " contains " + quoteList(v) },
	}
}

func patterns(what string, texts func(c evalCtx) []string) predicate {
	return predicate{
		eval: func(c evalCtx, v, _ []string) Tri { return anyPattern(texts(c), v) },
		why:  func(_ evalCtx, v, _ []string) string { return what + " matches " + quoteList(v) },
	}
}

func subject(c evalCtx) []string       { return []string{c.msg.Subject} }
func subjectOrBody(c evalCtx) []string { return []string{c.msg.Subject, c.msg.Body} }
func sender(c evalCtx) []string        { return []string{c.msg.From} }
func recipients(c evalCtx) []string    { return c.msg.To }

// predicates are the conditions the model knows. Names are the
// New-TransportRule parameter names; each is documented on that cmdlet's
// page (office-docs-powershell, exchange-ps/ExchangePowerShell/New-TransportRule.md).
var predicates = map[string]predicate{
	"HeaderContainsMessageHeader": {companion: "HeaderContainsWords",
		eval: func(c evalCtx, v, w []string) Tri {
			if len(w) == 0 {
				return Unknown
			}
			return tri(anyWord(c.msg.HeaderValues(first(v)), w))
		},
		why: func(_ evalCtx, v, w []string) string {
			if len(w) == 0 {
				return "header " + first(v) + " without HeaderContainsWords"
			}
			return "header " + first(v) + " contains " + quoteList(w)
		}},
	"HeaderMatchesMessageHeader": {companion: "HeaderMatchesPatterns",
		eval: func(c evalCtx, v, p []string) Tri {
			if len(p) == 0 {
				return Unknown
			}
			return anyPattern(c.msg.HeaderValues(first(v)), p)
		},
		why: func(_ evalCtx, v, p []string) string {
			if len(p) == 0 {
				return "header " + first(v) + " without HeaderMatchesPatterns"
			}
			return "header " + first(v) + " matches " + quoteList(p)
		}},
	"SubjectContainsWords":                 words("subject", subject),
	"SubjectMatchesPatterns":               patterns("subject", subject),
	"SubjectOrBodyContainsWords":           words("subject or body", subjectOrBody),
	"SubjectOrBodyMatchesPatterns":         patterns("subject or body", subjectOrBody),
	"FromAddressContainsWords":             words("sender address", sender),
	"FromAddressMatchesPatterns":           patterns("sender address", sender),
	"RecipientAddressContainsWords":        words("a recipient address", recipients),
	"AnyOfRecipientAddressContainsWords":   words("any recipient address", recipients),
	"RecipientAddressMatchesPatterns":      patterns("a recipient address", recipients),
	"AnyOfRecipientAddressMatchesPatterns": patterns("any recipient address", recipients),
	"From": {
		eval: func(c evalCtx, v, _ []string) Tri {
			out := False
			for _, id := range v {
				switch c.org.sameAddress(id, c.msg.From) {
				case True:
					return True
				case Unknown:
					out = Unknown
				}
			}
			return out
		},
		why: func(_ evalCtx, v, _ []string) string {
			return "sender is one of " + quoteList(v) + " (names the model cannot resolve to an address are unknown)"
		}},
	"SenderDomainIs": {
		eval: func(c evalCtx, v, _ []string) Tri { return tri(domainIn(Domain(c.msg.From), v)) },
		why:  func(_ evalCtx, v, _ []string) string { return "sender domain is " + quoteList(v) }},
	"FromScope": {
		eval: func(c evalCtx, v, _ []string) Tri {
			switch {
			case strings.EqualFold(first(v), "InOrganization"):
				return tri(c.org.fromInside(c.msg))
			case strings.EqualFold(first(v), "NotInOrganization"):
				return tri(!c.org.fromInside(c.msg))
			}
			return Unknown
		},
		why: func(_ evalCtx, v, _ []string) string { return "sender is " + scopeName(first(v)) }},
	"SentToScope": {
		eval: func(c evalCtx, v, _ []string) Tri {
			var want bool
			switch {
			case strings.EqualFold(first(v), "InOrganization"):
				want = true
			case strings.EqualFold(first(v), "NotInOrganization"):
			default:
				// ExternalPartner / ExternalNonPartner depend on domain
				// security settings the model does not have.
				return Unknown
			}
			for _, r := range c.msg.To {
				if c.org.isInternalDomain(Domain(r)) == want {
					return True
				}
			}
			return False
		},
		why: func(_ evalCtx, v, _ []string) string { return "a recipient is " + scopeName(first(v)) }},
	"SentTo": {
		eval: func(c evalCtx, v, _ []string) Tri {
			out := False
			for _, r := range c.msg.To {
				for _, id := range v {
					switch c.org.sameAddress(id, r) {
					case True:
						return True
					case Unknown:
						out = Unknown
					}
				}
			}
			return out
		},
		why: func(_ evalCtx, v, _ []string) string { return "sent to one of " + quoteList(v) }},
	"RecipientDomainIs": {
		eval: func(c evalCtx, v, _ []string) Tri {
			for _, r := range c.msg.To {
				if domainIn(Domain(r), v) {
					return True
				}
			}
			return False
		},
		why: func(_ evalCtx, v, _ []string) string { return "a recipient's domain is " + quoteList(v) }},
	"FromMemberOf": {
		eval: func(c evalCtx, v, _ []string) Tri { return memberOf(c, []string{c.msg.From}, v) },
		why: func(_ evalCtx, v, _ []string) string {
			return "sender is a member of " + quoteList(v) + " (a group whose members the model was not given is unknown)"
		}},
	"SentToMemberOf": {
		eval: func(c evalCtx, v, _ []string) Tri { return memberOf(c, c.msg.To, v) },
		why: func(_ evalCtx, v, _ []string) string {
			return "a recipient is a member of " + quoteList(v) + " (a group whose members the model was not given is unknown)"
		}},
	"SenderIpRanges": {dynamic: true,
		eval: func(c evalCtx, v, _ []string) Tri {
			if c.msg.SenderIP == "" {
				return False
			}
			ok, err := ipInRanges(c.msg.SenderIP, v)
			if err != nil {
				return Unknown
			}
			return tri(ok)
		},
		why: func(c evalCtx, v, _ []string) string {
			if c.msg.SenderIP == "" {
				return "sender IP in " + quoteList(v) + " (no sender IP: submitted by a client)"
			}
			if _, err := ipInRanges(c.msg.SenderIP, v); err != nil {
				return err.Error()
			}
			return "sender IP " + c.msg.SenderIP + " in " + quoteList(v)
		}},
	"MessageSizeOver": {
		eval: func(c evalCtx, v, _ []string) Tri {
			n, ok := ParseSize(first(v))
			if !ok {
				return Unknown
			}
			return tri(c.msg.SizeBytes > n)
		},
		why: func(_ evalCtx, v, _ []string) string { return "message size over " + first(v) }},
	// New-TransportRule.md, -ActivationDate / -ExpiryDate: the rule acts
	// only from / until a date. The model has no clock, so a rule with
	// either is unknown (RuleParamRole counts them as conditions).
	"ActivationDate": {
		eval: func(evalCtx, []string, []string) Tri { return Unknown },
		why: func(_ evalCtx, v, _ []string) string {
			return "the rule acts only from " + first(v) + " (ActivationDate; the model has no clock)"
		}},
	"ExpiryDate": {
		eval: func(evalCtx, []string, []string) Tri { return Unknown },
		why: func(_ evalCtx, v, _ []string) string {
			return "the rule acts only until " + first(v) + " (ExpiryDate; the model has no clock)"
		}},
	"AttachmentSizeOver": {
		eval: func(c evalCtx, v, _ []string) Tri {
			n, ok := ParseSize(first(v))
			if !ok {
				return Unknown
			}
			return tri(c.msg.Attachment > n)
		},
		why: func(_ evalCtx, v, _ []string) string { return "an attachment is larger than " + first(v) }},
}

func scopeName(v string) string {
	switch {
	case strings.EqualFold(v, "InOrganization"):
		return "inside the organization"
	case strings.EqualFold(v, "NotInOrganization"):
		return "outside the organization"
	}
	return v + " (a scope the model does not know)"
}

func memberOf(c evalCtx, addrs, groups []string) Tri {
	out := False
	for _, g := range groups {
		members, ok := c.org.groupMembers(g)
		if !ok {
			out = Unknown
			continue
		}
		for _, m := range members {
			for _, a := range addrs {
				if strings.EqualFold(StripProxyPrefix(m), StripProxyPrefix(a)) {
					return True
				}
			}
		}
	}
	return out
}

// fromInside is FromScope InOrganization: an authenticated connection AND
// a sender in an accepted (authoritative or internal-relay) domain. Mail
// through an inbound connector counts as inside only when the connector is
// of type OnPremises (INFERRED from the connector's documented purpose:
// "your organization's email server").
func (o *Org) fromInside(m *Message) bool {
	if !o.isInternalDomain(Domain(m.From)) {
		return false
	}
	switch m.Via {
	case ViaOutlook, ViaOWA, ViaSMTPClient, "":
		return true
	case ViaInbound:
		for _, ic := range o.InboundConnectors {
			if ic.Enabled && strings.EqualFold(ic.Name, m.Inbound) && strings.EqualFold(ic.ConnectorType, "OnPremises") {
				return true
			}
		}
	}
	return false
}

// IPInRanges reports whether ip is in one of the ranges, in the forms
// SenderIpRanges and the connection filter's IPAllowList accept: single
// addresses, a-b ranges and CIDR blocks.
func IPInRanges(ip string, ranges []string) (bool, error) { return ipInRanges(ip, ranges) }

// ipInRanges reads single addresses, a-b ranges and CIDR blocks, the forms
// SenderIpRanges accepts.
func ipInRanges(ip string, ranges []string) (bool, error) {
	addr, err := netip.ParseAddr(strings.Trim(ip, "[]"))
	if err != nil {
		return false, fmt.Errorf("sender IP %q is not an address", ip)
	}
	for _, r := range ranges {
		r = strings.TrimSpace(r)
		switch {
		case strings.Contains(r, "/"):
			p, err := netip.ParsePrefix(r)
			if err != nil {
				return false, fmt.Errorf("range %q is not a CIDR block", r)
			}
			if p.Contains(addr) {
				return true, nil
			}
		case strings.Contains(r, "-"):
			lo, hi, _ := strings.Cut(r, "-")
			a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
			b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
			if err1 != nil || err2 != nil {
				return false, fmt.Errorf("range %q is not an address range", r)
			}
			if addr.Compare(a) >= 0 && addr.Compare(b) <= 0 {
				return true, nil
			}
		default:
			a, err := netip.ParseAddr(r)
			if err != nil {
				return false, fmt.Errorf("range %q is not an address", r)
			}
			if a == addr {
				return true, nil
			}
		}
	}
	return false, nil
}

// ParseSize reads a size as Exchange prints or accepts it: "50 MB
// (52,428,800 bytes)", "50MB", "52428800", "10 KB". ok is false for
// "Unlimited" and anything unreadable.
func ParseSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "("); i >= 0 {
		inner := strings.TrimSuffix(strings.TrimSpace(s[i+1:]), ")")
		inner = strings.TrimSpace(strings.TrimSuffix(inner, "bytes"))
		if strings.Contains(inner, ",") {
			inner = strings.ReplaceAll(inner, ",", "")
		}
		if n, err := strconv.ParseInt(inner, 10, 64); err == nil {
			return n, true
		}
		s = strings.TrimSpace(s[:i])
	}
	u := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			mult = suf.m
			u = strings.TrimSuffix(u, suf.s)
			break
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(u, ",", ""), 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return int64(f * float64(mult)), true
}

func domainIn(domain string, list []string) bool {
	for _, d := range list {
		d = strings.ToLower(strings.TrimSpace(d))
		// SenderDomainIs/RecipientDomainIs: "the domain or a subdomain".
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func quoteList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}
