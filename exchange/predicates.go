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
// rule's Params. Its result comes with the reason, in a few words.
type predicate struct {
	// companion is the second parameter that belongs to it (the words of a
	// header condition); it is consumed with it.
	companion string
	eval      func(c evalCtx, v, comp []string) (Tri, string)
}

// predicates are the conditions the model knows. Names are the
// New-TransportRule parameter names; each is documented on that cmdlet's
// page (office-docs-powershell, exchange-ps/ExchangePowerShell/New-TransportRule.md).
var predicates = map[string]predicate{
	"HeaderContainsMessageHeader": {companion: "HeaderContainsWords", eval: headerContains},
	"HeaderMatchesMessageHeader":  {companion: "HeaderMatchesPatterns", eval: headerMatches},
	"SubjectContainsWords": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return triWhy(anyWord([]string{c.msg.Subject}, v), "subject contains "+quoteList(v))
	}},
	"SubjectMatchesPatterns": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return anyPattern([]string{c.msg.Subject}, v), "subject matches " + quoteList(v)
	}},
	"SubjectOrBodyContainsWords": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return triWhy(anyWord([]string{c.msg.Subject, c.msg.Body}, v), "subject or body contains "+quoteList(v))
	}},
	"SubjectOrBodyMatchesPatterns": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return anyPattern([]string{c.msg.Subject, c.msg.Body}, v), "subject or body matches " + quoteList(v)
	}},
	"From": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		out := False
		for _, id := range v {
			switch c.org.sameAddress(id, c.msg.From) {
			case True:
				return True, "sender is " + id
			case Unknown:
				out = Unknown
			}
		}
		if out == Unknown {
			return Unknown, "sender is one of " + quoteList(v) + " (a name the model cannot resolve to an address)"
		}
		return False, "sender is one of " + quoteList(v)
	}},
	"FromAddressContainsWords": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return triWhy(anyWord([]string{c.msg.From}, v), "sender address contains "+quoteList(v))
	}},
	"FromAddressMatchesPatterns": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return anyPattern([]string{c.msg.From}, v), "sender address matches " + quoteList(v)
	}},
	"SenderDomainIs": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return triWhy(domainIn(Domain(c.msg.From), v), "sender domain is "+quoteList(v))
	}},
	"FromScope": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		in := c.org.fromInside(c.msg)
		want := strings.EqualFold(first(v), "InOrganization")
		if !want && !strings.EqualFold(first(v), "NotInOrganization") {
			return Unknown, "FromScope " + first(v) + " (a value the model does not know)"
		}
		return triWhy(in == want, "sender is "+scopeWord(want))
	}},
	"SentToScope": {eval: sentToScope},
	"SentTo": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		out := False
		for _, r := range c.msg.To {
			for _, id := range v {
				switch c.org.sameAddress(id, r) {
				case True:
					return True, "sent to " + id
				case Unknown:
					out = Unknown
				}
			}
		}
		return out, "sent to one of " + quoteList(v)
	}},
	"RecipientDomainIs": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		for _, r := range c.msg.To {
			if domainIn(Domain(r), v) {
				return True, "a recipient's domain is " + quoteList(v)
			}
		}
		return False, "a recipient's domain is " + quoteList(v)
	}},
	"RecipientAddressContainsWords": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return triWhy(anyWord(c.msg.To, v), "a recipient address contains "+quoteList(v))
	}},
	"AnyOfRecipientAddressContainsWords": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return triWhy(anyWord(c.msg.To, v), "any recipient address contains "+quoteList(v))
	}},
	"RecipientAddressMatchesPatterns": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return anyPattern(c.msg.To, v), "a recipient address matches " + quoteList(v)
	}},
	"AnyOfRecipientAddressMatchesPatterns": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return anyPattern(c.msg.To, v), "any recipient address matches " + quoteList(v)
	}},
	"FromMemberOf": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return memberOf(c, []string{c.msg.From}, v, "sender is a member of ")
	}},
	"SentToMemberOf": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		return memberOf(c, c.msg.To, v, "a recipient is a member of ")
	}},
	"SenderIpRanges": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		if c.msg.SenderIP == "" {
			return False, "sender IP in " + quoteList(v) + " (no sender IP: submitted by a client)"
		}
		t, err := ipInRanges(c.msg.SenderIP, v)
		if err != nil {
			return Unknown, err.Error()
		}
		return triWhy(t, "sender IP "+c.msg.SenderIP+" is in "+quoteList(v))
	}},
	"MessageSizeOver": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		n, ok := ParseSize(first(v))
		if !ok {
			return Unknown, "message size over " + first(v) + " (a size the model cannot read)"
		}
		return triWhy(c.msg.SizeBytes > n, "message size over "+first(v))
	}},
	"AttachmentSizeOver": {eval: func(c evalCtx, v, _ []string) (Tri, string) {
		n, ok := ParseSize(first(v))
		if !ok {
			return Unknown, "attachment size over " + first(v) + " (a size the model cannot read)"
		}
		return triWhy(c.msg.Attachment > n, "an attachment is larger than "+first(v))
	}},
}

func headerContains(c evalCtx, v, words []string) (Tri, string) {
	name := first(v)
	vals := c.msg.HeaderValues(name)
	why := fmt.Sprintf("header %s contains %s", name, quoteList(words))
	if len(words) == 0 {
		return Unknown, "header " + name + " without HeaderContainsWords"
	}
	return triWhy(anyWord(vals, words), why)
}

func headerMatches(c evalCtx, v, patterns []string) (Tri, string) {
	name := first(v)
	if len(patterns) == 0 {
		return Unknown, "header " + name + " without HeaderMatchesPatterns"
	}
	return anyPattern(c.msg.HeaderValues(name), patterns), fmt.Sprintf("header %s matches %s", name, quoteList(patterns))
}

// sentToScope: true when any recipient is in (or outside) the
// organisation.
func sentToScope(c evalCtx, v, _ []string) (Tri, string) {
	scope := first(v)
	var want bool
	switch strings.ToLower(scope) {
	case "inorganization":
		want = true
	case "notinorganization":
		want = false
	default:
		// ExternalPartner / ExternalNonPartner depend on domain security
		// settings the model does not have.
		return Unknown, "SentToScope " + scope + " (not modelled)"
	}
	for _, r := range c.msg.To {
		if c.org.isInternalDomain(Domain(r)) == want {
			return True, "a recipient is " + scopeWord(want)
		}
	}
	return False, "a recipient is " + scopeWord(want)
}

func memberOf(c evalCtx, addrs, groups []string, what string) (Tri, string) {
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
					return True, what + g
				}
			}
		}
	}
	if out == Unknown {
		return Unknown, what + quoteList(groups) + " (the model does not know the group's members)"
	}
	return False, what + quoteList(groups)
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
		if n, err := strconv.ParseInt(strings.ReplaceAll(inner, ",", ""), 10, 64); err == nil {
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

func triWhy(b bool, why string) (Tri, string) {
	if b {
		return True, why
	}
	return False, why
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func scopeWord(inside bool) string {
	if inside {
		return "inside the organization"
	}
	return "outside the organization"
}

func quoteList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}
