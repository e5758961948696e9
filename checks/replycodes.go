package checks

// The reply-code catalogue: turns an SMTP reply line, a bare enhanced status
// code, a go-smtp error or the text of a non-delivery report into a
// person-readable meaning, the most likely cause in a relaywiz setup
// (Exchange → provider smart host) and the fix.
//
// Specific entries (reply + enhanced code + wording seen in the field) win over
// generic ones; when nothing specific matches we fall back to the RFC 3463
// class/subject/detail meanings so that every well-formed code gets at least a
// sensible explanation.

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
)

// ReplyInfo explains one SMTP reply.
type ReplyInfo struct {
	Code      int    // basic reply code (e.g. 535); 0 when only an enhanced code was given
	Enhanced  string // enhanced status code (e.g. "5.7.8"); "" when unknown
	Meaning   string // what the server is saying, in plain words
	Cause     string // the likely cause in an Exchange → smart host setup
	Fix       string // what to do next
	Temporary bool   // 4xx / 4.x.x: the sender will retry by itself
}

// replyEntry is one catalogue row. Code 0 / Enhanced "" mean "any". When
// Words is non-empty at least one of them (case-insensitive) must occur in the
// text: that is how we tell "451 5.7.3 Require basic authentication" apart
// from "451 5.7.3 STARTTLS is required".
type replyEntry struct {
	Code     int
	Enhanced string
	Words    []string
	// Names are distinctive tokens (e.g. "TenantAttribution") that identify
	// the row on their own, so pasting only that part of an NDR still works.
	Names   []string
	Meaning string
	Cause   string
	Fix     string
}

