package steps

import (
	"net"
	"strings"
)

// caveat is a fact a step rests on that the verified cmdlet reference
// (shared/reference/exchange-cmdlets.md) could not confirm, or only
// inferred. The generated checklist and scripts print it at the step that
// depends on it, so the admin knows what to test before trusting it.
type caveat struct {
	Kind string // "UNVERIFIED", "INFERRED" or "NOTE"
	Text string // one paragraph, no line breaks, no user values
}

// Label is how the caveat is introduced in print.
func (c caveat) Label() string { return c.Kind }

var (
	cavIgnoreRecipients = caveat{"UNVERIFIED",
		"The header x-zivver-ignore-smtp-recipients: true and what Zivver does with it are documented only in Zivver's own manuals; no Microsoft or other public source confirms them."}
	cavRedirectAndHeader = caveat{"UNVERIFIED",
		"Microsoft does not document whether one rule can both redirect a message and set a header on the redirected copy; Zivver's manual relies on it. After the first test message, check in message tracking (Get-MessageTrackingLog -EventId REDIRECT) that the redirect happened and ask Zivver support to confirm the header arrived."}
	cavLabelWords = caveat{"UNVERIFIED",
		"Whether word matching finds MSIP_Label_<GUID>_Enabled=True inside the msip_labels header (with the _ and = inside the token) is not confirmed. Test it with Test-Message on a labelled message before you rely on it. Zivver's manual writes MSIP_Labels_...; Office writes MSIP_Label_... (Microsoft Information Protection SDK), which relaywiz uses."}
	cavTLSMapping = caveat{"INFERRED",
		"The admin-centre option 'Always use TLS, issued by a trusted certificate authority' is set with -TlsSettings CertificateValidation; the mapping follows from the parameter's documentation, not from a statement that names both."}
	cavCMGInbound = caveat{"INFERRED",
		"Cryptshare describes the gateway-to-Microsoft-365 connector in admin-centre words only (from your organisation's email server, identified by the gateway's public IP); relaywiz creates it as -ConnectorType OnPremises -SenderDomains * -SenderIPAddresses <gateway IP>."}
	cavDisableNotDelete = caveat{"INFERRED",
		"Cryptshare's manual removes the existing send connector. relaywiz disables it instead (Set-SendConnector -Enabled $false): mail flows the same, and undo.ps1 can switch it back on. Delete it yourself once the gateway has run for a while."}
	cavSizeDefault = caveat{"NOTE",
		"Microsoft documents the default size limit of a new send connector inconsistently (10, 25 or 35 MB), so relaywiz always sets -MaxMessageSize explicitly."}
	cavAuditMode = caveat{"INFERRED",
		"Test-Message works only in Exchange Online. On-premises, try a rule without effect by setting it to -Mode Audit (the admin centre's 'Test without Policy Tips'; the mapping is inferred) and reading Get-MessageTrackingLog."}
	cavFromScope = caveat{"NOTE",
		"'Inside the organization' (-FromScope InOrganization) matches only mail that arrived over an authenticated connection from an internal sender; applications that relay anonymously may not match."}
	cavFromPerson = caveat{"NOTE",
		"'The sender is this person' (-From) accepts only senders that exist in your organisation (mailbox, mail user or contact). For any other address, create a mail contact for it first."}
	cavWords = caveat{"NOTE",
		"Subject words match whole words or phrases, without case, wildcards or partial matches: Secure matches 'Secure: invoice' but not 'Unsecured'."}
	cavDomainPatterns = caveat{"INFERRED",
		"Microsoft does not say whether a rule-scoped connector still honours its own recipient-domain list. apply.ps1 therefore copies that list into the rule as address patterns (each domain becomes a pattern that matches addresses ending in @domain), so routing stays the same either way."}
	// cavIPSmartHost is added when a BasicAuthRequireTLS connector is given
	// an IP address as its smart host (see checks.ExchangeCertValidation).
	cavIPSmartHost = caveat{"WARNING",
		"The smart host is an IP address. With BasicAuthRequireTLS Exchange checks the smart host's certificate against the connector's smart-host name, which becomes [a.b.c.d] and no certificate can match: Exchange will queue the mail with 454 4.7.5 Certificate validation failure (in the queue: 451 4.4.0 Primary target IP address responded with: \"454 4.7.5 Certificate validation failure\"). Use the provider's host name as the smart host."}
	cavRuleScoped = caveat{"NOTE",
		"A connector that a rule routes to should be rule-scoped (-IsTransportRuleScoped $true), as Microsoft's examples always pair them; whether Exchange refuses an unscoped one is not documented (UNVERIFIED), so relaywiz never relies on it."}
)

// smartHostCaveats adds cavIPSmartHost to cavs when the BasicAuthRequireTLS
// connector's smart host is an IP address.
func smartHostCaveats(host string, cavs ...caveat) []caveat {
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		cavs = append(cavs, cavIPSmartHost)
	}
	return cavs
}
