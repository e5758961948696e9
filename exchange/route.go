package exchange

import (
	"fmt"
	"sort"
	"strings"
)

// route picks the next hop for one recipient after the rules.
func (o *Org) route(st *passState, rcpt string, p Provider) Hop {
	addr := strings.ToLower(StripProxyPrefix(rcpt))
	if c, ok := o.contact(addr); ok {
		addr = strings.ToLower(StripProxyPrefix(c.ExternalEmailAddress))
	}
	_, isContact := o.contact(addr)
	domain := Domain(addr)
	d, accepted := o.acceptedDomain(domain)
	authoritative := accepted && (d.DomainType == "" || strings.EqualFold(d.DomainType, "Authoritative"))
	if o.Platform == Online {
		return o.routeOnline(st, addr, domain, accepted && !isContact && o.isInternalDomain(domain), p)
	}
	if authoritative && !isContact {
		return Hop{Recipient: addr, Kind: "internal", Why: fmt.Sprintf("%s is an authoritative accepted domain (%q)", domain, d.Name)}
	}
	h := o.routeOnPrem(st, addr, domain, p)
	if isContact && accepted {
		h.Why = fmt.Sprintf("a mail contact in accepted domain %s; ", domain) + h.Why
	}
	return h
}

type candidate struct {
	conn   SendConnector
	length int
	cost   int
	space  string
}

// routeOnPrem is Exchange Server's send connector selection: of the
// enabled connectors whose address space covers the recipient's domain,
// "the connector with the most specific address space match" wins, then
// "the lowest cost" (Microsoft Learn, Exchange Server "Send connectors",
// "Connector selection"). A scoped connector (IsScopedConnector) serves only
// transport servers in its own Active Directory site.
func (o *Org) routeOnPrem(st *passState, addr, domain string, p Provider) Hop {
	var cands []candidate
	var skipped []string
	for _, c := range o.SendConnectors {
		best := candidate{length: -1}
		for _, s := range c.AddressSpaces {
			as, ok := parseAddressSpace(s)
			if !ok {
				continue
			}
			if n := as.matchLen(domain); n > best.length || (n == best.length && as.Cost < best.cost) {
				best = candidate{conn: c, length: n, cost: as.Cost, space: s}
			}
		}
		if best.length < 0 {
			continue
		}
		if !c.Enabled {
			skipped = append(skipped, fmt.Sprintf("%q is disabled", c.Name))
			continue
		}
		if c.IsScopedConnector {
			switch o.inScope(st.msg.Server, c) {
			case False:
				skipped = append(skipped, fmt.Sprintf("%q is scoped to the site of %s; the message is on %s", c.Name, strings.Join(c.SourceTransportServers, ", "), st.msg.Server))
				continue
			case Unknown:
				return Hop{Recipient: addr, Kind: "unknown", Connector: c.Name,
					Why: fmt.Sprintf("%q is a scoped connector and the model does not know which server handles the message", c.Name)}
			}
		}
		cands = append(cands, best)
	}
	if len(cands) == 0 {
		why := fmt.Sprintf("no enabled send connector's address space covers %s: the message waits in the Unreachable queue", domain)
		if len(skipped) > 0 {
			why += " (" + strings.Join(skipped, "; ") + ")"
		}
		return Hop{Recipient: addr, Kind: "none", Why: why}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.length != b.length {
			return a.length > b.length
		}
		if a.cost != b.cost {
			return a.cost < b.cost
		}
		return lessFold(a.conn.Name, b.conn.Name)
	})
	win := cands[0]
	why := fmt.Sprintf("address space %s covers %s", win.space, domain)
	inferred := false
	if len(cands) > 1 {
		runner := cands[1]
		switch {
		case runner.length < win.length:
			why += fmt.Sprintf(", more specifically than %q (%s)", runner.conn.Name, runner.space)
		case runner.cost > win.cost:
			why += fmt.Sprintf(", at a lower cost than %q (%s)", runner.conn.Name, runner.space)
		default:
			// Equal match and cost: which one Exchange takes then is not
			// in the documentation relaywiz follows. If every tied
			// connector leads to the same kind of hop, the verdict does not
			// depend on it; otherwise the model does not guess.
			tied := []candidate{win}
			for _, c := range cands[1:] {
				if c.length == win.length && c.cost == win.cost {
					tied = append(tied, c)
				}
			}
			first := sendHop(addr, win.conn, p)
			for _, c := range tied[1:] {
				if h := sendHop(addr, c.conn, p); h.Provider != first.Provider {
					return Hop{Recipient: addr, Kind: "unknown", Connector: win.conn.Name, Inferred: true,
						Why: fmt.Sprintf("address space %s of %q ties with %q (%s): same match and cost, and which one Exchange takes is not documented",
							win.space, win.conn.Name, c.conn.Name, c.space)}
				}
			}
			why += fmt.Sprintf(", tied with %q (same match and cost; either way the mail goes the same kind of route)", runner.conn.Name)
			inferred = true
		}
	}
	if win.conn.IsScopedConnector {
		why += "; scoped to this server's site"
	}
	h := sendHop(addr, win.conn, p)
	h.Why, h.Inferred = why, inferred
	// New-SendConnector.md, -MaxMessageSize: "the maximum size of a
	// message that can pass through a connector". A larger message is
	// returned to the sender (5.3.4), not sent another way.
	if limit, ok := ParseSize(win.conn.MaxMessageSize); ok && st.msg.SizeBytes > limit {
		return Hop{Recipient: addr, Kind: "none", Connector: win.conn.Name,
			Why: fmt.Sprintf("%s; but the message (%d bytes) is larger than the connector's MaxMessageSize %s: returned to the sender (5.3.4)", why, st.msg.SizeBytes, win.conn.MaxMessageSize)}
	}
	return h
}

