package steps

import (
	"fmt"
	"strings"
)

// plan is what the templates render: the scenario, the variables every
// script declares at its top (the values the admin chose), and the Exchange
// objects in the order apply.ps1 creates or changes them. Building it is
// plain Go so that the templates stay free of decisions about Exchange.
type plan struct {
	S       Scenario
	In      Inputs
	Vars    []*psVar
	Objects []*object
	File    string // the artifact being rendered (apply.ps1, ...)
}

// kind is the type of Exchange object a step creates or changes; the
// templates have one block per kind and action (apply-SendConnector, ...).
type kind string

const (
	kindAcceptedDomain    kind = "AcceptedDomain"
	kindMailContact       kind = "MailContact"
	kindSendConnector     kind = "SendConnector"
	kindOutboundConnector kind = "OutboundConnector"
	kindInboundConnector  kind = "InboundConnector"
	kindTransportRule     kind = "TransportRule"
	// Changes to things that exist already; undo restores the value
	// apply.ps1 recorded.
	kindAllowListEntry    kind = "AllowListEntry"
	kindDisableSend       kind = "DisableSendConnector"
	kindScopeOutbound     kind = "ScopeOutboundConnector"
	kindAddonStopsRules   kind = "AddonRuleStopsProcessing"
	kindCheckOtherConnect kind = "OtherWildcardConnectors"
)

// role groups a rule's settings the way the admin centre's rule editor does.
type role string

const (
	roleCondition role = "condition"
	roleAction    role = "action"
	roleException role = "exception"
	roleProperty  role = "property"
)

// verifyMode says how verify.ps1 compares a setting with what Exchange
// reports.
type verifyMode string

const (
	verifyNone       verifyMode = ""
	verifyEqual      verifyMode = "equal"      // one value, case-insensitive
	verifyIncludes   verifyMode = "includes"   // every expected value is present (others may be too)
	verifySizeMB     verifyMode = "size"       // a size limit in MB
	verifyRecipient  verifyMode = "recipient"  // a recipient, reported by name, alias or address
	verifyServers    verifyMode = "servers"    // server names, short or fully qualified
	verifyCredential verifyMode = "credential" // a credential with a user name is stored
	verifyAddress    verifyMode = "address"    // an e-mail address, reported with or without "SMTP:"
	verifyDomains    verifyMode = "domains"    // domains, reported as "smtp:*;1" or "*"
	// Exact sets: an extra value is as dangerous as a missing one (an
	// extra SMTP:* sends all mail to the provider; an extra IP gets relay
	// rights). Each compares in the form Exchange prints the value in.
	verifyExactText      verifyMode = "exact"            // case-insensitive text
	verifyAddressSpaces  verifyMode = "address-spaces"   // "SMTP:d;1", printed "Local:SMTP:d;1" on scoped connectors
	verifySmartHosts     verifyMode = "smart-hosts"      // host names, IPs printed as "[192.0.2.10]"
	verifyIPs            verifyMode = "ips"              // IPv4 addresses, maybe printed with "/32"
	verifyRecipientsOnly verifyMode = "recipients-exact" // recipients (name, alias or address), nobody else
)

// setting is one parameter of a New-* cmdlet: how it is written, how the
// admin centre calls it, and how verify.ps1 reads it back.
type setting struct {
	Param  string     // cmdlet parameter
	Value  any        // rendered with psValue
	Role   role       // for rules: condition, action, exception or property
	Label  string     // the admin centre's wording, for the checklist
	Verify verifyMode // verifyNone: not read back
	Prop   string     // property read back, when it differs from Param
	Want   any        // expected read-back value, when it differs from Value
	// VerifyOnly settings are checked by verify.ps1 but not passed to
	// New-* (e.g. Enabled on a connector, which is on by default).
	VerifyOnly bool
}

// enumParams hold a fixed choice that the checklist label already names
// ("Authoritative", "Outside the organization"), so the raw value is not
// repeated there.
var enumParams = map[string]bool{
	"DomainType": true, "Custom": true, "DNSRoutingEnabled": true, "SmartHostAuthMechanism": true,
	"RequireTLS": true, "IsScopedConnector": true, "ConnectorType": true, "IsTransportRuleScoped": true,
	"UseMXRecord": true, "TlsSettings": true, "Enabled": true, "SentToScope": true, "FromScope": true,
	"StopRuleProcessing": true, "Mode": true, "RuleErrorAction": true, "AuthenticationCredential": true,
	"TlsAuthLevel": true,
}

