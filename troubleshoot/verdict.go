package troubleshoot

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Verdict answers "did this message go out secured?". Secure is null when
// the headers cannot tell (no hops, or neither a provider hop nor a trigger).
type Verdict struct {
	Secure  *bool    `json:"secure"`
	Reasons []Reason `json:"reasons"`
}

// Severity orders reasons: the most likely cause of a failure comes first,
// then warnings, then the evidence for the verdict, then context.
type Severity string

const (
	SevFail Severity = "fail" // this is why the message is not secure
	SevWarn Severity = "warn" // worth fixing, or prevents a firm verdict
	SevInfo Severity = "info" // context for the support engineer
	SevOK   Severity = "ok"   // evidence for secure routing
)

func (s Severity) rank() int {
	switch s {
	case SevFail:
		return 0
	case SevWarn:
		return 1
	case SevOK:
		return 2
	}
	return 3
}

// Reason is one finding. Code is stable for scripts; Message is for people.
type Reason struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Hop      int      `json:"hop,omitempty"` // 1-based hop index the finding is about
}

// Reason codes.
const (
	CodeNoHops            = "no_hops"
	CodeTooManyHops       = "too_many_hops"
	CodeViaProvider       = "via_provider"
	CodeProviderNoTLS     = "provider_hop_without_tls"
	CodeProviderTLSUnsaid = "provider_hop_tls_not_stated"
	CodeHopNoTLS          = "hop_without_tls"
	CodeDirectDelivery    = "trigger_but_direct"
	CodeRuleFiredDirect   = "rule_fired_but_direct"
	CodeNoProvider        = "no_provider_hop"
	CodeLoop              = "loop"
	CodeRoundTrip         = "round_trip"
	CodeZoneUnknown       = "time_zone_unknown"
	CodeAttached          = "attached_message"
	CodeProviderRepeated  = "provider_reached_twice"
	CodeSlowHop           = "slow_hop"
	CodeClockSkew         = "clock_skew"
	CodeTrigger           = "trigger_present"
	CodeRuleFired         = "rule_fired"
	CodeLabelNotEnabled   = "label_not_enabled"
	CodeAuthFail          = "auth_check_failed"
	CodeAntiLoop          = "anti_loop_header"
)

// trigger is one reason the message should have been routed securely.
type trigger struct {
	what   string
	strong bool // configured or unambiguous; weak triggers only warn
}

func findTriggers(a Analysis, opts Options) []trigger {
	var ts []trigger
	m := a.Markers
	if m.ZivverRelay != nil {
		ts = append(ts, trigger{"the Zivver plugin header zivver-relay", true})
	}
	if m.CSSensitivity != nil && strings.Contains(strings.ToLower(*m.CSSensitivity), "confidential") {
		ts = append(ts, trigger{fmt.Sprintf("X-CS-Sensitivity: %s", *m.CSSensitivity), true})
	}
	wanted := map[string]bool{}
	for _, g := range opts.TriggerLabels {
		wanted[strings.ToLower(strings.TrimSpace(g))] = true
	}
	for _, l := range a.Labels {
		if !l.Enabled {
			continue
		}
		name := l.GUID
		if l.Name != "" {
			name = fmt.Sprintf("%q (%s)", l.Name, l.GUID)
		}
		switch {
		case len(wanted) == 0:
			ts = append(ts, trigger{"sensitivity label " + name, false})
		case wanted[l.GUID]:
			ts = append(ts, trigger{"sensitivity label " + name, true})
		}
	}
	subj := strings.ToLower(m.Subject)
	for _, w := range opts.TriggerSubjects {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(subj, strings.ToLower(w)) {
			ts = append(ts, trigger{fmt.Sprintf("the subject word %q", w), true})
		}
	}
	return ts
}