// replyCatalogue lists the specific replies; order matters only for ties (earlier
// wins), so more specific rows come first.
var replyCatalogue = []replyEntry{
	// --- TLS / STARTTLS ---------------------------------------------------
	{Code: 530, Enhanced: "5.7.0", Words: []string{"starttls"},
		Meaning: "The server refuses the command until the session is encrypted with STARTTLS.",
		Cause:   "The client (Exchange send connector, relaywiz or the embedded relay) talked to the smart host without starting TLS first, or a firewall stripped STARTTLS from the EHLO reply.",
		Fix:     "Require TLS on the send connector (RequireTLS $true / \"Always use TLS\"), make sure nothing between Exchange and the smart host (e.g. Cisco ASA ESMTP inspection) removes STARTTLS, and rerun `relaywiz check`."},
	{Code: 454, Enhanced: "4.7.0", Words: []string{"tls"},
		Meaning: "TLS is temporarily unavailable on the server.",
		Cause:   "The smart host could not start TLS right now (certificate or key problem on its side, or overload).",
		Fix:     "Exchange will retry by itself. If it persists, run `relaywiz check` to see the TLS stage and contact the provider; do not fall back to plaintext."},
	{Code: 451, Enhanced: "5.7.3", Words: []string{"starttls", "tls is required"},
		Meaning: "The receiving side requires TLS but the connection was not encrypted (Exchange reports this inside its own NDR/queue error).",
		Cause:   "The Exchange connector and its certificate do not match: often TlsCertificateName still points at a renewed/removed certificate, or the connector does not offer TLS to this peer.",
		Fix:     "Check the connector's TlsCertificateName against the current certificate (Get-ExchangeCertificate), set it to the new issuer/subject, restart MSExchangeTransport and retry the queue."},
	{Code: 450, Enhanced: "4.4.317", Names: []string{"4.4.317"},
		Meaning: "Exchange could not connect to the remote server; the queue will retry.",
		Cause:   "Typically a TLS mismatch between the Exchange connector and the smart host (often after a certificate renewal: TlsCertificateName no longer matches), or the smart host requires STARTTLS and Exchange could not start it.",
		Fix:     "Read the inner reply in the queue's LastError (e.g. 451 5.7.3 STARTTLS is required), fix TlsCertificateName / RequireTLS on the send connector, then Retry-Queue. `relaywiz check` shows what the smart host offers."},
	{Code: 523, Enhanced: "5.7.10", Words: nil,
		Meaning: "Encryption is needed for this operation.",
		Cause:   "The smart host only accepts mail (or AUTH) over an encrypted session and the client did not use TLS.",
		Fix:     "Enable TLS on the send connector (or use port 587 with STARTTLS) and make sure STARTTLS is not stripped on the way."},
	{Code: 538, Enhanced: "5.7.11", Words: nil,
		Meaning: "This authentication mechanism is only allowed over an encrypted connection.",
		Cause:   "The client tried AUTH (LOGIN/PLAIN) before STARTTLS. Exchange does this when the connector allows basic auth without TLS.",
		Fix:     "Enable \"Offer basic authentication only after starting TLS\" (RequireTLS $true) on the send connector and retry."},

	// --- authentication -----------------------------------------------------
	{Code: 530, Enhanced: "5.7.57", Names: []string{"client not authenticated to send mail"},
		Meaning: "Microsoft 365: the client is not authenticated to send mail.",
		Cause:   "MAIL FROM was sent to smtp.office365.com without a successful AUTH, e.g. a device or relay configured without credentials or with AUTH failing silently.",
		Fix:     "Configure authentication (the mailbox's full UPN) on the sending client, or use a connector-based relay instead of client submission."},
	{Code: 530, Enhanced: "5.7.0", Words: []string{"auth"},
		Meaning: "Authentication is required before sending mail.",
		Cause:   "The smart host only relays for authenticated clients and the send connector has no credentials, or AUTH was never offered because TLS was not started.",
		Fix:     "Set basic authentication with the provider credentials on the send connector (Set-SendConnector -AuthenticationCredential), with TLS required; store/test them with `relaywiz creds test`."},
	{Code: 530, Enhanced: "", Words: nil,
		Meaning: "Access denied: the server wants STARTTLS or AUTH before this command.",
		Cause:   "The session reached MAIL FROM without TLS and/or without authenticating to the smart host.",
		Fix:     "Require TLS and configure basic authentication on the send connector, then rerun `relaywiz check`."},
	{Code: 535, Enhanced: "5.7.139", Names: []string{"smtpclientauthentication is disabled"},
		Meaning: "Microsoft 365 refused SMTP AUTH: SMTP client authentication is disabled.",
		Cause:   "SMTP AUTH is blocked at one of three gates: Security Defaults, the tenant setting (SmtpClientAuthenticationDisabled) or the mailbox itself.",
		Fix:     "Check all three: Security Defaults in Entra ID, Get-TransportConfig | fl SmtpClientAuthenticationDisabled, and Get-CASMailbox <user> | fl SmtpClientAuthenticationDisabled. Prefer a connector-based relay over client submission."},
	{Code: 535, Enhanced: "5.7.3", Words: nil,
		Meaning: "Authentication unsuccessful.",
		Cause:   "Microsoft 365 rejected the login: SMTP AUTH disabled for the tenant or mailbox, Security Defaults on, or wrong credentials.",
		Fix:     "Verify the user name (full UPN) and password, then check SmtpClientAuthenticationDisabled on the tenant and the mailbox and whether Security Defaults are on."},
	{Code: 535, Enhanced: "5.7.8", Words: nil,
		Meaning: "Authentication credentials are invalid.",
		Cause:   "The smart host rejected the user name or password stored on the send connector (or in relaywiz's keyring): typo, expired/rotated password, a short name where the full address/UPN is expected, or an app password is required.",
		Fix:     "Re-enter the credentials from the provider portal (`relaywiz creds set`, then `relaywiz creds test`), update the connector's AuthenticationCredential with the same values, and retry the queue."},
	{Code: 535, Enhanced: "", Words: nil,
		Meaning: "Authentication failed.",
		Cause:   "The smart host did not accept the credentials on the send connector.",
		Fix:     "Check user name and password with `relaywiz creds test` and update the connector's AuthenticationCredential."},
	{Code: 534, Enhanced: "5.7.9", Words: nil,
		Meaning: "The authentication mechanism is too weak for this server.",
		Cause:   "The client offered a mechanism the smart host does not accept (e.g. PLAIN/LOGIN without TLS, or a policy requiring something stronger).",
		Fix:     "Use TLS before AUTH and a mechanism the server advertises after STARTTLS (see `relaywiz check`); ask the provider which mechanisms it accepts."},
	{Code: 451, Enhanced: "5.7.3", Words: []string{"basic authentication", "require basic auth"},
		Meaning: "Exchange could not authenticate to the smart host with basic authentication.",
		Cause:   "The smart host advertises only AUTH PLAIN (or no AUTH before TLS) but Exchange's send connector uses AUTH LOGIN for basic authentication.",
		Fix:     "Make the smart host advertise AUTH LOGIN (after STARTTLS). With the embedded relaywiz relay LOGIN is offered; check the advertised list with `relaywiz check`."},
	{Code: 454, Enhanced: "4.7.0", Words: nil,
		Meaning: "Temporary failure: TLS not available right now or a temporary authentication problem.",
		Cause:   "The smart host could not complete STARTTLS or AUTH at the moment (backend for credentials down, rate limit, TLS trouble).",
		Fix:     "Exchange retries automatically. If it lasts, run `relaywiz check` and contact the provider."},
	{Code: 550, Enhanced: "5.7.30", Words: []string{"basic auth"},
		Meaning: "Microsoft 365: basic authentication is not supported for client submission.",
		Cause:   "The tenant no longer accepts user name/password on smtp.office365.com (Basic auth retirement for SMTP AUTH, see MC786329).",
		Fix:     "Move to OAuth (XOAUTH2) for client submission or, better for this setup, route through a connector-based relay to the provider's smart host."},

	// --- relaying / tenant attribution ---------------------------------------
	{Code: 550, Enhanced: "5.7.64", Names: []string{"tenantattribution"},
		Meaning: "Exchange Online could not attribute the message to your tenant: relay access denied (TenantAttribution).",
		Cause:   "The inbound connector that should accept mail from your on-prem server or the provider does not match: the sending certificate name or IP is not what the connector expects, or the certificate chain is not sent. ATTR36 means the certificate subject is not an accepted domain.",
		Fix:     "Compare the inbound connector's TlsSenderCertificateName / SenderIPAddresses with what the sender presents (certificate subject/SAN, egress IP), make the certificate name an accepted domain, and send the full chain."},
	{Code: 0, Enhanced: "5.7.1", Words: []string{"relay"},
		Meaning: "Relaying denied: the server will not forward this message for you.",
		Cause:   "The client is not authenticated to the smart host or its IP is not allowed to relay. On Exchange as the relay: the receive connector lacks ms-Exch-SMTP-Accept-Any-Recipient for the source. For the Online custom relay: the sender domain is not on the provider's allowlist.",
		Fix:     "Configure AUTH (with TLS) on the send connector, or ask the provider to allow your egress IP/domain; on Exchange receive connectors grant ms-Exch-SMTP-Accept-Any-Recipient to the relaying source only."},

	// --- size ------------------------------------------------------------------
	{Code: 550, Enhanced: "5.3.4", Words: []string{"overadvertisedsize"},
		Meaning: "The message became larger than the size the next hop advertised.",
		Cause:   "The message grew (often by about a third) when Exchange converted it (e.g. to MIME/base64), and is now above the smart host's SIZE limit.",
		Fix:     "Keep messages well below the provider limit, raise the connector's MaxMessageSize only up to the smart host's advertised SIZE, and tell users the effective limit."},
	{Code: 552, Enhanced: "5.3.4", Words: nil,
		Meaning: "The message exceeds the fixed maximum message size.",
		Cause:   "A size limit was hit: organisation, send connector, mailbox or the smart host's own SIZE limit (e.g. 50 MB at Zivver).",
		Fix:     "Compare Get-TransportConfig / Get-SendConnector MaxMessageSize with the SIZE the smart host advertises (`relaywiz check`) and align them; send a smaller message."},
	{Code: 552, Enhanced: "", Words: nil,
		Meaning: "Requested action aborted: storage allocation or size exceeded.",
		Cause:   "The message is larger than a limit on the smart host or the recipient mailbox.",
		Fix:     "Check the advertised SIZE (`relaywiz check`) and the connector limits; send a smaller message."},

	// --- addressing ------------------------------------------------------------
	{Code: 550, Enhanced: "5.1.1", Words: nil,
		Meaning: "The recipient address does not exist.",
		Cause:   "The mailbox is unknown at the destination. In this setup also: the message was redirected to the placeholder contact but the send connector for the placeholder domain does not exist or is scoped wrong, so Exchange tried to deliver to the placeholder address itself.",
		Fix:     "Check the recipient spelling; verify there is a send connector whose address space is the placeholder domain and that it points at the smart host."},
	{Code: 554, Enhanced: "5.7.1", Words: nil,
		Meaning: "Transaction failed: rejected by policy.",
		Cause:   "The smart host refused the message by policy: sender not permitted (domain not on the provider's allowlist, SPF fail), relay not allowed for this client, or content rejected.",
		Fix:     "Read the text after the code; check that the sender domain is registered with the provider and its SPF includes the sending servers; authenticate the connector."},

	// --- transient / generic with setup-specific advice ----------------------------
	{Code: 421, Enhanced: "", Words: nil,
		Meaning: "The service is not available and the server is closing the connection.",
		Cause:   "The smart host is overloaded, shutting down, rate-limiting you, or (with a relay in between) the upstream is slow and the relay gave up; a timeout after the final dot looks the same.",
		Fix:     "Exchange retries by itself. If it repeats, check the provider's status, raise client timeouts, and with the embedded relay look at its upstream transcript."},
	{Code: 450, Enhanced: "", Words: nil,
		Meaning: "Mailbox temporarily unavailable (busy, greylisting or a temporary policy block).",
		Cause:   "The smart host or the recipient side deferred the message, often greylisting or a rate limit.",
		Fix:     "Nothing to change if it goes through on retry; if it persists, ask the provider why your server is deferred."},
	{Code: 451, Enhanced: "", Words: nil,
		Meaning: "Local error in processing; the action was aborted and may be retried.",
		Cause:   "A temporary problem on the smart host (or in Exchange's own transport), e.g. backend unavailable or a failing lookup.",
		Fix:     "Let the queue retry; if it repeats, read the full text and the queue's LastError, and check the smart host with `relaywiz check`."},
	{Code: 452, Enhanced: "", Words: nil,
		Meaning: "Insufficient system storage or too many recipients for now.",
		Cause:   "The smart host is short of disk/queue space, or the message had more recipients than it accepts per transaction.",
		Fix:     "Exchange retries by itself; reduce recipients per message if it is the recipient limit."},
	{Code: 501, Enhanced: "", Words: nil,
		Meaning: "Syntax error in parameters or arguments.",
		Cause:   "A command had a malformed argument, e.g. an invalid address in MAIL FROM/RCPT TO, a bad EHLO name, or broken AUTH data.",
		Fix:     "Check the sender/recipient addresses and the EHLO/FQDN the connector announces (Set-SendConnector -Fqdn)."},
	{Code: 503, Enhanced: "", Words: nil,
		Meaning: "Bad sequence of commands.",
		Cause:   "Commands arrived in the wrong order, e.g. MAIL before EHLO, AUTH after MAIL, or AUTH when the server expects STARTTLS first.",
		Fix:     "Usually a client or middlebox issue: check that nothing rewrites the SMTP dialogue (ASA ESMTP inspection) and compare with `relaywiz check -v`."},
	{Code: 504, Enhanced: "", Words: nil,
		Meaning: "Command parameter not implemented (for AUTH: unrecognised mechanism).",
		Cause:   "The client asked for a mechanism or parameter the smart host does not support, e.g. AUTH LOGIN where only PLAIN is available.",
		Fix:     "Compare the AUTH mechanisms advertised after STARTTLS (`relaywiz check`) with what Exchange uses (LOGIN) and ask the provider to enable it."},
}