// ShowValue reports whether the checklist prints the value after the label.
func (s setting) ShowValue() bool { return !enumParams[s.Param] }

// IsLocalServer reports whether the value is "the server the script runs
// on", which verify.ps1 can only check from a transport server.
func (s setting) IsLocalServer() bool {
	v := s.Value
	if pv, ok := v.(*psVar); ok {
		v = pv.Value
	}
	_, ok := v.(localServer)
	return ok
}

// ReadBack is the property verify.ps1 reads.
func (s setting) ReadBack() string {
	if s.Prop != "" {
		return s.Prop
	}
	return s.Param
}

// Expected is the value verify.ps1 expects.
func (s setting) Expected() any {
	if s.Want != nil {
		return s.Want
	}
	return s.Value
}

// object is one step: an Exchange object apply.ps1 creates, or an existing
// one it changes.
type object struct {
	Kind     kind
	Title    string // "send connector", for messages and headings
	Name     *psVar // identity (name) of the object
	Settings []setting
	Caveats  []caveat
	Step     int // number in the checklist and the scripts

	// Send connector: ask for the smart-host credentials.
	Credential       bool
	CredentialPrompt string
	// Accepted domain / contact: the value that must be unique, looked up
	// too so that an object under another name is found.
	Unique *psVar
	// Transport rules.
	Priority  int    // PriorityAuto or a fixed value
	BelowRule *psVar // place right below this rule (codetwo add-on)
	// StopExempt is a rule above that may stop processing without hiding
	// this one (the add-on's rule: its stop applies only to the first pass).
	StopExempt    *psVar
	BelowOffset   int
	AboveRule     *psVar // must have a higher priority than this rule
	PatternsFrom  *psVar // copy this connector's recipient domains as patterns
	RouteConnName *psVar // the connector the rule routes to (checked to exist)
	// Changes to existing objects (kindDisableSend, kindScopeOutbound,
	// kindAddonStopsRules): the property and the value apply sets.
	Property string
	Desired  bool
	// Allow list entry: the IP.
	IP *psVar
	// The connector apply must not compete with (Cryptshare on-premises).
	Except *psVar
	// ValidateTo: after creating an outbound connector, apply.ps1 runs the
	// connector validation with a test message to this address.
	ValidateTo *psVar
	// AddressSpace is the send connector's domain (or *), for the checklist.
	AddressSpace string
	// P is the plan the object belongs to (scenario, inputs), for the
	// templates.
	P *plan
	// Does says in one phrase what a rule does ("routes ..."), for the
	// checklist and the rule's comment.
	Does string
	// Verb says what a change to an existing object does, for messages
	// ("switched off", ...).
	Verb string
}

// Get returns the setting for a parameter (zero setting if absent), so
// the checklist can name values without knowing the order.
func (o *object) Get(param string) setting {
	for _, s := range o.Settings {
		if s.Param == param {
			return s
		}
	}
	return setting{}
}

// Has reports whether the object sets a parameter.
func (o *object) Has(param string) bool { return o.Get(param).Param != "" }

// Conditions etc. split a rule's settings for the checklist.
func (o *object) Conditions() []setting { return o.byRole(roleCondition) }
func (o *object) Actions() []setting    { return o.byRole(roleAction) }
func (o *object) Exceptions() []setting { return o.byRole(roleException) }
func (o *object) Properties() []setting { return o.byRole(roleProperty) }

func (o *object) byRole(r role) []setting {
	var out []setting
	for _, s := range o.Settings {
		if s.Role == r {
			out = append(out, s)
		}
	}
	return out
}

// Creates reports whether apply.ps1 creates this object (and undo.ps1
// removes it), as opposed to changing something that exists.
func (o *object) Creates() bool {
	switch o.Kind {
	case kindAcceptedDomain, kindMailContact, kindSendConnector, kindOutboundConnector,
		kindInboundConnector, kindTransportRule:
		return true
	}
	return false
}

