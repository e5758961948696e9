package audit

import (
	"fmt"
	"sort"
	"strings"

	"relaywiz/exchange"
	"relaywiz/steps"
)

// Report is the audit's result; its JSON form is `relaywiz audit --json`.
type Report struct {
	Platform string          `json:"platform"`
	Scenario string          `json:"scenario"`
	Messages []MessageReport `json:"messages"`
	Findings []Finding       `json:"findings"`
}

// MessageReport is one message's route and verdict.
type MessageReport struct {
	Label   string      `json:"label"`
	Message MessageJSON `json:"message"`
	Intent  Intent      `json:"intent"`
	Verdict string      `json:"verdict"`
	OK      bool        `json:"ok"`
	Reason  string      `json:"reason"`
	Route   []RouteStep `json:"route"`
	Rules   []RuleJSON  `json:"rules"`

	result exchange.Result
	entry  string
}

// MessageJSON is the message as the audit sent it.
type MessageJSON struct {
	From     string            `json:"from"`
	To       []string          `json:"to"`
	Subject  string            `json:"subject"`
	Headers  []exchange.Header `json:"headers,omitempty"`
	Labels   []string          `json:"labels,omitempty"`
	Via      string            `json:"via"`
	SenderIP string            `json:"senderIP,omitempty"`
}

// RouteStep is one element of the route: a rule that acted, the connector
// chosen, the next hop.
type RouteStep struct {
	Kind     string `json:"kind"` // rule, connector, hop
	Name     string `json:"name"`
	Detail   string `json:"detail"`
	Evidence string `json:"evidence"` // proven or modelled
	Pass     int    `json:"pass"`     // 1 for the first trip, 2 after a service handed it back, ...
}

// RuleJSON is one rule's outcome in one pass.
type RuleJSON struct {
	Pass     int      `json:"pass"`
	Name     string   `json:"name"`
	Priority int      `json:"priority"`
	Outcome  string   `json:"outcome"`
	Why      string   `json:"why"`
	Changes  []string `json:"changes,omitempty"`
	Inferred bool     `json:"inferred,omitempty"`
}