// Basic reply codes (RFC 5321, RFC 4954, RFC 7504) used when no row matched.
var replyBasicMeanings = map[int]string{
	211: "System status reply.",
	214: "Help message.",
	220: "Service ready (greeting).",
	221: "Service closing the connection.",
	235: "Authentication succeeded.",
	250: "Requested action completed.",
	251: "User not local; the server will forward.",
	252: "Cannot verify the user, but will accept the message.",
	334: "Server challenge during authentication.",
	354: "Start mail input; end with <CRLF>.<CRLF>.",
	421: "Service not available, closing the connection.",
	432: "A password transition is needed.",
	450: "Mailbox unavailable (temporarily).",
	451: "Local error in processing (temporary).",
	452: "Insufficient system storage (temporary).",
	454: "Temporary authentication failure or TLS not available.",
	455: "Server unable to accommodate the parameters.",
	500: "Syntax error, command unrecognised.",
	501: "Syntax error in parameters or arguments.",
	502: "Command not implemented.",
	503: "Bad sequence of commands.",
	504: "Command parameter not implemented.",
	521: "This host does not accept mail.",
	523: "Encryption needed.",
	530: "Authentication (or STARTTLS) required.",
	534: "Authentication mechanism is too weak.",
	535: "Authentication credentials invalid.",
	538: "Encryption required for the requested authentication mechanism.",
	550: "Requested action not taken: mailbox unavailable or rejected by policy.",
	551: "User not local.",
	552: "Exceeded storage allocation or message size.",
	553: "Mailbox name not allowed.",
	554: "Transaction failed.",
	555: "MAIL FROM/RCPT TO parameters not recognised or not implemented.",
	556: "The domain does not accept mail.",
}

