package steps

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The syntax checks below return "" when the value is fine, or a message
// that says what is wrong in terms an admin can act on. They are stricter
// than Exchange where Exchange's own rules are vague (e.g. no Unicode host
// names: the punycode form always works).

// MaxNameLen is Exchange's limit for object names (-Name of transport
// rules, mail contacts) and aliases.
const MaxNameLen = 64

// MaxWordLen is the longest subject word or phrase a transport rule takes.
const MaxWordLen = 128

var labelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// checkDomain accepts a fully qualified DNS domain in ASCII (punycode for
// international names): at least two labels, 1–63 characters each,
// letters/digits/hyphens, no hyphen at either end, 253 characters at most,
// and a top-level label that is not all digits.
func checkDomain(s string) string {
	if s == "" {
		return "is empty"
	}
	if strings.HasSuffix(s, ".") {
		s = strings.TrimSuffix(s, ".")
	}
	if len(s) > 253 {
		return "is longer than 253 characters"
	}
	for _, r := range s {
		if r > unicode.MaxASCII {
			return "contains non-ASCII characters: use the punycode (xn--) form"
		}
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "is not a fully qualified domain name (expected something like example.com)"
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return fmt.Sprintf("has an invalid label %q (letters, digits and inner hyphens, 1–63 characters)", l)
		}
	}
	if isAllDigits(labels[len(labels)-1]) {
		return "ends in a numeric label; an IP address is not a domain here"
	}
	return ""
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// checkHost accepts a DNS host name (as checkDomain) or an IPv4 address.
func checkHost(s string) string {
	if s == "" {
		return "is empty"
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if !a.Is4() {
			return "is an IPv6 address; use the host name or an IPv4 address"
		}
		return checkIPv4(s)
	}
	if msg := checkDomain(s); msg != "" {
		return msg + " (expected a host name like smtp.example.com or an IPv4 address)"
	}
	return ""
}

// checkServerName accepts an Exchange server name: a NetBIOS-style single
// label (EX01) or a fully qualified name.
func checkServerName(s string) string {
	if s == "" {
		return "is empty"
	}
	if !strings.Contains(s, ".") {
		if !labelRE.MatchString(s) {
			return "is not a valid server name (letters, digits and inner hyphens)"
		}
		return ""
	}
	return checkDomain(s)
}

// checkIPv4 accepts a single, usable IPv4 address. The Exchange Online
// connection-filter allow list and inbound connectors take IPv4 only.
func checkIPv4(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() || a.Zone() != "" {
		if err == nil && a.Is6() {
			return "is an IPv6 address; the allow list and connectors take IPv4 only"
		}
		return "is not an IPv4 address (expected four numbers like 203.0.113.25)"
	}
	if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "is not a host address"
	}
	return ""
}

// isPublicIPv4 reports whether Exchange Online could ever see mail coming
// from this address.
func isPublicIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return !(a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a)) // carrier-grade NAT
}

// localPartRE is the dot-atom form of RFC 5322 (no quoted local parts:
// Exchange aliases and most sender addresses never need them).
var localPartRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")

// checkLocalPart accepts a mailbox local part / Exchange alias.
func checkLocalPart(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > MaxNameLen {
		return fmt.Sprintf("is %d characters; at most %d are allowed", len(s), MaxNameLen)
	}
	if !localPartRE.MatchString(s) {
		return "may contain only letters, digits, the characters !#$%&'*+/=?^_`{|}~- and single inner dots"
	}
	return ""
}

// checkEmail accepts local@domain with the rules above.
func checkEmail(s string) string {
	at := strings.LastIndex(s, "@")
	if at <= 0 || at == len(s)-1 {
		return "is not an e-mail address (expected name@example.com)"
	}
	if msg := checkLocalPart(s[:at]); msg != "" {
		return "has a local part that " + msg
	}
	if msg := checkDomain(s[at+1:]); msg != "" {
		return "has a domain that " + msg
	}
	return ""
}

var guidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// IsGUID reports whether s is a sensitivity-label GUID in the 8-4-4-4-12
// form Get-Label prints (braces allowed). The header analyser's flags use
// it too, so a GUID the steps accept is one the analyser accepts.
func IsGUID(s string) bool {
	return guidRE.MatchString(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
}

// checkGUID is IsGUID with the validation message.
func checkGUID(s string) string {
	if !IsGUID(s) {
		return "is not a GUID (expected 8-4-4-4-12 hexadecimal digits, as (Get-Label -Identity 'Name').Guid prints)"
	}
	return ""
}

// NormalGUID strips braces and lower-cases, the form Office writes into the
// msip_labels header.
func NormalGUID(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
}

// checkText accepts a display name or subject phrase: printable, no
// control characters (a line break would be a new PowerShell statement in
// a comment and a header injection in mail), no space at either end, at
// most max characters.
func checkText(s string, max int) string {
	if s == "" {
		return "is empty"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("is %d characters; at most %d are allowed", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' || r == utf8.RuneError {
			return fmt.Sprintf("contains the control character %U; use letters, digits, spaces and punctuation only", r)
		}
	}
	if strings.TrimSpace(s) != s {
		return "starts or ends with a space"
	}
	return ""
}

// checkObjectName is checkText for the name of an Exchange object. A
// backslash would be read as Exchange's Server\Connector identity syntax
// and a star as a wildcard by the Get- cmdlets, so -Identity would find
// another object (or several) than the one meant.
func checkObjectName(s string) string {
	if msg := checkText(s, MaxNameLen); msg != "" {
		return msg
	}
	if strings.ContainsAny(s, `\*`) {
		return `contains \ or *: Exchange reads \ as Server\Name and * as a wildcard in an identity; choose a name without them`
	}
	return ""
}
