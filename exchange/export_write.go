package exchange

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// MarshalExport writes an organisation the way export.ps1 writes a live
// one: Exchange's printed forms (address spaces of scoped connectors with
// "Local:", IP smart hosts in brackets, sizes as "50 MB (52,428,800
// bytes)", contacts' ExternalEmailAddress with "SMTP:", redirect
// recipients by the contact's name) and the contract's field names. It
// turns a model (such as the one steps.ApplyToOrg builds from the plan)
// into the export a correct apply.ps1 would produce, so the audit of a
// live org can be tested against the plan.
func MarshalExport(o *Org, exportedAt time.Time) ([]byte, error) {
	type obj = map[string]any
	list := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	doc := struct {
		Version            int    `json:"relaywizExport"`
		Platform           string `json:"platform"`
		Organization       string `json:"organization"`
		ExportedAt         string `json:"exportedAt"`
		AcceptedDomains    []obj  `json:"acceptedDomains"`
		MailContacts       []obj  `json:"mailContacts"`
		SendConnectors     []obj  `json:"sendConnectors"`
		OutboundConnectors []obj  `json:"outboundConnectors"`
		InboundConnectors  []obj  `json:"inboundConnectors"`
		ConnectionFilter   []obj  `json:"connectionFilter"`
		TransportRules     []obj  `json:"transportRules"`
	}{Version: ExportVersion, Platform: string(o.Platform), Organization: o.Organization,
		ExportedAt:      exportedAt.UTC().Format("2006-01-02T15:04:05.0000000Z"),
		AcceptedDomains: []obj{}, MailContacts: []obj{}, SendConnectors: []obj{}, OutboundConnectors: []obj{},
		InboundConnectors: []obj{}, ConnectionFilter: []obj{}, TransportRules: []obj{}}
	for _, d := range o.AcceptedDomains {
		t := d.DomainType
		if t == "" {
			t = "Authoritative"
		}
		doc.AcceptedDomains = append(doc.AcceptedDomains, obj{"Name": d.Name, "DomainName": d.DomainName, "DomainType": t, "Default": d.Default})
	}
	for _, c := range o.MailContacts {
		ext := c.ExternalEmailAddress
		if !strings.Contains(ext, ":") {
			ext = "SMTP:" + ext
		}
		prim := c.PrimarySmtpAddress
		if prim == "" {
			prim = StripProxyPrefix(ext)
		}
		doc.MailContacts = append(doc.MailContacts, obj{"Name": c.Name, "Alias": c.Alias, "ExternalEmailAddress": ext, "PrimarySmtpAddress": prim})
	}
	for _, c := range o.SendConnectors {
		var spaces, hosts []string
		for _, s := range c.AddressSpaces {
			if !strings.Contains(s, ":") {
				s = "SMTP:" + s
			}
			if !strings.Contains(s, ";") {
				s += ";1"
			}
			if c.IsScopedConnector && !strings.HasPrefix(strings.ToLower(s), "local:") {
				s = "Local:" + s
			}
			spaces = append(spaces, s)
		}
		for _, h := range c.SmartHosts {
			hosts = append(hosts, printedHost(h))
		}
		port := c.Port
		if port == 0 {
			port = 25
		}
		doc.SendConnectors = append(doc.SendConnectors, obj{
			"Name": c.Name, "Enabled": c.Enabled, "AddressSpaces": list(spaces), "SmartHosts": list(hosts), "Port": port,
			"DNSRoutingEnabled": c.DNSRoutingEnabled, "SmartHostAuthMechanism": orNull(c.SmartHostAuthMechanism, "None"),
			"RequireTLS": c.RequireTLS, "TlsAuthLevel": orNull(c.TlsAuthLevel, ""), "TlsDomain": orNull(c.TlsDomain, ""),
			"IsScopedConnector": c.IsScopedConnector, "SourceTransportServers": list(c.SourceTransportServers),
			"MaxMessageSize": printedSize(c.MaxMessageSize), "Fqdn": orNull(c.Fqdn, ""),
		})
	}
	for _, c := range o.OutboundConnectors {
		doc.OutboundConnectors = append(doc.OutboundConnectors, obj{
			"Name": c.Name, "Enabled": c.Enabled, "ConnectorType": orNull(c.ConnectorType, "Partner"),
			"IsTransportRuleScoped": c.IsTransportRuleScoped, "RecipientDomains": list(c.RecipientDomains),
			"SmartHosts": list(c.SmartHosts), "UseMXRecord": c.UseMXRecord, "TlsSettings": orNull(c.TlsSettings, ""), "TlsDomain": orNull(c.TlsDomain, ""),
		})
	}
	for _, c := range o.InboundConnectors {
		doc.InboundConnectors = append(doc.InboundConnectors, obj{
			"Name": c.Name, "Enabled": c.Enabled, "ConnectorType": orNull(c.ConnectorType, "Partner"),
			"SenderDomains": list(c.SenderDomains), "SenderIPAddresses": list(c.SenderIPAddresses), "RequireTls": c.RequireTls,
		})
	}
	for _, f := range o.ConnectionFilter {
		doc.ConnectionFilter = append(doc.ConnectionFilter, obj{"Name": f.Name, "IPAllowList": list(f.IPAllowList)})
	}
	for _, r := range o.SortedRules() {
		m := obj{"Name": r.Name, "Priority": r.Priority, "State": orNull(r.State, "Enabled"), "Mode": orNull(r.Mode, "Enforce"),
			"StopRuleProcessing": r.StopRuleProcessing, "RuleErrorAction": orNull(r.RuleErrorAction, "Ignore")}
		if r.SenderAddressLocation != "" {
			m["SenderAddressLocation"] = r.SenderAddressLocation
		}
		if r.Comments != "" {
			m["Comments"] = r.Comments
		}
		for _, ps := range []Params{r.Conditions, r.Exceptions, r.Actions} {
			keys := make([]string, 0, len(ps))
			for k := range ps {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := ps[k]
				if k == "RedirectMessageTo" {
					v = contactNames(o, v)
				}
				m[k] = printedParam(k, v)
			}
		}
		doc.TransportRules = append(doc.TransportRules, m)
	}
	b, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("write the export: %w", err)
	}
	return append(b, '\n'), nil
}

