package exchange

import (
	"fmt"
	"strings"
)

// maxPasses bounds how often a message may come back before the model
// calls it a loop (Exchange itself gives up with a hop-count NDR, 5.4.14,
// or CodeTwo's ATTR1).
const maxPasses = 6

// passState is the message while the rules work on it.
type passState struct {
	rules     []preparedRule // in priority order
	msg       Message
	route     string // RouteMessageOutboundConnector set by a rule
	routeRule string
	rejected  string // the rule that rejected or deleted it
	deferred  string // the rule whose action failed with RuleErrorAction Defer
	unknown   string // why the outcome is unknown
}

// Simulate follows one message through the organisation: every pass
// through the rules and the routing, and every return from a service that
// hands it back, until it leaves for good, stays inside, or loops.
func Simulate(o *Org, m Message, p Provider) Result {
	return o.simulate(o.prepareRules(), m, p)
}

// SimulateAll is Simulate for many messages: the rules are prepared once.
func SimulateAll(o *Org, msgs []Message, p Provider) []Result {
	rules := o.prepareRules()
	out := make([]Result, len(msgs))
	for i, m := range msgs {
		out[i] = o.simulate(rules, m, p)
	}
	return out
}

func (o *Org) simulate(rules []preparedRule, m Message, p Provider) Result {
	var res Result
	used := map[string]string{} // connector -> rule that sent it there
	entry := entryName(o, m)
	msg := m.Clone()
	settled := false // the message left for good, stayed inside or stopped
	for n := 0; n < maxPasses && !settled; n++ {
		pass := o.runPass(rules, msg, p)
		pass.Entry = entry
		res.Passes = append(res.Passes, pass)
		if pass.Outcome == VerdictUnknown || pass.Outcome == VerdictUndeliverable {
			settled = true
			break
		}
		// Which services hand this pass's copies back?
		back, ret := returnOf(o, pass.Hops)
		if ret == nil {
			settled = true
			break
		}
		if rule, seen := used[strings.ToLower(back.Connector)]; seen {
			res.Verdict = VerdictLoop
			res.LoopRule = passRouteRule(pass)
			if res.LoopRule == "" {
				res.LoopRule = rule
			}
			res.LoopException = missingException(*ret)
			res.Reason = fmt.Sprintf("%s hands the message back and connector %q sends it to %s again", ret.Name, back.Connector, ret.Name)
			return res
		}
		used[strings.ToLower(back.Connector)] = passRouteRule(pass)
		next := pass.Message.Clone()
		next.To = back.recipients
		for _, h := range ret.AddHeaders {
			next.SetHeader(h.Name, h.Value)
		}
		next.Via, next.Inbound, next.SenderIP = ViaInbound, ret.Inbound, ret.SenderIP
		msg = next
		entry = fmt.Sprintf("back from %s", ret.Name)
		if ret.Inbound != "" {
			entry += fmt.Sprintf(" (inbound connector %q)", ret.Inbound)
		}
	}
	if !settled {
		res.Verdict, res.Reason = VerdictLoop, fmt.Sprintf("the message keeps coming back (%d passes)", maxPasses)
		return res
	}
	res.Verdict, res.Reason = overall(res.Passes)
	return res
}

type backHop struct {
	Connector  string
	recipients []string
}

// returnOf finds the first hop whose connector belongs to a service that
// hands messages back.
func returnOf(o *Org, hops []Hop) (backHop, *Return) {
	for i := range o.Returns {
		r := &o.Returns[i]
		var b backHop
		for _, h := range hops {
			if h.Kind == "connector" && strings.EqualFold(h.Connector, r.Connector) {
				b.Connector = h.Connector
				b.recipients = append(b.recipients, h.Recipient)
			}
		}
		if b.Connector != "" {
			return b, r
		}
	}
	return backHop{}, nil
}

func passRouteRule(p Pass) string {
	for _, h := range p.Hops {
		if h.Rule != "" {
			return h.Rule
		}
	}
	return ""
}

// missingException names what the routing rule needs so that the returned
// copy does not go out the same way again.
func missingException(r Return) string {
	var parts []string
	for _, h := range r.AddHeaders {
		parts = append(parts, fmt.Sprintf("-ExceptIfHeaderContainsMessageHeader %s -ExceptIfHeaderContainsWords %s", h.Name, h.Value))
	}
	if r.SenderIP != "" {
		parts = append(parts, "-ExceptIfSenderIpRanges "+r.SenderIP)
	}
	if len(parts) == 0 {
		return "an exception for mail coming back from " + r.Name
	}
	return strings.Join(parts, " or ")
}

// overall turns the passes into one verdict. The first pass decides where
// the message goes first (the provider must see it before anyone else);
// later passes matter only for loops and unknowns.
func overall(passes []Pass) (Verdict, string) {
	for _, p := range passes {
		if p.Outcome == VerdictUnknown {
			return VerdictUnknown, p.Reason
		}
	}
	return passes[0].Outcome, passes[0].Reason
}