// judge builds the verdict. The order of checks mirrors how a support
// engineer reasons: did it pass the provider at all, was the hop into the
// provider encrypted, then the side issues (loops, delays, auth results).
func judge(a Analysis, provider hostMatcher, opts Options, received int) Verdict {
	var rs []Reason
	add := func(sev Severity, code string, hop int, format string, args ...any) {
		rs = append(rs, Reason{Severity: sev, Code: code, Hop: hop, Message: fmt.Sprintf(format, args...)})
	}
	var secure *bool
	hops := a.Hops
	triggers := findTriggers(a, opts)
	ruleFired := a.Markers.ZivverIgnoreSMTPRecipients != nil

	if received > maxHops {
		add(SevWarn, CodeTooManyHops, 0, "%d Received headers, more than %d: only the newest %d (nearest the recipient) were analysed, the oldest %d were dropped, and hop 1 is the oldest one kept; this many hops usually means a mail loop", received, maxHops, maxHops, received-maxHops)
	}

	// Where does the message enter and leave the provider?
	entry, exit := -1, -1
	for i, h := range hops {
		if entry < 0 && provider.match(h.By) && !matchFrom(provider, h) {
			entry = i
		}
		if matchFrom(provider, h) && !provider.match(h.By) {
			exit = i
		}
	}
	via := entry >= 0 || exit >= 0

	switch {
	case len(hops) == 0:
		add(SevWarn, CodeNoHops, 0, "no Received headers: this looks like a message that was never sent (a draft or a copy from Sent Items); analyse the copy the recipient received")
	case via:
		secure = boolPtr(true)
		if entry >= 0 {
			h := hops[entry]
			switch {
			case h.TLS != nil && !*h.TLS:
				secure = boolPtr(false)
				add(SevFail, CodeProviderNoTLS, h.Index, "hop %d into the provider (%s → %s) was not encrypted (with %s): require TLS on the send connector (RequireTLS / \"Always use TLS\") and check for STARTTLS stripping", h.Index, orUnknown(h.From), h.By, orUnknown(h.With))
			case h.TLS == nil:
				add(SevWarn, CodeProviderTLSUnsaid, h.Index, "hop %d into the provider (%s → %s) does not state whether TLS was used", h.Index, orUnknown(h.From), h.By)
			default:
				add(SevOK, CodeViaProvider, h.Index, "passed the provider's smart host %s at hop %d%s", h.By, h.Index, tlsNote(h))
			}
		} else {
			h := hops[exit]
			add(SevOK, CodeViaProvider, h.Index, "left the provider's host %s at hop %d (the hop into the provider is not in these headers)", h.From, h.Index)
		}
	default:
		strong := false
		for _, t := range triggers {
			strong = strong || t.strong
		}
		switch {
		case ruleFired:
			secure = boolPtr(false)
			add(SevFail, CodeRuleFiredDirect, 0, "the Exchange rule fired (x-zivver-ignore-smtp-recipients is set) but no hop passed the provider (%s): check the send connector for the placeholder domain (address space, smart host, enabled) and the contact the rule redirects to", strings.Join(provider.patterns, ", "))
		case strong:
			secure = boolPtr(false)
			add(SevFail, CodeDirectDelivery, 0, "%s is present but the message was delivered directly, without passing the provider (%s): the transport rule did not fire — check that it is enabled, its condition, its priority and that \"Defer the message if rule processing doesn't complete\" is on", describeTriggers(triggers), strings.Join(provider.patterns, ", "))
		case len(triggers) > 0:
			add(SevWarn, CodeNoProvider, 0, "%s is present but no hop passed the provider (%s): if this label should route securely, the rule did not match it (rule text must be MSIP_Label_<guid>_Enabled=true); pass --provider-host if the provider's host has another name", describeTriggers(triggers), strings.Join(provider.patterns, ", "))
		default:
			add(SevWarn, CodeNoProvider, 0, "no hop passed the provider (%s) and no trigger marker is present: if this message should have gone out securely, its trigger (subject word, label or header) did not match; pass --provider-host if the provider's host has another name", strings.Join(provider.patterns, ", "))
		}
	}

	// Plaintext hops elsewhere: worth fixing, but not the verdict.
	for i, h := range hops {
		if i == entry || h.Local || h.TLS == nil || *h.TLS {
			continue
		}
		add(SevWarn, CodeHopNoTLS, h.Index, "hop %d (%s → %s) was not encrypted (with %s)", h.Index, orUnknown(h.From), orUnknown(h.By), orUnknown(h.With))
	}

	loopReasons(hops, provider, add)
	delayReasons(hops, opts.SlowHop, add)

	if ruleFired && via {
		add(SevInfo, CodeRuleFired, 0, "x-zivver-ignore-smtp-recipients is set: the Exchange rule fired")
	}
	for _, t := range triggers {
		if t.strong {
			add(SevInfo, CodeTrigger, 0, "trigger present: %s", t.what)
		} else {
			add(SevInfo, CodeTrigger, 0, "%s is applied (pass --trigger-label with its GUID if it must route through the provider)", t.what)
		}
	}
	for _, l := range a.Labels {
		if !l.Enabled {
			add(SevInfo, CodeLabelNotEnabled, 0, "label %s is listed but not enabled (Enabled=false): a rule matching %s will not fire", l.GUID, l.RuleText)
		}
	}
	for _, f := range a.Markers.AntiLoop {
		add(SevInfo, CodeAntiLoop, 0, "anti-loop header %s: %s", f.Name, f.Value)
	}
	authReasons(a.Markers.Auth, add)
	for _, am := range a.Attached {
		add(SevInfo, CodeAttached, 0, "attached message %d (subject %q, from %s, %d Received headers): if that is the message to check, analyse it with --attached %d", am.Index, am.Subject, orUnknown(am.From), am.Hops, am.Index)
	}

	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Severity.rank() < rs[j].Severity.rank() })
	if rs == nil {
		rs = []Reason{}
	}
	return Verdict{Secure: secure, Reasons: rs}
}

