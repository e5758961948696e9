package exchange

import (
	"sort"
	"strings"
)

// Actions the model carries out. Everything else a rule may do is either
// neutral for routing (neutralActions) or unknown.
var knownActions = map[string]bool{
	"SetHeaderName": true, "SetHeaderValue": true, "RemoveHeader": true, "PrependSubject": true,
	"RedirectMessageTo": true, "RouteMessageOutboundConnector": true,
	"AddToRecipients": true, "CopyTo": true, "BlindCopyTo": true,
	"RejectMessageReasonText": true, "RejectMessageEnhancedStatusCode": true,
	"DeleteMessage": true, "Quarantine": true,
}

// neutralActions change the message but not where it goes (a disclaimer
// or signature, a spam confidence level, an incident report, a
// classification, rights protection). Rules whose outcome is unknown but
// which only do these cannot change the route.
var neutralActions = map[string]bool{
	"ApplyHtmlDisclaimerText": true, "ApplyHtmlDisclaimerLocation": true, "ApplyHtmlDisclaimerFallbackAction": true,
	"SetSCL": true, "SetAuditSeverity": true, "GenerateIncidentReport": true, "IncidentReportContent": true,
	"GenerateNotification": true, "ApplyClassification": true, "ApplyRightsProtectionTemplate": true,
	"ApplyRightsProtectionCustomizationTemplate": true, "ApplyOME": true, "RemoveOME": true, "RemoveOMEv2": true,
	"RouteMessageOutboundRequireTls": true, "NotifySender": true,
}

// boolSwitches are the conditions and actions that take $true/$false: an
// export (or Get-TransportRule) may list them as False, which means "not
// used", not "a condition the model does not know".
var boolSwitches = map[string]bool{
	"DeleteMessage": true, "Quarantine": true, "ApplyOME": true, "RemoveOME": true, "RemoveOMEv2": true,
	"RouteMessageOutboundRequireTls": true, "ModerateMessageByManager": true, "RemoveRMSAttachmentEncryption": true,
	"AttachmentIsUnsupported": true, "AttachmentHasExecutableContent": true, "AttachmentIsPasswordProtected": true,
	"AttachmentProcessingLimitExceeded": true, "HasNoClassification": true, "HasSenderOverride": true,
}

// active reports whether a parameter is in use: a boolean switch only when
// it is True, anything else when it has a value.
func active(p Params, k string) bool {
	v := p[k]
	if boolSwitches[strings.TrimPrefix(k, "ExceptIf")] {
		return len(v) > 0 && strings.EqualFold(v[0], "True")
	}
	return len(v) > 0
}

// ruleProperties are a rule's own settings, not predicates or actions.
var ruleProperties = map[string]bool{
	"Name": true, "Priority": true, "State": true, "Mode": true, "StopRuleProcessing": true,
	"RuleErrorAction": true, "SenderAddressLocation": true, "Comments": true, "Enabled": true,
	"Identity": true, "Guid": true, "DistinguishedName": true, "Description": true, "RuleVersion": true,
	"ManuallyModified": true, "WhenChanged": true,
	"Organization": true, "IsValid": true, "ObjectState": true, "ImmutableId": true, "RuleSubType": true,
	"UseLegacyRegex": true, "DlpPolicy": true, "DlpPolicyId": true,
}

// RuleParamRole says where a property of Get-TransportRule's output
// belongs: "property" (a field of TransportRule), "exception" (ExceptIf...),
// "action", or "condition". Anything unrecognised is a condition, so that
// the engine reports it as unknown rather than ignore it. An export reader
// uses this to fill TransportRule.
func RuleParamRole(name string) string {
	switch {
	case ruleProperties[name]:
		return "property"
	case strings.HasPrefix(name, "ExceptIf"):
		return "exception"
	case knownActions[name] || neutralActions[name] || isActionName(name):
		return "action"
	}
	return "condition"
}

// isActionName recognises the rest of New-TransportRule's actions by their
// documented names, so they are reported as unknown actions rather than
// unknown conditions.
func isActionName(name string) bool {
	for _, p := range []string{"Apply", "Add", "Set", "Remove", "Moderate", "Redirect", "Route", "Reject", "Generate", "Notify", "Smtp", "Log", "Prepend"} {
		if strings.HasPrefix(name, p) && !strings.HasSuffix(name, "Words") && !strings.HasSuffix(name, "Patterns") {
			return true
		}
	}
	return false
}

// SortedRules returns the rules in the order Exchange runs them: Priority
// 0 first ("0 is the highest").
func (o *Org) SortedRules() []TransportRule {
	rules := append([]TransportRule(nil), o.TransportRules...)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
	return rules
}