// inScope: the server handling the message is one of the connector's
// source servers, or in the same Active Directory site as one.
func (o *Org) inScope(server string, c SendConnector) Tri {
	if server == "" {
		return Unknown
	}
	s := shortServer(server)
	site := o.ServerSites[s]
	for _, t := range c.SourceTransportServers {
		ts := shortServer(t)
		if ts == s || (site != "" && o.ServerSites[ts] == site) {
			return True
		}
	}
	return False
}

func sendHop(addr string, c SendConnector, p Provider) Hop {
	h := Hop{Recipient: addr, Kind: "connector", Connector: c.Name}
	if c.DNSRoutingEnabled || len(c.SmartHosts) == 0 {
		h.MX = true
		h.Hosts = []string{"MX of " + Domain(addr)}
		h.Port = 25
		h.TLS = "opportunistic (STARTTLS if offered)"
		if c.RequireTLS {
			h.TLS = tlsLevel(c.TlsAuthLevel)
		}
		return h
	}
	h.Hosts = append([]string(nil), c.SmartHosts...)
	h.Port = c.Port
	if h.Port == 0 {
		h.Port = 25
	}
	switch {
	case c.RequireTLS:
		h.TLS = tlsLevel(c.TlsAuthLevel)
	case strings.EqualFold(c.SmartHostAuthMechanism, "BasicAuthRequireTLS"):
		h.TLS = "required before AUTH (BasicAuthRequireTLS)"
	default:
		h.TLS = "opportunistic (STARTTLS if offered)"
	}
	switch strings.ToLower(c.SmartHostAuthMechanism) {
	case "basicauth", "basicauthrequiretls":
		h.Auth = "AUTH LOGIN (" + c.SmartHostAuthMechanism + ")"
	case "", "none":
	default:
		h.Auth = c.SmartHostAuthMechanism
	}
	h.Provider = isProvider(h.Hosts, p)
	return h
}

func tlsLevel(level string) string {
	if level == "" {
		return "required"
	}
	return "required (" + level + ")"
}

// routeOnline is Exchange Online's outbound routing: a rule's
// RouteMessageOutboundConnector first; otherwise a connector that is not
// rule-scoped and lists the recipient's domain in RecipientDomains;
// otherwise the recipient domain's MX records ("Exchange Online delivers
// directly").
func (o *Org) routeOnline(st *passState, addr, domain string, internal bool, p Provider) Hop {
	if internal {
		// Outbound connectors carry mail out of the organisation; a rule's
		// RouteMessageOutboundConnector does not take internal recipients
		// there (INFERRED: the cmdlet reference does not say either way).
		return Hop{Recipient: addr, Kind: "internal", Why: fmt.Sprintf("%s is an accepted domain of the organisation", domain)}
	}
	if st.route != "" {
		c, _ := o.outbound(st.route)
		h := outboundHop(addr, c, p)
		h.Why = fmt.Sprintf("rule %q routes it (RouteMessageOutboundConnector)", st.routeRule)
		h.Rule = st.routeRule
		if !c.IsTransportRuleScoped {
			// Microsoft always pairs the action with a rule-scoped
			// connector; whether an unscoped one is refused is not
			// documented.
			h.Why += "; the connector is not rule-scoped"
			h.Inferred = true
		}
		return h
	}
	var best OutboundConnector
	bestLen := -1
	var scoped []string
	for _, c := range o.OutboundConnectors {
		if !c.Enabled {
			continue
		}
		n := domainListMatch(c.RecipientDomains, domain)
		if n < 0 {
			continue
		}
		if c.IsTransportRuleScoped {
			scoped = append(scoped, c.Name)
			continue
		}
		if n > bestLen || (n == bestLen && lessFold(c.Name, best.Name)) {
			best, bestLen = c, n
		}
	}
	if bestLen >= 0 {
		h := outboundHop(addr, best, p)
		h.Why = fmt.Sprintf("its RecipientDomains cover %s", domain)
		return h
	}
	why := fmt.Sprintf("no rule routes it and no connector that is not rule-scoped covers %s: delivered by MX", domain)
	if len(scoped) > 0 {
		why += fmt.Sprintf(" (%s is rule-scoped: used only when a rule routes to it)", quoteList(scoped))
	}
	return Hop{Recipient: addr, Kind: "mx", MX: true, Hosts: []string{"MX of " + domain}, Port: 25,
		TLS: "opportunistic (STARTTLS if offered)", Why: why, Provider: false}
}

func outboundHop(addr string, c OutboundConnector, p Provider) Hop {
	h := Hop{Recipient: addr, Kind: "connector", Connector: c.Name, Port: 25}
	if c.UseMXRecord || len(c.SmartHosts) == 0 {
		h.MX = true
		h.Hosts = []string{"MX of " + Domain(addr)}
	} else {
		h.Hosts = append([]string(nil), c.SmartHosts...)
	}
	switch c.TlsSettings {
	case "":
		h.TLS = "opportunistic (STARTTLS if offered)"
	case "DomainValidation":
		h.TLS = "required (DomainValidation, " + c.TlsDomain + ")"
	default:
		h.TLS = "required (" + c.TlsSettings + ")"
	}
	h.Provider = !h.MX && isProvider(h.Hosts, p)
	return h
}

func isProvider(hosts []string, p Provider) bool {
	for _, h := range hosts {
		for _, ph := range p.Hosts {
			if hostMatches(h, ph) {
				return true
			}
		}
	}
	return false
}

// lessFold orders names without case and without allocating (connector
// selection sorts candidates for every recipient).
func lessFold(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := lowerASCII(a[i]), lowerASCII(b[i])
		if x != y {
			return x < y
		}
	}
	return len(a) < len(b)
}
