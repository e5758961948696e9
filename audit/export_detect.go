package audit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// Detection is what the audit reads out of an exported organisation: which
// relaywiz scenario its objects implement, and the objects that do it.
// Object names are the org's own (an admin who followed a vendor manual by
// hand names them differently from relaywiz), so everything is found by
// what the objects do, not by name.
type Detection struct {
	Scenario steps.ScenarioID
	// Inputs are the scenario's answers as far as the export shows them
	// (triggers, smart host, gateway, placeholder domain, add-on rule).
	Inputs   steps.Inputs
	Evidence string // why this scenario, in one sentence

	Connector   string   // the provider's connector (send or outbound); "" when there is none
	Rules       []string // the rules that send triggered mail on its way, the add-on's first
	Contact     string   // on-premises Zivver: the contact the rules redirect to
	Placeholder string   // on-premises Zivver: the domain of the provider connector's address space
	// The way a service hands mail back (Cryptshare Online, CodeTwo).
	Inbound       string
	ReturnIP      string
	ReturnHeaders []exchange.Header
	Hosts         []string // the provider's hosts, as the org's connector names them
}

// Detect finds the relaywiz scenario an exported organisation implements.
// It returns an error when the org has none of them (no connector to a
// known provider, no Cryptshare header rule, no add-on connector).
func Detect(org *exchange.Org) (Detection, error) {
	var tried []string
	for _, id := range candidates(org.Platform) {
		d, ok := detectAs(org, id, steps.Inputs{Priority: steps.PriorityAuto})
		if ok {
			return d, nil
		}
		tried = append(tried, string(id))
	}
	return Detection{}, fmt.Errorf("the Exchange %s export has none of the set-ups relaywiz knows (%s): no connector to smtp.zivver.com, no rule that routes an X-CS-Sensitivity header, no CodeTwo connector, no smart-host send connector for all domains. Give the scenario with --scenario and its answers (e.g. --smart-host, --gateway-ip)", platformName(string(org.Platform)), strings.Join(tried, ", "))
}

// DetectFor reads the objects of a scenario the admin named. It always
// returns a Detection; ok is false when the scenario's provider connector
// was not found (the audit then says so).
func DetectFor(org *exchange.Org, in steps.Inputs) (Detection, bool) {
	return detectAs(org, in.Scenario, in)
}

func candidates(p exchange.Platform) []steps.ScenarioID {
	if p == exchange.Online {
		// The more specific set-ups first: a tenant with a CodeTwo add-on
		// may also route some mail to Zivver, but not the other way round.
		return []steps.ScenarioID{steps.PAMSOnline, steps.RelayOnline, steps.CryptshareOnline, steps.CodeTwoOnline}
	}
	return []steps.ScenarioID{steps.PAMSOnPrem, steps.RelayOnPrem, steps.CryptshareOnPrem}
}

// detectAs reads the objects of one scenario. in carries what the admin
// said (--smart-host, --gateway-ip, --trigger); zero values mean "find it".
// ok reports whether the scenario's provider objects were found.
func detectAs(org *exchange.Org, id steps.ScenarioID, in steps.Inputs) (Detection, bool) {
	d := Detection{Scenario: id, Inputs: in}
	d.Inputs.Scenario = id
	switch id {
	case steps.PAMSOnPrem, steps.RelayOnPrem:
		return d, d.zivverOnPrem(org, id, in)
	case steps.PAMSOnline, steps.RelayOnline:
		return d, d.zivverOnline(org, id, in)
	case steps.CryptshareOnPrem:
		return d, d.cryptshareOnPrem(org, in)
	case steps.CryptshareOnline:
		return d, d.cryptshareOnline(org, in)
	case steps.CodeTwoOnline:
		return d, d.codeTwo(org, in)
	}
	return d, false
}

// providerHost: the smart host the admin named, or Zivver's.
func providerHost(in steps.Inputs, def string) func(string) bool {
	want := strings.ToLower(strings.TrimSpace(in.SmartHost))
	if want == "" {
		want = strings.ToLower(in.GatewayIP)
	}
	return func(h string) bool {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if want != "" {
			return h == want
		}
		return def != "" && (h == def || strings.HasSuffix(h, "."+def))
	}
}

func anyHost(hosts []string, match func(string) bool) bool {
	for _, h := range hosts {
		if match(h) {
			return true
		}
	}
	return false
}

func trimHosts(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, strings.Trim(strings.TrimSpace(h), "[]"))
	}
	return out
}