func entryName(o *Org, m Message) string {
	switch m.Via {
	case ViaOutlook:
		return "Outlook"
	case ViaOWA:
		return "Outlook on the web"
	case ViaSMTPClient:
		return "SMTP client (authenticated)"
	case ViaAnonymous:
		return "SMTP client (anonymous relay)"
	case ViaInbound:
		if m.Inbound != "" {
			return fmt.Sprintf("inbound connector %q", m.Inbound)
		}
		return "the internet"
	}
	return "Outlook"
}

// runPass is one trip through the rules and the routing.
func (o *Org) runPass(rules []preparedRule, m Message, p Provider) Pass {
	st := &passState{rules: rules, msg: m.Clone()}
	pass := Pass{}
	pass.Rules = o.runRules(st)
	pass.Message = st.msg
	switch {
	case st.unknown != "":
		pass.Outcome, pass.Reason = VerdictUnknown, st.unknown
		return pass
	case st.rejected != "":
		pass.Outcome, pass.Reason = VerdictUndeliverable, fmt.Sprintf("rule %q rejects or deletes it", st.rejected)
		pass.Hops = []Hop{{Kind: "rejected", Why: pass.Reason}}
		return pass
	case st.deferred != "":
		pass.Outcome, pass.Reason = VerdictUndeliverable, fmt.Sprintf("rule %q cannot complete its action and defers the message (RuleErrorAction Defer): it stays in the queue", st.deferred)
		pass.Hops = []Hop{{Kind: "none", Why: pass.Reason}}
		return pass
	}
	for _, r := range st.msg.To {
		pass.Hops = append(pass.Hops, o.route(st, r, p))
	}
	pass.Outcome, pass.Reason = hopsVerdict(pass.Hops)
	return pass
}

// hopsVerdict combines the recipients' hops: the worst one counts.
func hopsVerdict(hops []Hop) (Verdict, string) {
	if len(hops) == 0 {
		return VerdictUndeliverable, "no recipient left"
	}
	rank := map[Verdict]int{VerdictInternal: 0, VerdictProvider: 1, VerdictDirect: 2, VerdictUndeliverable: 3, VerdictUnknown: 4}
	best, why := VerdictInternal, ""
	for i, h := range hops {
		v := hopVerdict(h)
		if i == 0 || rank[v] > rank[best] {
			best, why = v, h.Why
		}
	}
	return best, why
}

func hopVerdict(h Hop) Verdict {
	switch {
	case h.Kind == "internal":
		return VerdictInternal
	case h.Kind == "unknown":
		return VerdictUnknown
	case h.Kind == "none" || h.Kind == "rejected":
		return VerdictUndeliverable
	case h.Provider:
		return VerdictProvider
	}
	return VerdictDirect
}

// runRules evaluates the rules in priority order and applies the actions
// of those that fire.
func (o *Org) runRules(st *passState) []RuleTrace {
	out := make([]RuleTrace, 0, len(st.rules))
	stopped := ""
	for _, pr := range st.rules {
		r := pr.TransportRule
		t := RuleTrace{Rule: r.Name, Priority: r.Priority}
		switch {
		case stopped != "":
			t.Outcome, t.Why = OutcomeNotReached, fmt.Sprintf("rule %q above stopped rule processing", stopped)
		case !r.Enabled():
			t.Outcome, t.Why = OutcomeDisabled, "State is Disabled"
		case st.unknown != "":
			t.Outcome, t.Why = OutcomeNotReached, "the outcome of an earlier rule is unknown"
		default:
			c := evalCtx{org: o, msg: &st.msg}
			match, why, excepted := ruleMatch(c, pr)
			t.Why = why
			switch {
			case match == False && excepted:
				t.Outcome = OutcomeExcepted
			case match == False:
				t.Outcome = OutcomeNoMatch
			case match == Unknown:
				t.Outcome = OutcomeUnknown
				if !r.Enforced() || actionsNeutral(r) {
					t.Why += " (its actions cannot change the route)"
				} else {
					st.unknown = fmt.Sprintf("rule %q: %s", r.Name, why)
				}
			case !r.Enforced():
				// Audit and AuditAndNotify: "the actions ... aren't
				// applied"; only the message trace records the match. The
				// model treats StopRuleProcessing as an action here too
				// (INFERRED).
				t.Outcome = OutcomeAuditOnly
				t.Why += fmt.Sprintf(" (Mode %s: logged only, nothing done)", r.Mode)
				t.Inferred = true
			default:
				t.Outcome = OutcomeFired
				if unverifiedWords(r) {
					// Whether Words match across "_" and "=" inside a token
					// (MSIP_Label_<GUID>_Enabled=True in msip_labels) is not
					// documented; the model says yes, and says it is unsure.
					t.Inferred = true
					t.Why += " (UNVERIFIED: word matching across _ and = inside one token)"
				}
				o.applyActions(st, r, &t)
				if r.StopRuleProcessing && t.Outcome == OutcomeFired {
					stopped = r.Name
					t.Changes = append(t.Changes, "stops processing more rules")
				}
			}
		}
		out = append(out, t)
	}
	return out
}

