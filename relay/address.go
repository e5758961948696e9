package relay

import (
	"strings"

	"github.com/emersion/go-smtp"
)

// go-smtp has already parsed the path syntax (angle brackets, quoting);
// these checks add what a smart host would otherwise refuse later, so the
// client hears about a bad address at once and with the right code
// (RFC 3463: X.1.7 bad sender, X.1.3 bad recipient syntax).

// validateSender accepts the null sender "" (used for bounces) or a
// plausible mailbox.
func validateSender(addr string) error {
	if addr == "" {
		return nil
	}
	if msg := mailboxProblem(addr); msg != "" {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address <" + addr + ">: " + msg}
	}
	return nil
}

// validateRecipient insists on local@domain.
func validateRecipient(addr string) error {
	if msg := mailboxProblem(addr); msg != "" {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address <" + addr + ">: " + msg}
	}
	return nil
}

// mailboxProblem describes what is wrong with addr, or returns "".
func mailboxProblem(addr string) string {
	if len(addr) > 254 {
		return "longer than 254 characters"
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "expected local-part@domain"
	}
	local, domain := addr[:at], addr[at+1:]
	if len(local) > 64 {
		return "local part longer than 64 characters"
	}
	for _, r := range addr {
		if r < ' ' || r == 0x7f {
			return "contains a control character"
		}
	}
	// Outside quotes a local part has no spaces, brackets or separators:
	// "a> NOTIFY=NEVER <b@c" would otherwise smuggle SMTP parameters.
	quoted := len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"'
	if !quoted && strings.ContainsAny(local, " \t<>()[],;:\\\"") {
		return "the local part " + local + " contains characters that are not allowed unquoted"
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		if strings.ContainsAny(domain[1:len(domain)-1], " \t[]<>") {
			return "malformed address literal " + domain
		}
		return "" // address literal such as [127.0.0.1]
	}
	if strings.ContainsAny(domain, " \t,;<>()\"\\") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "malformed domain " + domain
	}
	return ""
}