// hasHeaderCondition: the rule matches on a message header (the PAMS
// plug-in's zivver-relay, a Cryptshare header) rather than a subject word
// or a sender.
func hasHeaderCondition(r exchange.TransportRule) bool {
	return r.Conditions.Has("HeaderMatchesMessageHeader") || r.Conditions.Has("HeaderContainsMessageHeader")
}

func headerName(r exchange.TransportRule) string {
	if h := r.Conditions.First("HeaderMatchesMessageHeader"); h != "" {
		return h
	}
	return r.Conditions.First("HeaderContainsMessageHeader")
}

var guidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// triggersOf reads a rule's trigger back into --trigger form: subject
// words, sensitivity label GUIDs from the msip_labels words, senders.
func triggersOf(r exchange.TransportRule) []steps.Trigger {
	var out []steps.Trigger
	for _, w := range r.Conditions.Get("SubjectContainsWords") {
		out = append(out, steps.Trigger{Kind: steps.TriggerSubject, Value: w})
	}
	if strings.EqualFold(r.Conditions.First("HeaderContainsMessageHeader"), "msip_labels") {
		for _, w := range r.Conditions.Get("HeaderContainsWords") {
			if g := guidRE.FindString(w); g != "" {
				out = append(out, steps.Trigger{Kind: steps.TriggerLabel, Value: strings.ToLower(g)})
			}
		}
	}
	for _, f := range r.Conditions.Get("From") {
		if strings.Contains(f, "@") {
			out = append(out, steps.Trigger{Kind: steps.TriggerSender, Value: exchange.StripProxyPrefix(f)})
		}
	}
	return out
}

// zivverOnPrem: a send connector to Zivver's smart host whose address
// space is the placeholder domain, a contact in that domain, and rules
// that redirect to the contact.
func (d *Detection) zivverOnPrem(org *exchange.Org, id steps.ScenarioID, in steps.Inputs) bool {
	isProv := providerHost(in, steps.ZivverSmartHost)
	var conn *exchange.SendConnector
	for i := range org.SendConnectors {
		c := &org.SendConnectors[i]
		if anyHost(c.SmartHosts, isProv) && (conn == nil || !conn.Enabled && c.Enabled) {
			conn = c
		}
	}
	if conn == nil {
		d.Evidence = "no send connector delivers to " + hostOr(in, steps.ZivverSmartHost)
		return false
	}
	d.Connector, d.Hosts = conn.Name, trimHosts(conn.SmartHosts)
	for _, s := range conn.AddressSpaces {
		if dom := spaceDomain(s); dom != "" && dom != "*" {
			d.Placeholder = dom
			break
		}
	}
	for _, c := range org.MailContacts {
		if d.Placeholder != "" && strings.EqualFold(exchange.Domain(exchange.StripProxyPrefix(c.ExternalEmailAddress)), d.Placeholder) {
			d.Contact = c.Name
			d.Inputs.ContactAlias = c.Alias
			break
		}
	}
	header, words := false, false
	rules := org.SortedRules()
	var relay []exchange.TransportRule
	for _, r := range rules {
		if redirectsInto(org, r, d.Contact, d.Placeholder) {
			relay = append(relay, r)
		}
	}
	if len(relay) == 0 {
		// No rule redirects into the address space: take the rules that
		// redirect to a mail contact at all (the audit then says where
		// that contact's mail goes).
		for _, r := range rules {
			for _, id := range r.Actions.Get("RedirectMessageTo") {
				if addr, name := contactAddress(org, id); addr != "" && name != addr {
					relay = append(relay, r)
					if d.Contact == "" {
						d.Contact = name
					}
					break
				}
			}
		}
	}
	for _, r := range relay {
		d.Rules = append(d.Rules, r.Name)
		if hasHeaderCondition(r) {
			header = true
		} else {
			words = true
			if len(in.Triggers) == 0 {
				d.Inputs.Triggers = append(d.Inputs.Triggers, triggersOf(r)...)
			}
		}
	}
	if in.SmartHost == "" {
		d.Inputs.SmartHost = first(d.Hosts) // the admin's --smart-host stays the provider
	}
	d.Inputs.Port = conn.Port
	d.Inputs.PlaceholderDomain = d.Placeholder
	d.Inputs.SourceServers = conn.SourceTransportServers
	switch {
	case id == steps.PAMSOnPrem && words && !header && in.Scenario != steps.PAMSOnPrem:
		return false // a Custom Relay set-up, not PAMS
	case id == steps.RelayOnPrem && (header || !words) && in.Scenario != steps.RelayOnPrem:
		return false
	}
	d.Evidence = fmt.Sprintf("send connector %q delivers %s to %s", conn.Name, orWord(d.Placeholder, "its address space"), strings.Join(d.Hosts, ", "))
	if len(d.Rules) > 0 {
		d.Evidence += fmt.Sprintf(", and rule %s redirects to a contact there", quoteNames(d.Rules))
	}
	return true
}