// RFC 3463 subjects (the middle number) and details (RFC 3463 plus the IANA
// registry additions from RFC 4954, RFC 5248, RFC 7372 and friends).
var replyEnhancedSubjects = map[int]string{
	0: "other or undefined status",
	1: "addressing status",
	2: "mailbox status",
	3: "mail system status",
	4: "network and routing status",
	5: "mail delivery protocol status",
	6: "message content or media status",
	7: "security or policy status",
}

var replyEnhancedDetails = map[string]string{
	"0.0": "Other undefined status.",
	"1.0": "Other address status.", "1.1": "Bad destination mailbox address.",
	"1.2": "Bad destination system address.", "1.3": "Bad destination mailbox address syntax.",
	"1.4": "Destination mailbox address ambiguous.", "1.5": "Destination address valid.",
	"1.6": "Destination mailbox has moved.", "1.7": "Bad sender's mailbox address syntax.",
	"1.8": "Bad sender's system address.", "1.10": "Recipient address has a null MX.",
	"2.0": "Other or undefined mailbox status.", "2.1": "Mailbox disabled, not accepting messages.",
	"2.2": "Mailbox full.", "2.3": "Message length exceeds administrative limit.",
	"2.4": "Mailing list expansion problem.",
	"3.0": "Other or undefined mail system status.", "3.1": "Mail system full.",
	"3.2": "System not accepting network messages.", "3.3": "System not capable of selected features.",
	"3.4": "Message too big for system.", "3.5": "System incorrectly configured.",
	"4.0": "Other or undefined network or routing status.", "4.1": "No answer from host.",
	"4.2": "Bad connection.", "4.3": "Directory server failure.", "4.4": "Unable to route.",
	"4.5": "Mail system congestion.", "4.6": "Routing loop detected.", "4.7": "Delivery time expired.",
	"5.0": "Other or undefined protocol status.", "5.1": "Invalid command.", "5.2": "Syntax error.",
	"5.3": "Too many recipients.", "5.4": "Invalid command arguments.", "5.5": "Wrong protocol version.",
	"5.6": "Authentication exchange line is too long.",
	"6.0": "Other or undefined media error.", "6.1": "Media not supported.",
	"6.2": "Conversion required and prohibited.", "6.3": "Conversion required but not supported.",
	"6.4": "Conversion with loss performed.", "6.5": "Conversion failed.",
	"7.0": "Other or undefined security status.", "7.1": "Delivery not authorised, message refused.",
	"7.2": "Mailing list expansion prohibited.", "7.3": "Security conversion required but not possible.",
	"7.4": "Security features not supported.", "7.5": "Cryptographic failure.",
	"7.6": "Cryptographic algorithm not supported.", "7.7": "Message integrity failure.",
	"7.8": "Authentication credentials invalid.", "7.9": "Authentication mechanism is too weak.",
	"7.10": "Encryption needed.", "7.11": "Encryption required for requested authentication mechanism.",
	"7.12": "A password transition is needed.", "7.13": "User account disabled.",
	"7.14": "Trust relationship required.", "7.15": "Priority level is too low.",
	"7.16": "Message is too big for the specified priority.", "7.17": "Mailbox owner has changed.",
	"7.18": "Domain owner has changed.", "7.19": "RRVS test cannot be completed.",
	"7.20": "No passing DKIM signature found.", "7.21": "No acceptable DKIM signature found.",
	"7.22": "No valid author-matched DKIM signature found.", "7.23": "SPF validation failed.",
	"7.24": "SPF validation error.", "7.25": "Reverse DNS validation failed.",
	"7.26": "Multiple authentication checks failed.", "7.27": "Sender address has a null MX.",
	"7.28": "Mail flood detected.", "7.29": "ARC validation failure.", "7.30": "REQUIRETLS support required.",
}

