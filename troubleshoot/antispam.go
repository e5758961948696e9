package troubleshoot

import (
	"strconv"
	"strings"
)

// AntispamField is one key of Microsoft 365's anti-spam headers, decoded
// the way Message Header Analyzer shows it. Source: Microsoft Learn,
// "Anti-spam message headers in Microsoft 365" (see testdata/SOURCES).
type AntispamField struct {
	Header  string `json:"header"`            // X-Forefront-Antispam-Report or X-Microsoft-Antispam
	Key     string `json:"key"`               // SCL, BCL, SFV, …
	Value   string `json:"value"`             // as written
	Meaning string `json:"meaning,omitempty"` // what the value says, when the key is documented
}

// antispamHeaders are the headers decoded, by lower-case name.
var antispamHeaders = map[string]string{
	"x-forefront-antispam-report":           "X-Forefront-Antispam-Report",
	"x-forefront-antispam-report-untrusted": "X-Forefront-Antispam-Report-Untrusted",
	"x-microsoft-antispam":                  "X-Microsoft-Antispam",
	"x-microsoft-antispam-untrusted":        "X-Microsoft-Antispam-Untrusted",
}

// maxAntispamFields bounds the list for hostile input.
const maxAntispamFields = 200

// parseAntispam splits "KEY:value;KEY:value;" and explains each key.
func parseAntispam(header, v string) []AntispamField {
	var out []AntispamField
	for _, part := range strings.Split(v, ";") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" || len(key) > 16 {
			continue
		}
		val = strings.TrimSpace(val)
		out = append(out, AntispamField{Header: header, Key: key, Value: val, Meaning: antispamMeaning(strings.ToUpper(key), val)})
		if len(out) >= maxAntispamFields {
			break
		}
	}
	return out
}

var sfvMeanings = map[string]string{
	"BLK":  "filtering skipped and the message blocked: the sender is on a user's Blocked Senders list",
	"NSPM": "not spam",
	"SFE":  "filtering skipped: the sender is on a user's Safe Senders list",
	"SKA":  "filtering skipped: the sender is on an anti-spam policy's allowed senders or domains",
	"SKB":  "marked spam: the sender is on an anti-spam policy's blocked senders or domains",
	"SKI":  "filtering skipped: intra-organization message",
	"SKN":  "marked not spam before filtering (for example by a mail flow rule that sets SCL -1)",
	"SKQ":  "released from quarantine",
	"SKS":  "marked spam before filtering (for example by a mail flow rule)",
	"SPM":  "marked spam by spam filtering",
}

var catMeanings = map[string]string{
	"AMP":    "anti-malware",
	"BIMP":   "brand impersonation",
	"BULK":   "bulk mail",
	"DIMP":   "domain impersonation",
	"FTBP":   "anti-malware common attachments filter",
	"GIMP":   "mailbox intelligence impersonation",
	"HPHSH":  "high confidence phishing",
	"HPHISH": "high confidence phishing",
	"HSPM":   "high confidence spam",
	"INTOS":  "intra-organization phishing",
	"MALW":   "malware",
	"OSPM":   "outbound spam",
	"PHSH":   "phishing",
	"SAP":    "Safe Attachments",
	"SPM":    "spam",
	"SPOOF":  "spoofing",
	"UIMP":   "user impersonation",
	"NONE":   "no protection policy matched",
}

func antispamMeaning(key, val string) string {
	uval := strings.ToUpper(val)
	switch key {
	case "SCL":
		n, err := strconv.Atoi(val)
		switch {
		case err != nil:
			return ""
		case n == -1:
			return "spam filtering skipped (safe sender, mail flow rule, or internal message): delivered to the Inbox"
		case n == 0 || n == 1:
			return "not spam: delivered to the Inbox"
		case n == 5 || n == 6:
			return "spam: delivered to Junk Email or quarantined, as the anti-spam policy says"
		case n == 8 || n == 9:
			return "high confidence spam: delivered to Junk Email or quarantined, as the anti-spam policy says"
		case n >= 2 && n <= 9:
			return "not set by Microsoft 365 spam filtering (a mail flow rule or another product wrote it)"
		}
		return ""
	case "BCL":
		n, err := strconv.Atoi(val)
		switch {
		case err != nil:
			return ""
		case n == 0:
			return "not from a bulk sender"
		case n >= 1 && n <= 3:
			return "bulk sender with few complaints"
		case n >= 4 && n <= 7:
			return "bulk sender with a mixed number of complaints"
		case n >= 8 && n <= 9:
			return "bulk sender with many complaints"
		}
		return ""
	case "PCL":
		n, err := strconv.Atoi(val)
		switch {
		case err != nil:
			return ""
		case n >= 0 && n <= 3:
			return "phishing unlikely"
		case n >= 4 && n <= 8:
			return "likely phishing"
		}
		return ""
	case "SFV":
		return sfvMeanings[uval]
	case "CIP":
		return "the connecting IP address"
	case "CTRY":
		return "the source country of the connecting IP address"
	case "LANG":
		return "the language the message was written in"
	case "IPV":
		switch uval {
		case "CAL":
			return "the connecting IP is on the connection filter's IP Allow List: spam filtering skipped"
		case "NLI":
			return "the connecting IP is on no IP reputation list"
		}
		return ""
	case "H":
		return "the HELO/EHLO name of the connecting server"
	case "PTR":
		return "the reverse-DNS (PTR) name of the connecting IP address"
	case "CAT":
		return catMeanings[uval]
	case "DIR":
		switch uval {
		case "INB":
			return "inbound"
		case "OUT":
			return "outbound"
		case "INT":
			return "internal"
		}
		return ""
	case "SRV":
		if uval == "BULK" {
			return "identified as bulk mail"
		}
		return ""
	case "SFTY":
		return "a safety tip was added (phishing or impersonation)"
	case "SFP":
		if val == "1501" {
			return "spoofed sender allowed by a spoof intelligence entry"
		}
		return ""
	case "SFS":
		return "the spam rules that matched (internal rule ids)"
	}
	return ""
}