// applyActions carries out a fired rule's actions on the message.
func (o *Org) applyActions(st *passState, r TransportRule, t *RuleTrace) {
	a := Params{}
	for k, v := range r.Actions {
		if active(r.Actions, k) {
			a[k] = v
		}
	}
	for k := range a {
		if !knownActions[k] && !neutralActions[k] {
			st.unknown = fmt.Sprintf("rule %q has the action %s, which the model does not know", r.Name, k)
			t.Outcome, t.Why = OutcomeUnknown, k+" is an action the model does not know"
			return
		}
	}
	if a.Has("RejectMessageReasonText") || a.Has("RejectMessageEnhancedStatusCode") || a.Has("DeleteMessage") || a.Has("Quarantine") {
		st.rejected = r.Name
		t.Changes = append(t.Changes, "rejects, deletes or quarantines the message")
		return
	}
	if n := a.First("RemoveHeader"); n != "" {
		st.msg.RemoveHeader(n)
		t.Changes = append(t.Changes, "removes header "+n)
	}
	if n := a.First("SetHeaderName"); n != "" {
		v := a.First("SetHeaderValue")
		st.msg.SetHeader(n, v)
		t.Changes = append(t.Changes, fmt.Sprintf("sets header %s: %s", n, v))
	}
	if s := a.First("PrependSubject"); s != "" {
		st.msg.Subject = s + st.msg.Subject
		t.Changes = append(t.Changes, "prepends "+s+" to the subject")
	}
	for _, k := range []string{"ApplyHtmlDisclaimerText"} {
		if a.Has(k) {
			t.Changes = append(t.Changes, "adds a disclaimer")
		}
	}
	if ids := a.Get("RedirectMessageTo"); ids != nil {
		// "Redirects the message to the specified recipients. The message
		// isn't delivered to the original recipients."
		var to []string
		for _, id := range ids {
			addr, ok := o.resolveRecipient(id)
			if !ok {
				st.unknown = fmt.Sprintf("rule %q redirects to %q, a recipient the model cannot resolve", r.Name, id)
				t.Outcome = OutcomeUnknown
				return
			}
			to = append(to, addr)
		}
		st.msg.To = to
		t.Changes = append(t.Changes, "redirects the message to "+strings.Join(to, ", "))
		if a.Has("SetHeaderName") {
			// Microsoft does not say whether the redirected copy carries a
			// header the same rule sets; the model assumes it does.
			t.Inferred = true
			t.Changes = append(t.Changes, "(UNVERIFIED: that the redirected copy carries the header this rule sets)")
		}
	}
	for _, k := range []string{"AddToRecipients", "CopyTo", "BlindCopyTo"} {
		for _, id := range a.Get(k) {
			addr, ok := o.resolveRecipient(id)
			if !ok {
				st.unknown = fmt.Sprintf("rule %q adds %q, a recipient the model cannot resolve", r.Name, id)
				t.Outcome = OutcomeUnknown
				return
			}
			st.msg.To = append(st.msg.To, addr)
			t.Changes = append(t.Changes, "adds recipient "+addr)
		}
	}
	if c := a.First("RouteMessageOutboundConnector"); c != "" {
		if o.Platform != Online {
			st.unknown = fmt.Sprintf("rule %q routes to an outbound connector, which only Exchange Online can do", r.Name)
			t.Outcome = OutcomeUnknown
			return
		}
		oc, ok := o.outbound(c)
		if !ok || !oc.Enabled {
			what := "does not exist"
			if ok {
				what = "is disabled"
			}
			t.Outcome = OutcomeError
			t.Why = fmt.Sprintf("RouteMessageOutboundConnector %q %s", c, what)
			t.Inferred = true
			if strings.EqualFold(r.RuleErrorAction, "Defer") {
				// "Defer: The message is deferred so the rules engine can
				// attempt to process the message again."
				st.deferred = r.Name
				return
			}
			// "Ignore: The message is sent anyway."
			t.Changes = append(t.Changes, "action fails (RuleErrorAction Ignore): the message is sent anyway, without the route")
			return
		}
		st.route, st.routeRule = oc.Name, r.Name
		t.Changes = append(t.Changes, fmt.Sprintf("routes the message through connector %q", oc.Name))
	}
}

func (o *Org) outbound(name string) (OutboundConnector, bool) {
	for _, c := range o.OutboundConnectors {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return OutboundConnector{}, false
}

func unverifiedWords(r TransportRule) bool {
	for _, w := range r.Conditions.Get("HeaderContainsWords") {
		if strings.ContainsAny(w, "_=") {
			return true
		}
	}
	return false
}
