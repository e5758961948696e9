package exchange

// Verdict is where a message ends up.
type Verdict string

const (
	VerdictProvider      Verdict = "provider"      // reaches the provider's smart host, gateway or add-on service
	VerdictDirect        Verdict = "direct"        // leaves by MX, or through a connector that is not the provider's
	VerdictInternal      Verdict = "internal"      // delivered inside the organisation
	VerdictLoop          Verdict = "loop"          // handed back and sent out again, without end
	VerdictUndeliverable Verdict = "undeliverable" // rejected, deleted, deferred or without a route
	VerdictUnknown       Verdict = "unknown"       // depends on something the model does not know
)

// Tri is a three-valued truth: a condition may be unknown to the model.
type Tri int

const (
	False Tri = iota
	True
	Unknown
)

func (t Tri) String() string {
	switch t {
	case True:
		return "true"
	case Unknown:
		return "unknown"
	}
	return "false"
}

// Provider says which next hops count as "the provider" for a verdict:
// smart-host names or addresses (a leading "*." matches any subdomain).
type Provider struct {
	Name  string // Zivver, Cryptshare, CodeTwo
	Hosts []string
}

// RuleTrace is what one transport rule did with one message in one pass.
type RuleTrace struct {
	Rule     string
	Priority int
	Outcome  string // fired, not-matched, excepted, skipped-disabled, audit-only, unknown, not-reached
	Why      string // the condition or exception that decided
	Changes  []string
	Inferred bool // the outcome rests on behaviour Microsoft does not document
}

// Fired reports whether the rule's actions were applied.
func (r RuleTrace) Fired() bool { return r.Outcome == OutcomeFired }

// Rule outcomes.
const (
	OutcomeFired      = "fired"
	OutcomeNoMatch    = "not-matched"
	OutcomeExcepted   = "excepted"
	OutcomeDisabled   = "skipped-disabled"
	OutcomeAuditOnly  = "audit-only"
	OutcomeUnknown    = "unknown"
	OutcomeNotReached = "not-reached" // a rule above stopped rule processing
	OutcomeError      = "error"       // an action could not be carried out (RuleErrorAction decides)
)

// Hop is where one recipient's copy goes next.
type Hop struct {
	Recipient string
	Kind      string // internal, connector, mx, none, rejected
	Connector string // the connector chosen ("" for internal, mx without a connector, none)
	Rule      string // the rule that routed it there (RouteMessageOutboundConnector), if any
	Why       string // why this connector: address space, cost, scope, rule
	Hosts     []string
	Port      int
	TLS       string // "required (DomainValidation)", "opportunistic", ...
	Auth      string // SMTP AUTH mechanism, "" for none
	MX        bool   // delivered by the recipient domain's MX records
	Provider  bool   // the hop reaches the provider
	Inferred  bool
}

// Pass is one trip of a message through the transport pipeline: rules,
// then routing. A message handed back by a service makes a second pass.
type Pass struct {
	Entry   string // how it entered: "Outlook", "inbound connector \"...\"", ...
	Message Message
	Rules   []RuleTrace
	Hops    []Hop
	Outcome Verdict // of this pass
	Reason  string
}

// Result is the simulation of one message.
type Result struct {
	Passes  []Pass
	Verdict Verdict
	Reason  string
	// Loop names the rule that sent the message out again and the
	// exception it lacks, when Verdict is loop.
	LoopRule      string
	LoopException string
}