// redirectsInto: the rule redirects to the contact, or to any address in
// the placeholder domain.
func redirectsInto(org *exchange.Org, r exchange.TransportRule, contact, domain string) bool {
	for _, id := range r.Actions.Get("RedirectMessageTo") {
		v := exchange.StripProxyPrefix(id)
		if contact != "" && strings.EqualFold(v, contact) {
			return true
		}
		for _, c := range org.MailContacts {
			if strings.EqualFold(c.Name, contact) && (strings.EqualFold(v, c.Alias) ||
				strings.EqualFold(v, exchange.StripProxyPrefix(c.ExternalEmailAddress)) || strings.EqualFold(v, exchange.StripProxyPrefix(c.PrimarySmtpAddress))) {
				return true
			}
		}
		if domain != "" && strings.EqualFold(exchange.Domain(v), domain) {
			return true
		}
	}
	return false
}

// zivverOnline: an outbound connector to Zivver's smart host and the rules
// that route to it.
func (d *Detection) zivverOnline(org *exchange.Org, id steps.ScenarioID, in steps.Inputs) bool {
	isProv := providerHost(in, steps.ZivverSmartHost)
	var conn *exchange.OutboundConnector
	for i := range org.OutboundConnectors {
		c := &org.OutboundConnectors[i]
		if anyHost(c.SmartHosts, isProv) && (conn == nil || !conn.Enabled && c.Enabled) {
			conn = c
		}
	}
	if conn == nil {
		d.Evidence = "no outbound connector delivers to " + hostOr(in, steps.ZivverSmartHost)
		return false
	}
	d.Connector, d.Hosts = conn.Name, trimHosts(conn.SmartHosts)
	header, words := false, false
	var relay []exchange.TransportRule
	for _, r := range org.SortedRules() {
		if strings.EqualFold(r.Actions.First("RouteMessageOutboundConnector"), conn.Name) {
			relay = append(relay, r)
		}
	}
	if len(relay) == 0 {
		// No rule routes to the connector: take the rules that route to a
		// connector that does not exist (a renamed connector, a typo).
		for _, r := range org.SortedRules() {
			if c := r.Actions.First("RouteMessageOutboundConnector"); c != "" {
				if _, ok := outboundNamed(org, c); !ok {
					relay = append(relay, r)
				}
			}
		}
	}
	for _, r := range relay {
		d.Rules = append(d.Rules, r.Name)
		if hasHeaderCondition(r) && !strings.EqualFold(headerName(r), "msip_labels") {
			header = true
		} else {
			words = true
			if len(in.Triggers) == 0 {
				d.Inputs.Triggers = append(d.Inputs.Triggers, triggersOf(r)...)
			}
		}
	}
	if in.SmartHost == "" {
		d.Inputs.SmartHost = first(d.Hosts) // the admin's --smart-host stays the provider
	}
	switch {
	case id == steps.PAMSOnline && words && !header && in.Scenario != steps.PAMSOnline:
		return false
	case id == steps.RelayOnline && (header || !words) && in.Scenario != steps.RelayOnline:
		return false
	}
	d.Evidence = fmt.Sprintf("outbound connector %q delivers to %s", conn.Name, strings.Join(d.Hosts, ", "))
	if len(d.Rules) > 0 {
		d.Evidence += fmt.Sprintf(", and rule %s routes to it", quoteNames(d.Rules))
	}
	return true
}