func orNull(s, def string) any {
	if s == "" {
		if def == "" {
			return nil
		}
		return def
	}
	return s
}

func printedHost(h string) string {
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil && a.Is4() {
		return "[" + a.String() + "]"
	}
	return h
}

// printedSize writes a size as ByteQuantifiedSize.ToString() does.
func printedSize(s string) any {
	if s == "" {
		return nil
	}
	if strings.EqualFold(strings.TrimSpace(s), "unlimited") {
		return "Unlimited"
	}
	n, ok := ParseSize(s)
	if !ok {
		return s
	}
	var head string
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		head = fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		head = fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		head = fmt.Sprintf("%d KB", n>>10)
	default:
		head = fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%s (%s bytes)", head, thousands(n))
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// contactNames prints redirect recipients by the contact's name, as
// Get-TransportRule does for recipients it resolves.
func contactNames(o *Org, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if c, ok := o.contact(id); ok {
			out[i] = c.Name
		}
	}
	return out
}

// printedParam: multi-valued properties stay lists; single values are
// strings; switches are booleans.
func printedParam(k string, v []string) any {
	base := strings.TrimPrefix(k, "ExceptIf")
	multi := false
	for _, suf := range []string{"Words", "Patterns", "Ranges", "DomainIs", "MemberOf"} {
		if strings.HasSuffix(base, suf) || strings.HasPrefix(base, "AnyOf") {
			multi = true
		}
	}
	switch base {
	case "From", "SentTo", "RedirectMessageTo", "AddToRecipients", "CopyTo", "BlindCopyTo", "ManagerAddresses", "ModerateMessageByUser":
		multi = true
	}
	if multi {
		return v
	}
	if len(v) == 1 && (v[0] == "True" || v[0] == "False") {
		return v[0] == "True"
	}
	if len(v) == 1 {
		return v[0]
	}
	return v
}