// Generic causes/fixes per subject, phrased for the smart-host hop.
var replySubjectAdvice = map[int][2]string{
	1: {"An address in the envelope is wrong or unknown (recipient, sender, or the placeholder contact's address).",
		"Check the addresses in the message and the placeholder contact/send connector address space."},
	2: {"The recipient mailbox cannot take the message right now or at all.",
		"Check the recipient mailbox; nothing to change on the smart-host route."},
	3: {"The receiving mail system (smart host or destination) cannot handle the message as sent.",
		"Check sizes and features advertised by the smart host (`relaywiz check`) against the connector settings."},
	4: {"The route to the next hop failed: DNS, connection, congestion or a loop.",
		"Check the smart host name and port on the send connector, DNS and firewall (`relaywiz check`), and the transport rules for loops."},
	5: {"The SMTP dialogue itself went wrong (command order, syntax, limits).",
		"Compare the transcript of `relaywiz check -v` with what Exchange sends; look for middleboxes that rewrite SMTP."},
	6: {"The message content or encoding was not acceptable.",
		"Resend a plain test message (`relaywiz send`) to isolate the content."},
	7: {"A security or policy rule rejected the session or message (TLS, authentication, relay permission, sender policy).",
		"Check TLS and authentication on the send connector and ask the provider whether your sender domain/IP is allowed."},
	0: {"The server did not say more than the class of the problem.",
		"Read the text after the code and check the smart host with `relaywiz check`."},
}

