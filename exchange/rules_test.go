package exchange

import (
	"strings"
	"testing"
)

// Each test is one behaviour of mail flow rules as Microsoft documents it;
// the comment names the page and the parameter.

// New-TransportRule.md, -Priority: "A lower integer value indicates a
// higher priority, the value 0 is the highest priority". The rule at 0 runs
// first, so the header it sets is what the rule at 1 sees.
func TestPriorityZeroRunsFirst(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	o.TransportRules = []TransportRule{
		rule("route marked", 1, Params{"HeaderContainsMessageHeader": {"X-Mark"}, "HeaderContainsWords": {"yes"}},
			Params{"RouteMessageOutboundConnector": {"Zivver"}}),
		rule("mark", 0, Params{"SubjectContainsWords": {"Secure"}}, Params{"SetHeaderName": {"X-Mark"}, "SetHeaderValue": {"yes"}}),
	}
	r := Simulate(o, msg("Secure offer"), zivver)
	wantVerdict(t, r, VerdictProvider)
	if got := r.Passes[0].Rules[0].Rule; got != "mark" {
		t.Fatalf("first rule evaluated: %q, want the priority-0 rule", got)
	}
}

// New-TransportRule.md, -SetHeaderName: "adds or modifies a header field in
// the message header". A later rule's header condition sees the header an
// earlier rule set (the Cryptshare OWA rule relies on it).
func TestHeaderSetByOneRuleIsSeenByTheNext(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	o.TransportRules = []TransportRule{
		rule("OWA subject", 0, Params{"SubjectContainsWords": {"[confidential]"}}, Params{"SetHeaderName": {"X-CS-Sensitivity"}, "SetHeaderValue": {"confidential"}}),
		rule("route header", 1, Params{"HeaderContainsMessageHeader": {"X-CS-Sensitivity"}, "HeaderContainsWords": {"confidential"}},
			Params{"RouteMessageOutboundConnector": {"Zivver"}}),
	}
	r := Simulate(o, msg("[confidential] prices"), zivver)
	wantVerdict(t, r, VerdictProvider)
	if tr := trace(t, r, "route header"); !tr.Fired() {
		t.Fatalf("the second rule did not see the header: %+v", tr)
	}
	// And without the first rule's header, the second does not fire.
	r = Simulate(o, msg("prices"), zivver)
	wantVerdict(t, r, VerdictDirect)
}

// New-TransportRule.md, -SetHeaderName ... "modifies": setting a header
// that exists replaces its value rather than adding a second one.
func TestSetHeaderReplacesTheValue(t *testing.T) {
	m := msg("x", Header{"X-Mark", "old"})
	m.SetHeader("x-mark", "new")
	if v := m.HeaderValues("X-Mark"); len(v) != 1 || v[0] != "new" {
		t.Fatalf("header values %q, want [new]", v)
	}
}