// cryptshareOnPrem: an enabled send connector for every domain (*) that
// hands mail to a smart host (the gateway) instead of using MX.
func (d *Detection) cryptshareOnPrem(org *exchange.Org, in steps.Inputs) bool {
	isProv := providerHost(in, "")
	var conn *exchange.SendConnector
	for i := range org.SendConnectors {
		c := &org.SendConnectors[i]
		if !coversAll(c.AddressSpaces) || c.DNSRoutingEnabled || len(c.SmartHosts) == 0 {
			continue
		}
		if (in.SmartHost != "" || in.GatewayIP != "") && !anyHost(c.SmartHosts, isProv) {
			continue
		}
		if conn == nil || !conn.Enabled && c.Enabled {
			conn = c
		}
	}
	if conn == nil {
		d.Evidence = "no send connector for all domains (*) delivers to a smart host"
		return false
	}
	d.Connector, d.Hosts = conn.Name, trimHosts(conn.SmartHosts)
	if in.SmartHost == "" {
		d.Inputs.SmartHost = first(d.Hosts) // the admin's --smart-host stays the provider
	}
	if isIPv4(d.Inputs.SmartHost) && d.Inputs.GatewayIP == "" {
		d.Inputs.GatewayIP = d.Inputs.SmartHost
	}
	d.Inputs.SourceServers = conn.SourceTransportServers
	for _, c := range org.SendConnectors {
		if c.Name != conn.Name && coversAll(c.AddressSpaces) {
			d.Inputs.Connectors = append(d.Inputs.Connectors, c.Name)
		}
	}
	d.Evidence = fmt.Sprintf("send connector %q hands mail for all domains (*) to %s", conn.Name, strings.Join(d.Hosts, ", "))
	return true
}

// cryptshareOnline: a rule that routes mail with the X-CS-Sensitivity
// header to an outbound connector (the gateway), the OWA rule that sets the
// header, and the inbound connector the gateway sends back through.
func (d *Detection) cryptshareOnline(org *exchange.Org, in steps.Inputs) bool {
	isProv := providerHost(in, "")
	var route *exchange.TransportRule
	rules := org.SortedRules()
	for i := range rules {
		r := &rules[i]
		c := r.Actions.First("RouteMessageOutboundConnector")
		if c == "" {
			continue
		}
		byHeader := strings.EqualFold(headerName(*r), "X-CS-Sensitivity")
		byHost := false
		if oc, ok := outboundNamed(org, c); ok && (in.GatewayIP != "" || in.SmartHost != "") {
			byHost = anyHost(oc.SmartHosts, isProv)
		}
		if byHeader || byHost {
			route = r
			break
		}
	}
	if route == nil {
		d.Evidence = "no rule routes mail with the X-CS-Sensitivity header to a connector"
		return false
	}
	d.Connector = route.Actions.First("RouteMessageOutboundConnector")
	if oc, ok := outboundNamed(org, d.Connector); ok {
		d.Hosts = trimHosts(oc.SmartHosts)
	}
	for _, r := range rules {
		if strings.EqualFold(r.Actions.First("SetHeaderName"), "X-CS-Sensitivity") {
			d.Rules = append(d.Rules, r.Name)
			if len(in.Triggers) == 0 {
				d.Inputs.Triggers = append(d.Inputs.Triggers, triggersOf(r)...)
			}
		}
	}
	d.Rules = append(d.Rules, route.Name)
	// The gateway's IP: what the admin said, else the loop exception, else
	// the smart host when it is an address.
	ip := in.GatewayIP
	if ip == "" {
		ip = first(route.Exceptions.Get("ExceptIfSenderIpRanges"))
	}
	if ip == "" && isIPv4(first(d.Hosts)) {
		ip = first(d.Hosts)
	}
	for _, c := range org.InboundConnectors {
		for _, a := range c.SenderIPAddresses {
			if ip != "" && strings.TrimSuffix(a, "/32") == ip {
				d.Inbound = c.Name
			}
		}
	}
	if ip == "" && len(org.InboundConnectors) > 0 && len(org.InboundConnectors[0].SenderIPAddresses) > 0 {
		d.Inbound, ip = org.InboundConnectors[0].Name, strings.TrimSuffix(org.InboundConnectors[0].SenderIPAddresses[0], "/32")
	}
	d.ReturnIP = ip
	if in.GatewayIP == "" {
		d.Inputs.GatewayIP = ip
	}
	if in.SmartHost == "" {
		d.Inputs.SmartHost = first(d.Hosts) // the admin's --smart-host stays the provider
	}
	d.Evidence = fmt.Sprintf("rule %q routes mail with the X-CS-Sensitivity header to connector %q (%s)", route.Name, d.Connector, strings.Join(d.Hosts, ", "))
	return true
}