var (
	// "550 5.7.1", "550-5.7.1", "#550 5.7.1", "'451 4.4.317" …
	replyReCodeEnhanced = regexp.MustCompile(`(?:^|[^\d.])([2-5]\d\d)[ \-]+([245]\.\d{1,3}\.\d{1,3})`)
	// go-smtp: "SMTP error 550: …"
	replyReGoSMTP = regexp.MustCompile(`(?i)smtp error (\d{3})\b`)
	// a bare reply code at the start of the text or after a quote/# (NDR style)
	replyReLeadingCode = regexp.MustCompile(`(?:^|['"#\s(\[])([2-5][0-5]\d)(?:[ \-'"\])]|$)`)
	replyReEnhanced    = regexp.MustCompile(`[245]\.\d{1,3}\.\d{1,3}`)
)

// replyMaxLookupText bounds the work for pasted NDRs: a code is always near the
// start of a reply line, and NDRs quote it in the first few KiB.
const replyMaxLookupText = 64 << 10

// parseReplyText extracts the basic code and enhanced code from free text.
func parseReplyText(text string) (code int, enhanced string) {
	if len(text) > replyMaxLookupText {
		text = text[:replyMaxLookupText]
	}
	if m := replyReCodeEnhanced.FindStringSubmatch(text); m != nil {
		code, _ = strconv.Atoi(m[1])
		return code, m[2]
	}
	if m := replyReGoSMTP.FindStringSubmatch(text); m != nil {
		code, _ = strconv.Atoi(m[1])
	} else if m := replyReLeadingCode.FindStringSubmatch(strings.TrimSpace(text)); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	return code, replyFindEnhanced(text)
}

