package exchange

import (
	"fmt"
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

// ruleProperties are a rule's own settings, not predicates or actions.
var ruleProperties = map[string]bool{
	"Name": true, "Priority": true, "State": true, "Mode": true, "StopRuleProcessing": true,
	"RuleErrorAction": true, "SenderAddressLocation": true, "Comments": true, "Enabled": true,
	"Identity": true, "Guid": true, "DistinguishedName": true, "Description": true, "RuleVersion": true,
	"ManuallyModified": true, "ActivationDate": true, "ExpiryDate": true, "WhenChanged": true,
	"Organization": true, "IsValid": true, "ObjectState": true, "ImmutableId": true, "RuleSubType": true,
	"UseLegacyRegex": true, "DlpPolicy": true, "DlpPolicyId": true, "Priority ": true,
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
// "any exception stops the rule"), in three values.
func evalPredicates(c evalCtx, params Params, except bool) (Tri, string) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	consumed := map[string]bool{}
	for _, k := range keys {
		if p, ok := predicates[strings.TrimPrefix(k, "ExceptIf")]; ok && p.companion != "" {
			consumed[companionKey(k, p.companion)] = true
		}
	}
	result := True // AND over conditions
	if except {
		result = False // OR over exceptions
	}
	var whyTrue, whyFalse, whyUnknown []string
	for _, k := range keys {
		if consumed[k] {
			continue
		}
		base := strings.TrimPrefix(k, "ExceptIf")
		p, ok := predicates[base]
		var t Tri
		var why string
		if !ok {
			t, why = Unknown, fmt.Sprintf("%s is a predicate the model does not know", k)
		} else {
			var comp []string
			if p.companion != "" {
				comp = params.Get(companionKey(k, p.companion))
			}
			t, why = p.eval(c, params[k], comp)
		}
		switch t {
		case True:
			whyTrue = append(whyTrue, why)
		case False:
			whyFalse = append(whyFalse, why)
		default:
			whyUnknown = append(whyUnknown, why)
		}
	}
	if except {
		switch {
		case len(whyTrue) > 0:
			return True, strings.Join(whyTrue, "; ")
		case len(whyUnknown) > 0:
			return Unknown, strings.Join(whyUnknown, "; ")
		}
		return False, ""
	}
	switch {
	case len(whyFalse) > 0:
		return False, "not: " + strings.Join(whyFalse, "; ")
	case len(whyUnknown) > 0:
		return Unknown, strings.Join(whyUnknown, "; ")
	}
	_ = result
	return True, strings.Join(whyTrue, "; ")
}

func companionKey(k, companion string) string {
	if strings.HasPrefix(k, "ExceptIf") {
		return "ExceptIf" + companion
	}
	return companion
}

// ruleMatch is a rule's conditions AND NOT any of its exceptions. A rule
// without conditions applies to every message (as in the admin centre's
// "Apply to all messages").
func ruleMatch(c evalCtx, r TransportRule) (Tri, string, bool) {
	cond, why := True, "applies to all messages"
	if len(r.Conditions) > 0 {
		cond, why = evalPredicates(c, r.Conditions, false)
	}
	if cond == False {
		return False, why, false
	}
	exc, ewhy := False, ""
	if len(r.Exceptions) > 0 {
		exc, ewhy = evalPredicates(c, r.Exceptions, true)
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
		if !neutralActions[k] {
			return false
		}
	}
	return true
}