// New-TransportRule.md, -StopRuleProcessing: "$true: Stop processing more
// rules." A matching rule above with it set hides every rule below.
func TestStopRuleProcessingHidesTheRulesBelow(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	sig := rule("signature", 0, Params{"FromScope": {"InOrganization"}}, Params{"ApplyHtmlDisclaimerText": {"<p>sig</p>"}})
	sig.StopRuleProcessing = true
	o.TransportRules = []TransportRule{sig,
		rule("zivver", 1, Params{"HeaderMatchesMessageHeader": {"zivver-relay"}, "HeaderMatchesPatterns": {"..*"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})}
	r := Simulate(o, msg("Offer", Header{"zivver-relay", "zivver-message-info"}), zivver)
	wantVerdict(t, r, VerdictDirect)
	if tr := trace(t, r, "zivver"); tr.Outcome != OutcomeNotReached || !strings.Contains(tr.Why, "signature") {
		t.Fatalf("zivver rule: %+v, want not reached because of the signature rule", tr)
	}
	// A stop-processing rule that does not match stops nothing.
	o.TransportRules[0].Conditions = Params{"SubjectContainsWords": {"newsletter"}}
	wantVerdict(t, Simulate(o, msg("Offer", Header{"zivver-relay", "zivver-message-info"}), zivver), VerdictProvider)
}

// New-TransportRule.md, -Mode: "Audit: The actions that the rule would
// have taken are written to the message tracking log, but no action that
// affects message delivery is taken on the message."
func TestAuditModeTakesNoAction(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	for _, mode := range []string{"Audit", "AuditAndNotify"} {
		r0 := rule("zivver", 0, Params{"SubjectContainsWords": {"Secure"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})
		r0.Mode = mode
		o.TransportRules = []TransportRule{r0}
		r := Simulate(o, msg("Secure offer"), zivver)
		wantVerdict(t, r, VerdictDirect)
		if tr := trace(t, r, "zivver"); tr.Outcome != OutcomeAuditOnly {
			t.Fatalf("mode %s: outcome %s, want audit-only", mode, tr.Outcome)
		}
	}
}

// New-TransportRule.md, -Enabled / Disable-TransportRule: a disabled rule
// (State Disabled) is not applied.
func TestDisabledRuleIsSkipped(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	r0 := rule("zivver", 0, Params{"SubjectContainsWords": {"Secure"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})
	r0.State = "Disabled"
	o.TransportRules = []TransportRule{r0}
	r := Simulate(o, msg("Secure offer"), zivver)
	wantVerdict(t, r, VerdictDirect)
	if tr := trace(t, r, "zivver"); tr.Outcome != OutcomeDisabled {
		t.Fatalf("outcome %s, want skipped-disabled", tr.Outcome)
	}
}

// Exchange Online "Mail flow rule conditions and exceptions", property type
// Words: not case-sensitive, whole words or phrases only, no wildcards.
func TestWordsMatchWholeWordsWithoutCase(t *testing.T) {
	for _, c := range []struct {
		text, word string
		want       bool
	}{
		{"Secure: invoice", "secure", true},
		{"Unsecured invoice", "Secure", false},
		{"invoice (SECURE)", "Secure", true},
		{"[confidential] offer", "[confidential]", true},
		{"confidential offer", "[confidential]", false},
		{"Secure offer", "Secure offer", true},
		{"anything", "*", false},
		{"MSIP_Label_0f4c_Enabled=true; MSIP_Label_0f4c_Method=Standard", "MSIP_Label_0f4c_Enabled=True", true},
		{"MSIP_Label_0f4c_Enabled=true", "MSIP_Labels_0f4c_Enabled=True", false},
	} {
		if got := containsWord(c.text, c.word); got != c.want {
			t.Errorf("containsWord(%q, %q) = %v, want %v", c.text, c.word, got, c.want)
		}
	}
}

// Mail flow rules (mail-flow-rules.md): several conditions are ANDed, the
// values of one condition are ORed, and any exception stops the rule.
func TestConditionsAreAndedValuesOredExceptionsStop(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	r0 := rule("zivver", 0, Params{"SubjectContainsWords": {"Secure", "Confidential"}, "SentToScope": {"NotInOrganization"}},
		Params{"RouteMessageOutboundConnector": {"Zivver"}})
	r0.Exceptions = Params{"ExceptIfHeaderContainsMessageHeader": {"X-Done"}, "ExceptIfHeaderContainsWords": {"true"}}
	o.TransportRules = []TransportRule{r0}
	wantVerdict(t, Simulate(o, msg("Confidential offer"), zivver), VerdictProvider) // one value of the OR
	internal := msg("Confidential offer")
	internal.To = []string{"bob@corp.example"}
	wantVerdict(t, Simulate(o, internal, zivver), VerdictInternal) // the AND fails
	r := Simulate(o, msg("Confidential offer", Header{"X-Done", "true"}), zivver)
	wantVerdict(t, r, VerdictDirect)
	if tr := trace(t, r, "zivver"); tr.Outcome != OutcomeExcepted {
		t.Fatalf("outcome %s, want excepted", tr.Outcome)
	}
}

// New-TransportRule.md, -FromMemberOf: the model has no directory, so a
// group it was not told about makes the rule's outcome unknown — and a
// rule that might route the message makes the verdict unknown.
func TestUnknownGroupMakesTheResultUnknown(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	o.TransportRules = []TransportRule{rule("finance", 0, Params{"FromMemberOf": {"Finance"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})}
	r := Simulate(o, msg("Offer"), zivver)
	wantVerdict(t, r, VerdictUnknown)
	if !strings.Contains(r.Reason, "Finance") {
		t.Fatalf("reason %q does not name the group", r.Reason)
	}
	// With the members known, the answer is known.
	o.Groups = map[string][]string{"finance": {"alice@corp.example"}}
	wantVerdict(t, Simulate(o, msg("Offer"), zivver), VerdictProvider)
	o.Groups = map[string][]string{"finance": {"carol@corp.example"}}
	wantVerdict(t, Simulate(o, msg("Offer"), zivver), VerdictDirect)
}

// A predicate the model does not implement is never silently true or
// false.
func TestUnknownPredicateIsUnknown(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	o.TransportRules = []TransportRule{rule("odd", 0, Params{"HasSenderOverride": {"True"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})}
	wantVerdict(t, Simulate(o, msg("Offer"), zivver), VerdictUnknown)
	// ... unless the rule's actions cannot change the route at all.
	o.TransportRules[0].Actions = Params{"ApplyHtmlDisclaimerText": {"x"}}
	wantVerdict(t, Simulate(o, msg("Offer"), zivver), VerdictDirect)
	// An unknown exception on a rule whose conditions fail does not matter.
	o.TransportRules = []TransportRule{rule("odd", 0, Params{"SubjectContainsWords": {"Secure"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})}
	o.TransportRules[0].Exceptions = Params{"ExceptIfHasSenderOverride": {"True"}}
	wantVerdict(t, Simulate(o, msg("Offer"), zivver), VerdictDirect)
	wantVerdict(t, Simulate(o, msg("Secure offer"), zivver), VerdictUnknown)
}

// An action the model does not know makes the outcome unknown.
func TestUnknownActionIsUnknown(t *testing.T) {
	o := onlineOrg()
	o.TransportRules = []TransportRule{rule("moderate", 0, Params{"SubjectContainsWords": {"Secure"}}, Params{"ModerateMessageByUser": {"boss@corp.example"}})}
	wantVerdict(t, Simulate(o, msg("Secure offer"), zivver), VerdictUnknown)
}

// New-TransportRule.md, -RuleErrorAction: "Ignore: The message is sent
// anyway." / "Defer: The message is deferred so the rules engine can
// attempt to process the message again." The model counts a route to a
// connector that does not exist as such an error (INFERRED).
func TestRuleErrorActionWhenTheConnectorIsMissing(t *testing.T) {
	o := onlineOrg()
	r0 := rule("zivver", 0, Params{"SubjectContainsWords": {"Secure"}}, Params{"RouteMessageOutboundConnector": {"Zivver"}})
	r0.RuleErrorAction = "Ignore"
	o.TransportRules = []TransportRule{r0}
	wantVerdict(t, Simulate(o, msg("Secure offer"), zivver), VerdictDirect)
	o.TransportRules[0].RuleErrorAction = "Defer"
	wantVerdict(t, Simulate(o, msg("Secure offer"), zivver), VerdictUndeliverable)
}

// New-TransportRule.md, -SenderIpRanges: single addresses, a-b ranges and
// CIDR blocks; in Exchange Online the last hop's address.
func TestSenderIpRangesForms(t *testing.T) {
	for _, c := range []struct {
		ip, rng string
		want    bool
	}{
		{"203.0.113.25", "203.0.113.25", true},
		{"203.0.113.25", "203.0.113.1-203.0.113.30", true},
		{"203.0.113.25", "203.0.113.0/25", true},
		{"203.0.113.200", "203.0.113.0/25", false},
	} {
		got, err := ipInRanges(c.ip, []string{c.rng})
		if err != nil || got != c.want {
			t.Errorf("ipInRanges(%s, %s) = %v, %v; want %v", c.ip, c.rng, got, err, c.want)
		}
	}
}

// New-TransportRule.md, -FromScope InOrganization: "sent or received over
// an authenticated connection AND" an internal sender. An application that
// relays anonymously is not inside.
func TestFromScopeNeedsAnAuthenticatedConnection(t *testing.T) {
	o := onlineOrg()
	m := msg("x")
	if !o.fromInside(&m) {
		t.Fatal("Outlook submission from an accepted domain is inside")
	}
	m.Via = ViaAnonymous
	if o.fromInside(&m) {
		t.Fatal("an anonymous relay is not inside")
	}
}

// New-TransportRule.md, -RecipientDomainIs: "matches domains and
// subdomains".
func TestRecipientDomainIsMatchesSubdomains(t *testing.T) {
	if !domainIn("eu.example.net", []string{"example.net"}) || domainIn("badexample.net", []string{"example.net"}) {
		t.Fatal("RecipientDomainIs must match the domain and its subdomains, nothing else")
	}
}

// The message size and the attachment size conditions read Exchange's
// size forms.
func TestSizeForms(t *testing.T) {
	for s, want := range map[string]int64{"50 MB (52,428,800 bytes)": 52428800, "50MB": 50 << 20, "10 KB": 10 << 10, "1024": 1024} {
		if got, ok := ParseSize(s); !ok || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	if _, ok := ParseSize("Unlimited"); ok {
		t.Error("Unlimited is not a number")
	}
}

// RuleParamRole sorts Get-TransportRule's properties for an export reader.
func TestRuleParamRole(t *testing.T) {
	for name, want := range map[string]string{
		"HeaderContainsMessageHeader": "condition", "ExceptIfSenderIpRanges": "exception",
		"RedirectMessageTo": "action", "ApplyHtmlDisclaimerText": "action", "ModerateMessageByUser": "action",
		"StopRuleProcessing": "property", "Priority": "property", "HasSenderOverride": "condition",
		"ExpiryDate": "condition", "Guid": "property",
	} {
		if got := RuleParamRole(name); got != want {
			t.Errorf("RuleParamRole(%s) = %s, want %s", name, got, want)
		}
	}
}

// New-TransportRule.md, -FromScope/-SentToScope NotInOrganization: an
// address "in an accepted domain that's configured as an external relay
// domain" is outside; Authoritative and InternalRelay domains are inside.
func TestExternalRelayDomainIsOutside(t *testing.T) {
	o := onlineOrg()
	o.AcceptedDomains = append(o.AcceptedDomains,
		AcceptedDomain{DomainName: "relay.example", DomainType: "InternalRelay"},
		AcceptedDomain{DomainName: "partner.example", DomainType: "ExternalRelay"},
		AcceptedDomain{DomainName: "*.corp.example", DomainType: "Authoritative"})
	for domain, inside := range map[string]bool{"corp.example": true, "relay.example": true, "partner.example": false, "eu.corp.example": true, "example.net": false} {
		if got := o.isInternalDomain(domain); got != inside {
			t.Errorf("%s inside: %v, want %v", domain, got, inside)
		}
	}
}

// Get-TransportRule lists switches it does not use as False: such a switch
// is not in use, neither a condition the model does not know nor an
// action (a rule that "deletes" with DeleteMessage False deletes nothing).
func TestFalseSwitchesAreNotInUse(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	r0 := rule("zivver", 0, Params{"SubjectContainsWords": {"Secure"}, "HasSenderOverride": {"False"}},
		Params{"RouteMessageOutboundConnector": {"Zivver"}, "DeleteMessage": {"False"}, "Quarantine": {"False"}})
	o.TransportRules = []TransportRule{r0}
	wantVerdict(t, Simulate(o, msg("Secure offer"), zivver), VerdictProvider)
	o.TransportRules[0].Actions["DeleteMessage"] = []string{"True"}
	wantVerdict(t, Simulate(o, msg("Secure offer"), zivver), VerdictUndeliverable)
	// A header value "false" is a value, not a switch.
	o.TransportRules[0].Actions = Params{"SetHeaderName": {"X-Flag"}, "SetHeaderValue": {"False"}}
	r := Simulate(o, msg("Secure offer"), zivver)
	if v := r.Passes[0].Message.HeaderValues("X-Flag"); len(v) != 1 || v[0] != "False" {
		t.Fatalf("header %q", v)
	}
}

// New-TransportRule.md, -ExpiryDate: a rule acts only until that date; the
// model has no clock and says unknown rather than guess.
func TestDatedRuleIsUnknown(t *testing.T) {
	o := onlineOrg()
	o.OutboundConnectors = []OutboundConnector{zivverOutbound(true)}
	o.TransportRules = []TransportRule{rule("zivver", 0, Params{"SubjectContainsWords": {"Secure"}, "ExpiryDate": {"2026-12-31"}},
		Params{"RouteMessageOutboundConnector": {"Zivver"}})}
	r := Simulate(o, msg("Secure offer"), zivver)
	wantVerdict(t, r, VerdictUnknown)
	if !strings.Contains(r.Reason, "no clock") {
		t.Fatalf("reason %q", r.Reason)
	}
}