// replyFindEnhanced returns the first x.y.z that is not part of a longer dotted
// number (an IP address like 10.4.5.6 must not read as 4.5.6).
func replyFindEnhanced(text string) string {
	for _, loc := range replyReEnhanced.FindAllStringIndex(text, 16) {
		s, e := loc[0], loc[1]
		if s > 0 && (replyIsDigit(text[s-1]) || text[s-1] == '.') {
			continue
		}
		if e < len(text) && replyIsDigit(text[e]) {
			continue
		}
		if e+1 < len(text) && text[e] == '.' && replyIsDigit(text[e+1]) {
			continue
		}
		return text[s:e]
	}
	return ""
}

func replyIsDigit(b byte) bool { return b >= '0' && b <= '9' }

// LookupReply explains a reply line, a bare enhanced code, a go-smtp error
// string or NDR text. ok is false when no code or known wording was found.
// When Exchange wrapped the remote reply in its own, the innermost reply is
// the one explained (see ExplainLayers for all of them).
func LookupReply(text string) (ReplyInfo, bool) {
	if layers := ExplainLayers(text); len(layers) > 0 {
		return layers[0].Info, true
	}
	return ReplyInfo{}, false
}

// lookupOne explains text as a single reply.
func lookupOne(text string) (ReplyInfo, bool) {
	code, enh := parseReplyText(text)
	lower := strings.ToLower(text)
	if len(lower) > replyMaxLookupText {
		lower = lower[:replyMaxLookupText]
	}

	var best *replyEntry
	bestScore := 0
	for _, rows := range [][]replyEntry{replyCatalogue, ndrCatalogue} {
		for i := range rows {
			if s := replyScore(rows[i], code, enh, lower); s > bestScore {
				best, bestScore = &rows[i], s
			}
		}
	}
	if best != nil {
		e := *best
		info := ReplyInfo{Code: code, Enhanced: enh, Meaning: e.Meaning, Cause: e.Cause, Fix: e.Fix}
		if info.Code == 0 {
			info.Code = e.Code
		}
		if info.Enhanced == "" && !strings.Contains(e.Enhanced, "-") {
			info.Enhanced = e.Enhanced
		}
		info.Temporary = replyIsTemporary(info.Code, info.Enhanced)
		return info, true
	}
	return replyGeneric(code, enh)
}

// replyScore rates how well an entry fits; 0 means "does not apply".
func replyScore(e replyEntry, code int, enh, lower string) int {
	s := 0
	for _, n := range e.Names {
		if strings.Contains(lower, n) {
			// A distinctive name is as good as the codes, unless the codes
			// given contradict the row.
			s += 16
			break
		}
	}
	if e.Code != 0 && code != 0 {
		if e.Code != code {
			return 0
		}
		s += 4
	}
	if e.Enhanced != "" && enh != "" {
		if !replyEnhancedMatches(e.Enhanced, enh) {
			return 0
		}
		s += 8
	}
	if len(e.Words) > 0 {
		hit := false
		for _, w := range e.Words {
			if strings.Contains(lower, w) {
				hit = true
				break
			}
		}
		if !hit {
			return 0
		}
		s += 16
	}
	// An entry that pins an enhanced code must not match on the basic code
	// alone when the text carries no enhanced code and no telling words:
	// "535" alone should get the generic 535 row, not 535 5.7.139.
	if e.Enhanced != "" && enh == "" && s < 16 {
		return 0
	}
	// Likewise an entry that pins a basic code needs more than the class.
	if e.Code != 0 && code == 0 && enh == "" && s < 16 {
		return 0
	}
	// Prefer rows that pin exactly what was given over wildcard rows.
	if e.Enhanced == "" && enh != "" {
		s--
	}
	return s
}