// Cmdlet noun for Get-/New-/Remove-.
func (o *object) Noun() string {
	switch o.Kind {
	case kindDisableSend:
		return "SendConnector"
	case kindScopeOutbound:
		return "OutboundConnector"
	case kindAddonStopsRules:
		return "TransportRule"
	}
	return string(o.Kind)
}

// Params are the settings passed to New-*.
func (o *object) Params() []setting {
	var out []setting
	for _, s := range o.Settings {
		if !s.VerifyOnly {
			out = append(out, s)
		}
	}
	return out
}

// Predicates are the conditions, exceptions and actions relaywiz gives a
// rule; verify.ps1 fails on any other one that is set.
func (o *object) Predicates() []string {
	var out []string
	for _, s := range o.Settings {
		if RulePredicateRole(s.Param) != "" {
			out = append(out, s.Param)
		}
	}
	if o.PatternsFrom != nil {
		out = append(out, "RecipientAddressMatchesPatterns")
	}
	return out
}

// Checks are the settings verify.ps1 reads back.
func (o *object) Checks() []setting {
	var out []setting
	for _, s := range o.Settings {
		if s.Verify != verifyNone {
			out = append(out, s)
		}
	}
	return out
}

// ParamWidth is the length of the longest parameter name, to align
// splatted hashtables.
func (o *object) ParamWidth() int {
	w := 0
	for _, s := range o.Params() {
		if len(s.Param) > w {
			w = len(s.Param)
		}
	}
	return w
}

// UndoOrder lists the objects in the order undo.ps1 handles them. First
// the old routes come back (connectors apply switched off or made
// rule-scoped), so mail always has its previous way out; then the rules go,
// so nothing routes to a connector that is about to go; then everything
// else, in reverse creation order.
func (p *plan) UndoOrder() []*object {
	var routes, rules, rest []*object
	for i := len(p.Objects) - 1; i >= 0; i-- {
		o := p.Objects[i]
		switch o.Kind {
		case kindDisableSend, kindScopeOutbound:
			routes = append(routes, o)
		case kindTransportRule:
			rules = append(rules, o)
		default:
			rest = append(rest, o)
		}
	}
	return append(append(routes, rules...), rest...)
}

