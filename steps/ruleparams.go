package steps

import "strings"

// The conditions, exceptions and actions a transport rule can carry, by
// the names of New-TransportRule's parameters (which Get-TransportRule
// prints as properties of the same names). From Microsoft's cmdlet
// reference, New-TransportRule.md in MicrosoftDocs/office-docs-powershell
// (commit 93336da). Left out: the rule's own properties (Name, Priority,
// Mode, Enabled, Comments, RuleErrorAction, ActivationDate, ExpiryDate,
// RuleSubType, UseLegacyRegex, DlpPolicy) and the modifiers that only
// refine another parameter and may carry a default (SenderAddressLocation,
// RecipientAddressType, ADComparisonOperator, ApplyHtmlDisclaimerLocation,
// ApplyHtmlDisclaimerFallbackAction, IncidentReportContent,
// IncidentReportOriginalMail, RejectMessageEnhancedStatusCode and
// SetAuditSeverity, which the admin centre sets on every new rule).

// ruleConditions have an ExceptIf twin for each (the exceptions).
var ruleConditions = []string{
	"ADComparisonAttribute", "AnyOfCcHeader", "AnyOfCcHeaderMemberOf", "AnyOfRecipientAddressContainsWords",
	"AnyOfRecipientAddressMatchesPatterns", "AnyOfToCcHeader", "AnyOfToCcHeaderMemberOf", "AnyOfToHeader",
	"AnyOfToHeaderMemberOf", "AttachmentContainsWords", "AttachmentExtensionMatchesWords",
	"AttachmentHasExecutableContent", "AttachmentIsPasswordProtected", "AttachmentIsUnsupported",
	"AttachmentMatchesPatterns", "AttachmentNameMatchesPatterns", "AttachmentProcessingLimitExceeded",
	"AttachmentPropertyContainsWords", "AttachmentSizeOver", "BetweenMemberOf1", "BetweenMemberOf2",
	"ContentCharacterSetContainsWords", "From", "FromAddressContainsWords", "FromAddressMatchesPatterns",
	"FromMemberOf", "FromScope", "HasClassification", "HasNoClassification", "HasSenderOverride",
	"HeaderContainsMessageHeader", "HeaderContainsWords", "HeaderMatchesMessageHeader", "HeaderMatchesPatterns",
	"ManagerAddresses", "ManagerForEvaluatedUser", "MessageContainsDataClassifications", "MessageSizeOver",
	"MessageTypeMatches", "RecipientADAttributeContainsWords", "RecipientADAttributeMatchesPatterns",
	"RecipientAddressContainsWords", "RecipientAddressMatchesPatterns", "RecipientDomainIs",
	"RecipientInSenderList", "SCLOver", "SenderADAttributeContainsWords", "SenderADAttributeMatchesPatterns",
	"SenderDomainIs", "SenderInRecipientList", "SenderIpRanges", "SenderManagementRelationship", "SentTo",
	"SentToMemberOf", "SentToScope", "SubjectContainsWords", "SubjectMatchesPatterns",
	"SubjectOrBodyContainsWords", "SubjectOrBodyMatchesPatterns", "WithImportance",
}

var ruleActions = []string{
	"AddManagerAsRecipientType", "AddToRecipients", "ApplyClassification", "ApplyHtmlDisclaimerText", "ApplyOME",
	"ApplyRightsProtectionCustomizationTemplate", "ApplyRightsProtectionTemplate", "BlindCopyTo", "CopyTo",
	"DeleteMessage", "Disconnect", "GenerateIncidentReport", "GenerateNotification", "LogEventText",
	"ModerateMessageByManager", "ModerateMessageByUser", "NotifySender", "PrependSubject", "Quarantine",
	"RedirectMessageTo", "RejectMessageReasonText", "RemoveHeader", "RemoveOME", "RemoveOMEv2",
	"RemoveRMSAttachmentEncryption", "RouteMessageOutboundConnector", "RouteMessageOutboundRequireTls",
	"SetHeaderName", "SetHeaderValue", "SetSCL", "SmtpRejectMessageRejectStatusCode",
	"SmtpRejectMessageRejectText", "StopRuleProcessing",
}

// RulePredicateRole says whether a transport-rule property is a
// condition, an exception or an action ("" for anything else), so that
// readers of an export and verify.ps1 agree on what a rule does.
func RulePredicateRole(prop string) string {
	for _, a := range ruleActions {
		if strings.EqualFold(a, prop) {
			return string(roleAction)
		}
	}
	base, exception := prop, false
	if len(prop) > len("ExceptIf") && strings.EqualFold(prop[:len("ExceptIf")], "ExceptIf") {
		base, exception = prop[len("ExceptIf"):], true
	}
	for _, c := range ruleConditions {
		if strings.EqualFold(c, base) {
			if exception {
				return string(roleException)
			}
			return string(roleCondition)
		}
	}
	return ""
}

// rulePredicates lists every condition, exception and action, for
// verify.ps1's check that nobody added one to relaywiz's rules.
func rulePredicates() []string {
	out := append([]string(nil), ruleConditions...)
	for _, c := range ruleConditions {
		out = append(out, "ExceptIf"+c)
	}
	return append(out, ruleActions...)
}