// replyEnhancedMatches compares a row's enhanced code with the one given; a
// row may name a range of details, "5.7.606-649", as Microsoft documents
// whole blocks of codes with one meaning.
func replyEnhancedMatches(row, enh string) bool {
	lo, hi, isRange := strings.Cut(row, "-")
	if !isRange {
		return row == enh
	}
	cut := strings.LastIndexByte(lo, '.')
	if cut < 0 || !strings.HasPrefix(enh, lo[:cut+1]) {
		return false
	}
	from, err1 := strconv.Atoi(lo[cut+1:])
	to, err2 := strconv.Atoi(hi)
	d, err3 := strconv.Atoi(enh[cut+1:])
	return err1 == nil && err2 == nil && err3 == nil && d >= from && d <= to
}

func replyIsTemporary(code int, enh string) bool {
	if code != 0 {
		return code/100 == 4
	}
	return strings.HasPrefix(enh, "4.")
}

// replyGeneric builds an answer from the RFC tables when no catalogue row fits.
func replyGeneric(code int, enh string) (ReplyInfo, bool) {
	if code == 0 && enh == "" {
		return ReplyInfo{}, false
	}
	info := ReplyInfo{Code: code, Enhanced: enh, Temporary: replyIsTemporary(code, enh)}
	var parts []string
	subject := 0
	if enh != "" {
		rest := enh[2:] // "7.1" from "5.7.1"
		subject, _ = strconv.Atoi(strings.SplitN(rest, ".", 2)[0])
		if d, ok := replyEnhancedDetails[rest]; ok {
			parts = append(parts, d)
		} else if s, ok := replyEnhancedSubjects[subject]; ok {
			parts = append(parts, "Unlisted code in the "+s+" group.")
		}
	}
	if m, ok := replyBasicMeanings[code]; ok {
		parts = append(parts, m)
	} else if code != 0 {
		parts = append(parts, fmt.Sprintf("Reply code %d is not a standard one.", code))
	}
	if len(parts) == 0 {
		return ReplyInfo{}, false
	}
	info.Meaning = strings.Join(parts, " ")
	class := code / 100
	if class == 0 {
		class = int(enh[0] - '0')
	}
	switch class {
	case 2, 3:
		info.Cause = "This is not an error."
		info.Fix = "Nothing to do."
		return info, true
	}
	adv, ok := replySubjectAdvice[subject]
	if !ok {
		adv = replySubjectAdvice[0]
	}
	info.Cause, info.Fix = adv[0], adv[1]
	if info.Temporary {
		info.Fix = "Temporary: Exchange retries by itself. If it persists: " + replyLowerFirst(info.Fix)
	}
	return info, true
}

func replyLowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// HintFor returns a one-line hint for an error chain that contains a
// *smtp.SMTPError, or "" when there is none or the code is unknown.
func HintFor(err error) string {
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se == nil {
		return ""
	}
	info, ok := LookupReply(replyWireText(se))
	if !ok {
		return ""
	}
	return info.Hint()
}

// ReplyText is err as a person should read it: an SMTP reply in the chain
// in its wire form with its enhanced code ("535 5.7.8 Authentication
// credentials invalid"; go-smtp's own Error() drops the 5.7.8), else the
// error's text.
func ReplyText(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se != nil {
		return replyWireText(se)
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// replyWireText rebuilds the wire form "550 5.7.1 text"; go-smtp moves the
// enhanced code out of Message when it parses a reply.
func replyWireText(se *smtp.SMTPError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%03d", se.Code)
	ec := se.EnhancedCode
	if ec != smtp.NoEnhancedCode && ec != smtp.EnhancedCodeNotSet && ec[0] > 0 {
		fmt.Fprintf(&b, " %d.%d.%d", ec[0], ec[1], ec[2])
	}
	if se.Message != "" {
		b.WriteString(" ")
		b.WriteString(se.Message)
	}
	return b.String()
}

// Hint is the short form used in check results: cause, then fix.
func (r ReplyInfo) Hint() string {
	switch {
	case r.Cause != "" && r.Fix != "":
		return r.Cause + " Fix: " + r.Fix
	case r.Fix != "":
		return r.Fix
	default:
		return r.Meaning
	}
}