// codeTwo: a rule that routes to a connector whose smart host is CodeTwo's
// (*.codetwo.online), and the rules that route to other smart-host
// connectors after it.
func (d *Detection) codeTwo(org *exchange.Org, in steps.Inputs) bool {
	rules := org.SortedRules()
	var addon *exchange.TransportRule
	for i := range rules {
		r := &rules[i]
		if in.AddonRule != "" {
			if strings.EqualFold(r.Name, in.AddonRule) {
				addon = r
				break
			}
			continue
		}
		if oc, ok := outboundNamed(org, r.Actions.First("RouteMessageOutboundConnector")); ok &&
			anyHost(oc.SmartHosts, func(h string) bool {
				return strings.HasSuffix(strings.ToLower(strings.Trim(h, "[]")), ".codetwo.online")
			}) {
			addon = r
			break
		}
	}
	if addon == nil {
		d.Evidence = "no rule routes to a CodeTwo connector (*.codetwo.online)"
		return false
	}
	d.Connector = addon.Actions.First("RouteMessageOutboundConnector")
	if oc, ok := outboundNamed(org, d.Connector); ok {
		d.Hosts = trimHosts(oc.SmartHosts)
	}
	d.Rules = []string{addon.Name}
	d.Inputs.AddonRule = addon.Name
	d.Inputs.Connectors = nil
	for _, r := range rules {
		c := r.Actions.First("RouteMessageOutboundConnector")
		if r.Name == addon.Name || c == "" || strings.EqualFold(c, d.Connector) {
			continue
		}
		d.Rules = append(d.Rules, r.Name)
		d.Inputs.Connectors = append(d.Inputs.Connectors, c)
	}
	// What the add-on stamps and where it sends from: its rule's
	// exceptions say what it recognises as processed.
	if h := addon.Exceptions.First("ExceptIfHeaderContainsMessageHeader"); h != "" {
		d.ReturnHeaders = []exchange.Header{{Name: h, Value: orWord(addon.Exceptions.First("ExceptIfHeaderContainsWords"), "true")}}
	} else if h := addon.Exceptions.First("ExceptIfHeaderMatchesMessageHeader"); h != "" {
		d.ReturnHeaders = []exchange.Header{{Name: h, Value: "true"}}
	}
	d.ReturnIP = strings.TrimSuffix(first(addon.Exceptions.Get("ExceptIfSenderIpRanges")), "/32")
	for _, c := range org.InboundConnectors {
		if strings.Contains(strings.ToLower(c.Name), "codetwo") || (d.ReturnIP != "" && containsIP(c.SenderIPAddresses, d.ReturnIP)) {
			d.Inbound = c.Name
			if d.ReturnIP == "" {
				d.ReturnIP = strings.TrimSuffix(first(c.SenderIPAddresses), "/32")
			}
			break
		}
	}
	if d.ReturnIP == "" {
		d.ReturnIP = AddonSenderIP
	}
	d.Evidence = fmt.Sprintf("rule %q routes mail to the add-on's connector %q (%s)", addon.Name, d.Connector, strings.Join(d.Hosts, ", "))
	if len(d.Inputs.Connectors) > 0 {
		d.Evidence += fmt.Sprintf("; rules %s route on to %s", quoteNames(d.Rules[1:]), quoteNames(d.Inputs.Connectors))
	}
	return true
}

func outboundNamed(org *exchange.Org, name string) (exchange.OutboundConnector, bool) {
	if name == "" {
		return exchange.OutboundConnector{}, false
	}
	for _, c := range org.OutboundConnectors {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return exchange.OutboundConnector{}, false
}

// spaceDomain is the domain of an address space as Exchange prints it
// ("Local:SMTP:zivver.org;1" -> zivver.org), "" for other types.
func spaceDomain(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 6 && strings.EqualFold(s[:6], "Local:") {
		s = s[6:]
	}
	if i := strings.Index(s, ":"); i >= 0 {
		if !strings.EqualFold(s[:i], "SMTP") {
			return ""
		}
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, ";"); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

func coversAll(spaces []string) bool {
	for _, s := range spaces {
		if spaceDomain(s) == "*" {
			return true
		}
	}
	return false
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func containsIP(list []string, ip string) bool {
	for _, a := range list {
		if strings.TrimSuffix(strings.TrimSpace(a), "/32") == ip {
			return true
		}
	}
	return false
}

func first(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func hostOr(in steps.Inputs, def string) string {
	if in.SmartHost != "" {
		return in.SmartHost
	}
	return def
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