type addFunc func(sev Severity, code string, hop int, format string, args ...any)

// loopReasons tells a loop from a round trip. A host that receives the
// message twice is normal in several designs: a hybrid organisation routes
// on-premises → Exchange Online → on-premises, CodeTwo and Custom Relay hand
// the message back to Exchange Online to deliver, a mailing list re-sends
// it, a content filter re-injects it. A loop is the same link (client →
// receiver) used again, or one host receiving it three times.
func loopReasons(hops []Hop, provider hostMatcher, add addFunc) {
	visits := map[string][]hostVisit{}
	links := map[string]int{} // "client→receiver" → first hop number
	looped := map[string]bool{}
	last := ""
	providerVisits := 0
	for i, h := range hops {
		by := strings.ToLower(h.By)
		if by == "" || h.Local || isLoopback(by) {
			continue
		}
		if by == last {
			continue
		}
		last = by
		if provider.match(by) && !matchFrom(provider, h) {
			providerVisits++
		}
		from := strings.ToLower(firstNonEmpty(h.FromRDNS, h.From, h.FromIP))
		link := from + "→" + by
		visits[by] = append(visits[by], hostVisit{i, from})
		vs := visits[by]
		switch first, seen := links[link]; {
		case looped[by]:
		case seen && from != "":
			looped[by] = true
			add(SevWarn, CodeLoop, h.Index, "loop: %s handed the message to %s at hop %d and again at hop %d; check transport rules and connectors that send the message back (use an anti-loop header in the rule's exception)", hopFromName(h), h.By, first, h.Index)
		case len(vs) >= 3:
			looped[by] = true
			add(SevWarn, CodeLoop, h.Index, "loop: %s received the message %d times (hops %s); check transport rules and connectors that send the message back (use an anti-loop header in the rule's exception)", h.By, len(vs), visitList(hops, vs))
		case len(vs) == 2:
			p := hops[vs[0].hop]
			add(SevInfo, CodeRoundTrip, h.Index, "the message passed %s twice: at hop %d from %s (with %s) and at hop %d from %s (with %s); %s", h.By, p.Index, hopFromName(p), orUnknown(p.With), h.Index, hopFromName(h), orUnknown(h.With), roundTripReason(hops[vs[0].hop+1:i], provider))
		}
		if _, seen := links[link]; !seen {
			links[link] = h.Index
		}
	}
	if providerVisits > 1 {
		add(SevWarn, CodeProviderRepeated, 0, "the message entered the provider %d times: a second connector or rule routes it there again (duplicates, or an ATTR1 loop NDR with CodeTwo)", providerVisits)
	}
}

type hostVisit struct {
	hop  int // index into hops
	from string
}

