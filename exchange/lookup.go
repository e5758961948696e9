package exchange

import (
	"strconv"
	"strings"
)

// acceptedDomain returns the accepted domain that covers a domain: an exact
// DomainName, or a wildcard (*.contoso.com) covering a subdomain; the exact
// one wins.
func (o *Org) acceptedDomain(domain string) (AcceptedDomain, bool) {
	var best AcceptedDomain
	bestLen := -1
	for _, d := range o.AcceptedDomains {
		n := strings.TrimSpace(d.DomainName)
		switch {
		case strings.EqualFold(n, domain):
			return d, true
		case strings.HasPrefix(n, "*.") && len(domain) > len(n)-1 && strings.EqualFold(domain[len(domain)-(len(n)-1):], n[1:]) && len(n) > bestLen:
			best, bestLen = d, len(n)
		}
	}
	return best, bestLen >= 0
}

// isInternalDomain: Authoritative and InternalRelay domains are "in the
// organisation" (New-TransportRule -FromScope/-SentToScope InOrganization:
// "the ... email address is in an accepted domain that's configured as an
// authoritative domain or an internal relay domain").
func (o *Org) isInternalDomain(domain string) bool {
	d, ok := o.acceptedDomain(domain)
	if !ok {
		return false
	}
	t := d.DomainType
	return t == "" || strings.EqualFold(t, "Authoritative") || strings.EqualFold(t, "InternalRelay")
}

// contact finds a mail contact by name, alias or any of its addresses, the
// ways a RecipientIdParameter (RedirectMessageTo, From, ...) can name one.
func (o *Org) contact(id string) (MailContact, bool) {
	id = strings.TrimSpace(StripProxyPrefix(id))
	for _, c := range o.MailContacts {
		if strings.EqualFold(c.Name, id) || strings.EqualFold(c.Alias, id) ||
			strings.EqualFold(StripProxyPrefix(c.ExternalEmailAddress), id) ||
			strings.EqualFold(StripProxyPrefix(c.PrimarySmtpAddress), id) {
			return c, true
		}
	}
	return MailContact{}, false
}

// resolveRecipient turns a RecipientIdParameter value into the address
// mail goes to. A contact resolves to its external address; a plain
// address is taken as it is; a name the model cannot resolve is unknown.
func (o *Org) resolveRecipient(id string) (string, bool) {
	if c, ok := o.contact(id); ok {
		return strings.ToLower(StripProxyPrefix(c.ExternalEmailAddress)), true
	}
	id = StripProxyPrefix(id)
	if strings.Contains(id, "@") {
		return strings.ToLower(id), true
	}
	return "", false
}

// sameAddress compares a RecipientIdParameter value with an address: the
// value may be the address itself or a contact's name or alias.
func (o *Org) sameAddress(id, addr string) Tri {
	addr = strings.ToLower(StripProxyPrefix(addr))
	if c, ok := o.contact(id); ok {
		for _, a := range []string{c.ExternalEmailAddress, c.PrimarySmtpAddress} {
			if strings.EqualFold(StripProxyPrefix(a), addr) {
				return True
			}
		}
		return False
	}
	v := StripProxyPrefix(id)
	if strings.Contains(v, "@") {
		if strings.EqualFold(v, addr) {
			return True
		}
		return False
	}
	// A mailbox or user named by display name or alias: the model has no
	// directory of mailboxes.
	return Unknown
}

// groupMembers returns a group's known members.
func (o *Org) groupMembers(id string) ([]string, bool) {
	if o.Groups == nil {
		return nil, false
	}
	id = StripProxyPrefix(id)
	if m, ok := o.Groups[id]; ok {
		return m, true
	}
	m, ok := o.Groups[strings.ToLower(id)]
	return m, ok
}

// addressSpace is one parsed entry of a send connector's AddressSpaces.
type addressSpace struct {
	Type   string // SMTP
	Domain string // lower case; "*" or "*.contoso.com" for wildcards
	Cost   int
	Scoped bool // printed with the Local: prefix
}

// parseAddressSpace reads the forms Exchange accepts and prints:
// "SMTP:zivver.org;1", "Local:SMTP:zivver.org;1" (scoped), "zivver.org"
// (type SMTP and cost 1 are the defaults), "*".
func parseAddressSpace(s string) (addressSpace, bool) {
	s = strings.TrimSpace(s)
	as := addressSpace{Type: "SMTP", Cost: 1}
	if len(s) > 6 && strings.EqualFold(s[:6], "Local:") {
		as.Scoped = true
		s = s[6:]
	}
	if i := strings.Index(s, ":"); i >= 0 {
		as.Type = strings.ToUpper(s[:i])
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, ";"); i >= 0 {
		c, err := strconv.Atoi(strings.TrimSpace(s[i+1:]))
		if err != nil || c < 1 || c > 100 {
			return as, false
		}
		as.Cost = c
		s = s[:i]
	}
	as.Domain = strings.ToLower(strings.TrimSpace(s))
	return as, as.Domain != ""
}

// matchLen says how specifically an address space covers a domain: -1 for
// no match; otherwise larger is more specific. An exact domain beats every
// wildcard, a longer wildcard beats a shorter one, and "*" comes last.
func (as addressSpace) matchLen(domain string) int {
	switch {
	case as.Type != "SMTP":
		return -1
	case as.Domain == "*":
		return 0
	case strings.HasPrefix(as.Domain, "*."):
		if strings.HasSuffix(domain, as.Domain[1:]) {
			return len(as.Domain)
		}
		return -1
	case as.Domain == domain:
		return 1 << 20
	}
	return -1
}

// domainListMatch is the same ranking for an outbound connector's
// RecipientDomains.
func domainListMatch(list []string, domain string) int {
	best := -1
	for _, d := range list {
		as := addressSpace{Type: "SMTP", Domain: strings.ToLower(strings.TrimSpace(d))}
		if n := as.matchLen(domain); n > best {
			best = n
		}
	}
	return best
}

// hostMatches compares a smart host with a provider host: brackets around
// IP addresses are ignored, and "*.example.com" matches any subdomain.
func hostMatches(host, pattern string) bool {
	h := strings.ToLower(strings.Trim(strings.TrimSpace(host), "[]"))
	p := strings.ToLower(strings.Trim(strings.TrimSpace(pattern), "[]"))
	if strings.HasPrefix(p, "*.") {
		return strings.HasSuffix(h, p[1:])
	}
	return h == p
}

func shortServer(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexByte(s, '.'); i > 0 {
		s = s[:i]
	}
	return s
}