// Finding is one thing the admin should know, most likely cause first.
type Finding struct {
	Severity string `json:"severity"` // fail, warn, info
	Code     string `json:"code"`
	Object   string `json:"object"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// Options select what to audit.
type Options struct {
	Inputs     steps.Inputs
	Neighbours []Neighbour
	Messages   []exchange.Message // extra messages (--message); their intent comes from IntentOf
	// Proven are next hops relaywiz has evidence for in this session
	// ("host:port", host in lower case → what proved it, e.g. "check
	// passed"). The port is part of the key: a check on 587 says nothing
	// about the connector's port 25.
	Proven map[string]string
}

// Run audits the plan for the inputs on the model organisation.
func Run(opt Options) (Report, error) {
	in := opt.Inputs
	org, err := Build(in, opt.Neighbours)
	if err != nil {
		return Report{}, err
	}
	cases := CasesFor(in, org)
	for _, m := range opt.Messages {
		cases = append(cases, Case{Label: "given with --message", Message: m, Intent: IntentOf(in, org, m)})
	}
	return Audit(org, in, cases, opt.Proven), nil
}

// Audit simulates cases on an organisation (built by Build or read from
// an export) and collects the findings.
func Audit(org *exchange.Org, in steps.Inputs, cases []Case, proven map[string]string) Report {
	return auditWith(org, in, expectedRules(in), ProviderOf(in), cases, proven)
}

// auditWith is Audit with the rules that count as the scenario's own and
// the provider given (an export names them its own way).
func auditWith(org *exchange.Org, in steps.Inputs, ours []string, p exchange.Provider, cases []Case, proven map[string]string) Report {
	rep := Report{Platform: string(org.Platform), Scenario: string(in.Scenario)}
	msgs := make([]exchange.Message, len(cases))
	for i, c := range cases {
		msgs[i] = c.Message
	}
	results := exchange.SimulateAll(org, msgs, p)
	for i, c := range cases {
		res := results[i]
		mr := MessageReport{
			Label: c.Label, Intent: c.Intent, Verdict: string(res.Verdict), OK: c.Intent.Ok(res.Verdict),
			Reason: res.Reason, Message: messageJSON(c.Message), result: res,
		}
		if len(res.Passes) > 0 {
			mr.entry = res.Passes[0].Entry
		}
		n := 0
		for _, pass := range res.Passes {
			n += len(pass.Rules)
		}
		mr.Rules = make([]RuleJSON, 0, n)
		for i, pass := range res.Passes {
			for _, r := range pass.Rules {
				mr.Rules = append(mr.Rules, RuleJSON{Pass: i + 1, Name: r.Rule, Priority: r.Priority, Outcome: r.Outcome,
					Why: r.Why, Changes: r.Changes, Inferred: r.Inferred})
			}
		}
		mr.Route = routeOf(res, proven)
		rep.Messages = append(rep.Messages, mr)
	}
	rep.Findings = findings(org, in, ours, rep.Messages)
	// JSON lists are lists, even when empty.
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	if rep.Messages == nil {
		rep.Messages = []MessageReport{}
	}
	for i := range rep.Messages {
		if rep.Messages[i].Route == nil {
			rep.Messages[i].Route = []RouteStep{}
		}
	}
	return rep
}

func messageJSON(m exchange.Message) MessageJSON {
	return MessageJSON{From: m.From, To: m.To, Subject: m.Subject, Headers: m.Headers, Labels: m.Labels,
		Via: string(m.Via), SenderIP: m.SenderIP}
}

// routeOf lists what acted on the message, pass by pass: the rules that
// fired, the connector, the next hop.
// ProvenKey is the key of Options.Proven for a smart host and port.
func ProvenKey(host string, port int) string {
	return fmt.Sprintf("%s:%d", strings.ToLower(strings.Trim(host, "[]")), port)
}

func routeOf(res exchange.Result, proven map[string]string) []RouteStep {
	var out []RouteStep
	for i, pass := range res.Passes {
		n := i + 1
		for _, r := range pass.Rules {
			if r.Fired() || r.Outcome == exchange.OutcomeError || r.Outcome == exchange.OutcomeUnknown && !strings.Contains(r.Why, "cannot change the route") {
				detail := strings.Join(r.Changes, "; ")
				if detail == "" {
					detail = r.Why
				}
				out = append(out, RouteStep{Kind: "rule", Name: r.Rule, Detail: detail, Evidence: "modelled", Pass: n})
			}
		}
		for _, h := range uniqueHops(pass.Hops) {
			if h.Connector != "" {
				out = append(out, RouteStep{Kind: "connector", Name: h.Connector, Detail: h.Why, Evidence: "modelled", Pass: n})
			}
			name, detail := hopName(h), hopDetail(h)
			if h.Connector == "" {
				detail = strings.TrimSuffix(h.Why+"; "+detail, "; ")
			}
			ev := "modelled"
			for _, host := range h.Hosts {
				if why, ok := proven[ProvenKey(host, h.Port)]; ok {
					ev, detail = "proven", detail+"; proven: "+why
				}
			}
			out = append(out, RouteStep{Kind: "hop", Name: name, Detail: strings.TrimPrefix(detail, "; "), Evidence: ev, Pass: n})
		}
	}
	return out
}

// uniqueHops folds recipients that take the same way into one hop.
func uniqueHops(hops []exchange.Hop) []exchange.Hop {
	var out []exchange.Hop
	seen := map[string]int{}
	for _, h := range hops {
		k := h.Kind + "|" + h.Connector + "|" + strings.Join(h.Hosts, ",")
		if i, ok := seen[k]; ok {
			out[i].Recipient += ", " + h.Recipient
			continue
		}
		seen[k] = len(out)
		out = append(out, h)
	}
	return out
}

func hopName(h exchange.Hop) string {
	switch h.Kind {
	case "internal":
		return "mailbox " + h.Recipient
	case "none":
		return "no route"
	case "rejected":
		return "rejected"
	case "unknown":
		return "unknown"
	}
	host := strings.Join(h.Hosts, ", ")
	if h.MX {
		return fmt.Sprintf("%s (DNS/MX, direct to the recipient's domain)", host)
	}
	return fmt.Sprintf("%s:%d", host, h.Port)
}

func hopDetail(h exchange.Hop) string {
	if h.Kind != "connector" && h.Kind != "mx" {
		return ""
	}
	parts := []string{"TLS " + h.TLS}
	if h.Auth != "" {
		parts = append(parts, h.Auth)
	}
	if h.Provider {
		parts = append(parts, "the provider's host")
	}
	return strings.Join(parts, "; ") + " (for " + h.Recipient + ")"
}

// Exit is the command's exit status: 0 when every message is ok and no
// finding fails, 1 otherwise.
func (r Report) Exit() int {
	for _, m := range r.Messages {
		if !m.OK {
			return 1
		}
	}
	for _, f := range r.Findings {
		if f.Severity == "fail" {
			return 1
		}
	}
	return 0
}

// sortFindings: fail before warn before info, stable otherwise (the order
// in which they were found is the order of likelihood).
func sortFindings(fs []Finding) {
	rank := map[string]int{"fail": 0, "warn": 1, "info": 2}
	sort.SliceStable(fs, func(i, j int) bool { return rank[fs[i].Severity] < rank[fs[j].Severity] })
}