func visitList(hops []Hop, vs []hostVisit) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprint(hops[v.hop].Index))
	}
	return strings.Join(parts, ", ")
}

// roundTripReason names the likely benign reason from the hops between
// the two visits.
func roundTripReason(between []Hop, provider hostMatcher) string {
	viaProvider, viaEXO := false, false
	for _, h := range between {
		viaProvider = viaProvider || provider.match(h.By)
		viaEXO = viaEXO || isExchangeOnline(h.By)
	}
	switch {
	case viaProvider:
		return "the provider handed it back to be delivered (the CodeTwo and Custom Relay design); not a loop unless the same link repeats"
	case viaEXO:
		return "a hybrid route (on-premises → Exchange Online → on-premises, or the reverse); not a loop unless the same link repeats"
	}
	return "likely a mailing list, forwarder or content filter sending it on again; not a loop unless the same link repeats"
}

// isExchangeOnline recognises Microsoft 365 transport hosts by name.
func isExchangeOnline(host string) bool {
	h := strings.ToLower(host)
	return strings.HasSuffix(h, ".outlook.com") || strings.HasSuffix(h, ".exchangelabs.com") ||
		strings.HasSuffix(h, ".outlook.office365.com") || strings.HasSuffix(h, ".microsoft.com")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// hopFromName is the client as a person would name it in a sentence.
func hopFromName(h Hop) string {
	return orUnknown(firstNonEmpty(h.FromRDNS, h.From, h.FromIP))
}

func delayReasons(hops []Hop, slow time.Duration, add addFunc) {
	if slow <= 0 {
		slow = DefaultSlowHop
	}
	prevUnknown := false // the timestamp the delay is measured from
	for _, h := range hops {
		if h.Time == nil {
			continue
		}
		unreliable := h.TimeZoneUnknown || prevUnknown
		prevUnknown = h.TimeZoneUnknown
		if h.DelaySeconds == nil {
			continue
		}
		d := time.Duration(*h.DelaySeconds * float64(time.Second))
		if unreliable && (d > slow || d < -2*time.Minute) {
			add(SevInfo, CodeZoneUnknown, h.Index, "hop %d's delay (%s) is not judged: a timestamp next to it names no reliable time zone (RFC 5322 military letter, unknown name or none)", h.Index, d.Round(time.Second))
			continue
		}
		switch {
		case d > slow:
			share := ""
			if h.DelayPercent != nil {
				share = fmt.Sprintf(", %.0f%% of the total", *h.DelayPercent)
			}
			add(SevWarn, CodeSlowHop, h.Index, "hop %d (%s → %s) took %s%s: a deferred rule, a queue retry after a 4xx from the next hop, or greylisting", h.Index, hopFromName(h), orUnknown(h.By), d.Round(time.Second), share)
		case d < -2*time.Minute:
			add(SevInfo, CodeClockSkew, h.Index, "hop %d is stamped %s before the previous one: the two hosts' clocks differ (delays around it are not reliable)", h.Index, (-d).Round(time.Second))
		}
	}
}

func authReasons(results []AuthResult, add addFunc) {
	for _, r := range results {
		for _, c := range []struct{ name, v string }{{"SPF", r.SPF}, {"DKIM", r.DKIM}, {"DMARC", r.DMARC}} {
			switch c.v {
			case "fail", "softfail", "permerror":
				where := r.Header
				if r.AuthServID != "" {
					where += " from " + r.AuthServID
				}
				add(SevInfo, CodeAuthFail, 0, "%s=%s in %s: the provider's sending hosts may be missing from your SPF record (or signing is broken); such messages can land in spam", c.name, c.v, where)
			}
		}
	}
}

func describeTriggers(ts []trigger) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.what)
	}
	return strings.Join(parts, " and ")
}

func tlsNote(h Hop) string {
	switch {
	case h.TLSVersion != "" && h.Cipher != "":
		return fmt.Sprintf(" over %s (%s)", h.TLSVersion, h.Cipher)
	case h.TLSVersion != "":
		return " over " + h.TLSVersion
	case h.TLS != nil && *h.TLS:
		return " with TLS (" + h.With + ")"
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