// evalPredicates ANDs a set of conditions (or ORs a set of exceptions:
// "any exception stops the rule"), in three values. It stops at the first
// predicate that decides (a false condition, a true exception), as the
// rules engine does, and explains the outcome by the predicates that made
// it.
func evalPredicates(c evalCtx, params Params, keys []string, except bool, cache map[string]string) (Tri, string) {
	var trueKeys [8]int
	nTrue := 0
	var whyUnknown []string
	for i, k := range keys {
		if !active(params, k) {
			continue
		}
		base := strings.TrimPrefix(k, "ExceptIf")
		if isCompanion(base) && params.Has(strings.TrimSuffix(k, base)+companionOf[base]) {
			continue // evaluated with its header name
		}
		p, ok := predicates[base]
		if !ok {
			whyUnknown = append(whyUnknown, k+" is a predicate the model does not know")
			continue
		}
		var comp []string
		if p.companion != "" {
			comp = params.Get(companionKey(k, p.companion))
		}
		switch p.eval(c, params[k], comp) {
		case False:
			if !except {
				if w, ok := cache[k]; ok {
					return False, w
				}
				w := "not: " + p.why(c, params[k], comp)
				if !p.dynamic && cache != nil {
					cache[k] = w
				}
				return False, w
			}
		case True:
			if except {
				return True, p.why(c, params[k], comp)
			}
			if nTrue < len(trueKeys) {
				trueKeys[nTrue] = i
				nTrue++
			}
		default:
			whyUnknown = append(whyUnknown, p.why(c, params[k], comp))
		}
	}
	switch {
	case len(whyUnknown) > 0:
		return Unknown, strings.Join(whyUnknown, "; ")
	case except:
		return False, ""
	}
	whys := make([]string, 0, nTrue)
	for _, i := range trueKeys[:nTrue] {
		k := keys[i]
		p := predicates[strings.TrimPrefix(k, "ExceptIf")]
		var comp []string
		if p.companion != "" {
			comp = params.Get(companionKey(k, p.companion))
		}
		whys = append(whys, p.why(c, params[k], comp))
	}
	return True, strings.Join(whys, "; ")
}

// companionOf maps the second parameter of a pair to the first one
// (HeaderContainsWords belongs to HeaderContainsMessageHeader).
var companionOf = func() map[string]string {
	m := map[string]string{}
	for name, p := range predicates {
		if p.companion != "" {
			m[p.companion] = name
		}
	}
	return m
}()

func isCompanion(base string) bool { _, ok := companionOf[base]; return ok }

func companionKey(k, companion string) string {
	if strings.HasPrefix(k, "ExceptIf") {
		return "ExceptIf" + companion
	}
	return companion
}

// ruleMatch is a rule's conditions AND NOT any of its exceptions. A rule
// without conditions applies to every message (as in the admin centre's
// "Apply to all messages").
func ruleMatch(c evalCtx, pr preparedRule) (Tri, string, bool) {
	r := pr.TransportRule
	cond, why := True, "applies to all messages"
	if len(r.Conditions) > 0 {
		cond, why = evalPredicates(c, r.Conditions, pr.condKeys, false, pr.notWhy)
	}
	if cond == False {
		return False, why, false
	}
	exc, ewhy := False, ""
	if len(r.Exceptions) > 0 {
		exc, ewhy = evalPredicates(c, r.Exceptions, pr.excKeys, true, nil)
	}
	switch {
	case exc == True:
		return False, "except: " + ewhy, true
	case cond == Unknown:
		return Unknown, why, false
	case exc == Unknown:
		return Unknown, "exception: " + ewhy, false
	}
	return True, why, false
}

// actionsNeutral reports whether every action of a rule leaves the route
// alone.
func actionsNeutral(r TransportRule) bool {
	if r.StopRuleProcessing {
		return false
	}
	for k := range r.Actions {
		if active(r.Actions, k) && !neutralActions[k] {
			return false
		}
	}
	return true
}

// preparedRule is a rule with its predicate names in a fixed order, so
// that evaluation (and its explanation) does not depend on map order and
// does not sort them for every message.
type preparedRule struct {
	TransportRule
	condKeys, excKeys []string
	// notWhy caches the explanation of a failed condition: for most
	// predicates it depends on the rule alone, and it is by far the most
	// common outcome.
	notWhy map[string]string
}

func sortedKeys(p Params) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prepareRules sorts the rules by priority and their predicates by name.
func (o *Org) prepareRules() []preparedRule {
	rules := o.SortedRules()
	out := make([]preparedRule, len(rules))
	for i, r := range rules {
		out[i] = preparedRule{TransportRule: r, condKeys: sortedKeys(r.Conditions), excKeys: sortedKeys(r.Exceptions),
			notWhy: make(map[string]string, len(r.Conditions))}
	}
	return out
}