// Var returns the declared variable of that name (nil if absent), for the
// checklist's copy-and-paste commands.
func (p *plan) Var(name string) *psVar {
	for _, v := range p.Vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// VarWidth aligns the variable block.
func (p *plan) VarWidth() int {
	w := len("Scenario")
	for _, v := range p.Vars {
		if len(v.Name) > w {
			w = len(v.Name)
		}
	}
	return w
}

// HasTrigger reports whether the inputs have a trigger of that kind.
func (p *plan) HasTrigger(k string) bool {
	return len(p.In.triggerValues(TriggerKind(k))) > 0
}

// StateFile is the record apply.ps1 keeps next to itself.
func (p *plan) StateFile() string { return StateFileName }

// NeedsPatterns: a rule copies a connector's recipient domains.
func (p *plan) NeedsPatterns() bool {
	for _, o := range p.Objects {
		if o.PatternsFrom != nil {
			return true
		}
	}
	return false
}

// HasRules: apply.ps1 creates transport rules (and checks the rules above
// them).
func (p *plan) HasRules() bool { return p.has(kindTransportRule) }

// NeedsWildcard: the Cryptshare on-premises check for competing connectors.
func (p *plan) NeedsWildcard() bool { return p.has(kindCheckOtherConnect) }

// NeedsSize: a send connector has a size limit (apply prints the
// organisation's limits next to it).
func (p *plan) NeedsSize() bool {
	for _, o := range p.Objects {
		if o.Has("MaxMessageSize") {
			return true
		}
	}
	return false
}

// UsesLocalServer: a send connector's source server is the machine the
// script runs on (no --source-server given).
func (p *plan) UsesLocalServer() bool {
	for _, o := range p.Objects {
		if o.Get("SourceTransportServers").IsLocalServer() {
			return true
		}
	}
	return false
}

// RulePredicateLines are the names of every rule condition, exception and
// action, quoted and a few per line, for verify.ps1's list.
func (p *plan) RulePredicateLines() []string {
	var lines []string
	all := rulePredicates()
	for i := 0; i < len(all); i += 4 {
		var q []string
		for _, n := range all[i:min(i+4, len(all))] {
			q = append(q, PSQuote(n))
		}
		lines = append(lines, strings.Join(q, ", "))
	}
	return lines
}

func (p *plan) has(k kind) bool {
	for _, o := range p.Objects {
		if o.Kind == k {
			return true
		}
	}
	return false
}

// Caveats returns every caveat of the plan once, in step order.
func (p *plan) Caveats() []caveat {
	var out []caveat
	seen := map[string]bool{}
	for _, o := range p.Objects {
		for _, c := range o.Caveats {
			if !seen[c.Text] {
				seen[c.Text] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// HasCredential reports whether apply.ps1 asks for smart-host credentials.
func (p *plan) HasCredential() bool {
	for _, o := range p.Objects {
		if o.Credential {
			return true
		}
	}
	return false
}

// newPlan builds the plan for validated inputs.
func newPlan(in Inputs) (*plan, error) {
	s, ok := Lookup(string(in.Scenario))
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q", in.Scenario)
	}
	p := &plan{S: s, In: in}
	b := &builder{p: p, in: in, names: namesFor(in)}
	switch s.ID {
	case PAMSOnPrem, RelayOnPrem:
		b.zivverOnPrem()
	case PAMSOnline, RelayOnline:
		b.zivverOnline()
	case CryptshareOnPrem:
		b.cryptshareOnPrem()
	case CryptshareOnline:
		b.cryptshareOnline()
	case CodeTwoOnline:
		b.codeTwo()
	}
	for i, o := range p.Objects {
		o.Step = i + 1
		o.P = p
	}
	return p, nil
}

type builder struct {
	p     *plan
	in    Inputs
	names objectNames
}

// v declares a script variable holding a value the admin chose.
func (b *builder) v(name string, value any, note string) *psVar {
	for _, x := range b.p.Vars {
		if x.Name == name {
			panic("steps: variable declared twice: " + name)
		}
	}
	pv := &psVar{Name: name, Value: value, Note: note}
	b.p.Vars = append(b.p.Vars, pv)
	return pv
}

func (b *builder) add(o *object) *object {
	b.p.Objects = append(b.p.Objects, o)
	return o
}

// rulePriority hands out consecutive fixed priorities when --priority is
// given, so several rules keep the order relaywiz put them in.
func (b *builder) rulePriority(offset int) int {
	if b.in.Priority == PriorityAuto {
		return PriorityAuto
	}
	return b.in.Priority + offset
}

// uniqueFold removes repeated values, ignoring case (Exchange compares
// words, addresses and GUIDs without case).
func uniqueFold(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		k := strings.ToLower(v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// testRecipient declares the test recipient, if the admin gave one.
func (b *builder) testRecipient() *psVar {
	if b.in.TestRecipient == "" {
		return nil
	}
	return b.v("TestRecipient", b.in.TestRecipient, "outside address for the connector validation and the test")
}

// sourceServersValue is the -SourceTransportServers value: the servers the
// admin named, or the server the script runs on.
func (b *builder) sourceServers() *psVar {
	if len(b.in.SourceServers) > 0 {
		return b.v("SourceServers", append([]string(nil), b.in.SourceServers...), "Exchange servers that may use the send connector")
	}
	return b.v("SourceServers", localServer{}, "Exchange servers that may use the send connector")
}

// commonRuleProps are the rule settings every scenario's rules share:
// enforce, and hold the message rather than let it out unprocessed when the
// rules engine fails (Zivver's manuals ask for Defer; relaywiz uses it for
// every rule that decides whether mail leaves securely).
func commonRuleProps() []setting {
	return []setting{
		{Param: "Mode", Value: "Enforce", Role: roleProperty, Label: "Choose a mode for this rule: Enforce", Verify: verifyEqual},
		{Param: "RuleErrorAction", Value: "Defer", Role: roleProperty, Label: "Defer the message if rule processing doesn't complete", Verify: verifyEqual},
		{Param: "Enabled", Value: true, Role: roleProperty, Label: "Enable (activate) the rule", Verify: verifyEqual, Prop: "State", Want: "Enabled"},
	}
}
