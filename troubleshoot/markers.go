package troubleshoot

import (
	"regexp"
	"sort"
	"strings"
	"time"
)

// Markers are the headers that decide (or prove) secure routing.
// Pointer fields are nil when the header is absent and "" when it is
// present but empty: for an Exchange rule "header exists" is what counts.
type Markers struct {
	Subject   string     `json:"subject,omitempty"`
	From      string     `json:"from,omitempty"`
	To        string     `json:"to,omitempty"`
	Date      *time.Time `json:"date,omitempty"`
	MessageID string     `json:"message_id,omitempty"`

	// ZivverRelay is set by the Zivver Office plugin (PAMS); the on-prem
	// rule matches on it.
	ZivverRelay *string `json:"zivver_relay,omitempty"`
	// ZivverIgnoreSMTPRecipients is set by the Exchange rule itself: its
	// presence proves the rule fired.
	ZivverIgnoreSMTPRecipients *string `json:"zivver_ignore_smtp_recipients,omitempty"`
	// CSSensitivity is the Cryptshare add-in's header (rule: contains "confidential").
	CSSensitivity *string `json:"cs_sensitivity,omitempty"`
	// MSIPLabels is the raw msip_labels header; parsed labels are in Analysis.Labels.
	MSIPLabels *string `json:"msip_labels,omitempty"`

	// AntiLoop lists anti-loop headers (X-AntiLoop-Smarthost style headers the
	// CodeTwo guide has you set, X-Loop, Exchange's rule loop counter).
	AntiLoop []HeaderField `json:"anti_loop,omitempty"`
	// ProviderHeaders are other headers a provider adds (X-Zivver-*, X-CodeTwo*, X-Cryptshare*).
	ProviderHeaders []HeaderField `json:"provider_headers,omitempty"`
	Auth            []AuthResult  `json:"auth,omitempty"`
	// Exchange holds X-MS-Exchange-Organization-* routing hints (AuthAs,
	// MessageDirectionality, Rules-Execution-History, …).
	Exchange []HeaderField `json:"exchange,omitempty"`

	IgnoredLines int `json:"ignored_lines,omitempty"` // input lines that were neither a field nor a continuation
}

// HeaderField is a name/value pair as found (value decoded).
type HeaderField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AuthResult is one Authentication-Results or ARC-Authentication-Results header.
type AuthResult struct {
	Header     string `json:"header"`
	Instance   string `json:"arc_instance,omitempty"`
	AuthServID string `json:"authserv_id,omitempty"`
	SPF        string `json:"spf,omitempty"`
	DKIM       string `json:"dkim,omitempty"`
	DMARC      string `json:"dmarc,omitempty"`
	ARC        string `json:"arc,omitempty"`
	CompAuth   string `json:"compauth,omitempty"`
}

// Label is one sensitivity label from msip_labels.
type Label struct {
	GUID    string `json:"guid"`
	Enabled bool   `json:"enabled"`
	Name    string `json:"name,omitempty"`
	SiteID  string `json:"site_id,omitempty"`
	Method  string `json:"method,omitempty"`
	SetDate string `json:"set_date,omitempty"`
	// RuleText is the exact words the Exchange rule must match for this
	// label ("MSIP_Label_<guid>_Enabled=true"); note the manual's
	// "MSIP_Labels_" spelling does not occur in real headers.
	RuleText string `json:"rule_text"`
}

var reLabelPart = regexp.MustCompile(`(?i)MSIP_Label_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z]+)\s*=\s*([^;]*)`)

// maxLabels bounds the label list for hostile input.
const maxLabels = 64

// parseLabels reads msip_labels: "MSIP_Label_<guid>_Enabled=true; …_Name=…;".
func parseLabels(v string) []Label {
	byGUID := map[string]*Label{}
	var order []string
	for _, m := range reLabelPart.FindAllStringSubmatch(v, 16*maxLabels) {
		guid := strings.ToLower(m[1])
		l := byGUID[guid]
		if l == nil {
			if len(order) >= maxLabels {
				continue
			}
			l = &Label{GUID: guid, RuleText: "MSIP_Label_" + guid + "_Enabled=true"}
			byGUID[guid] = l
			order = append(order, guid)
		}
		val := strings.TrimSpace(m[3])
		switch strings.ToLower(m[2]) {
		case "enabled":
			l.Enabled = strings.EqualFold(val, "true")
		case "name":
			l.Name = decodeHeader(val)
		case "siteid":
			l.SiteID = val
		case "method":
			l.Method = val
		case "setdate":
			l.SetDate = val
		}
	}
	labels := make([]Label, 0, len(order))
	for _, g := range order {
		labels = append(labels, *byGUID[g])
	}
	return labels
}

// parseAuthResults extracts the method verdicts; comments and properties
// are dropped, the first verdict per method wins.
func parseAuthResults(header, v string) AuthResult {
	ar := AuthResult{Header: header}
	for i, p := range strings.Split(stripComments(v), ";") {
		f := strings.Fields(p)
		if len(f) == 0 {
			continue
		}
		method, result, ok := strings.Cut(f[0], "=")
		if !ok {
			// "mx.google.com;" or, in ARC, "i=1; mx.microsoft.com 1;"
			if ar.AuthServID == "" && i <= 1 {
				ar.AuthServID = f[0]
			}
			continue
		}
		result = strings.ToLower(strings.Trim(result, `"`))
		switch strings.ToLower(method) {
		case "i":
			if header == "ARC-Authentication-Results" {
				ar.Instance = result
			}
		case "spf":
			setOnce(&ar.SPF, result)
		case "dkim":
			setOnce(&ar.DKIM, result)
		case "dmarc":
			setOnce(&ar.DMARC, result)
		case "arc":
			setOnce(&ar.ARC, result)
		case "compauth":
			setOnce(&ar.CompAuth, result)
		}
	}
	return ar
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// stripComments removes (nested) parenthesised comments.
func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isAntiLoopHeader recognises anti-loop headers by name. The CodeTwo guide
// lets the admin pick any name ("e.g. X-AntiLoop-Smarthost"), so extra
// names come from Options.AntiLoopHeaders.
func isAntiLoopHeader(key string, extra map[string]bool) bool {
	if extra[key] {
		return true
	}
	return containsIgnoringDashes(key, "antiloop") || key == "x-loop" || key == "x-ms-exchange-transport-rules-loop"
}

func isProviderHeader(key string) bool {
	switch key {
	case "x-zivver-ignore-smtp-recipients", "zivver-relay":
		return false // reported as their own markers
	}
	return strings.HasPrefix(key, "x-zivver") || strings.HasPrefix(key, "zivver-") ||
		strings.HasPrefix(key, "x-codetwo") || strings.HasPrefix(key, "x-cryptshare") ||
		(strings.HasPrefix(key, "x-cs-") && key != "x-cs-sensitivity")
}

// maxListed bounds each marker list for hostile input.
const maxListed = 200

// collectMarkers walks the fields once and fills Markers and Labels.
func collectMarkers(fields []field, antiLoop map[string]bool) (Markers, []Label) {
	var m Markers
	labels := []Label{}
	add := func(list *[]HeaderField, f field) {
		if len(*list) < maxListed {
			*list = append(*list, HeaderField{Name: f.Name, Value: decodeHeader(f.Value)})
		}
	}
	ptr := func(dst **string, f field) {
		if *dst == nil {
			v := decodeHeader(f.Value)
			*dst = &v
		}
	}
	for _, f := range fields {
		switch k := f.Key; {
		case k == "subject":
			setOnce(&m.Subject, decodeHeader(f.Value))
		case k == "from":
			setOnce(&m.From, decodeHeader(f.Value))
		case k == "to":
			setOnce(&m.To, decodeHeader(f.Value))
		case k == "message-id":
			setOnce(&m.MessageID, strings.TrimSpace(f.Value))
		case k == "date":
			if t, _, ok := parseDate(f.Value); ok && m.Date == nil {
				m.Date = &t
			}
		case k == "zivver-relay":
			ptr(&m.ZivverRelay, f)
		case k == "x-zivver-ignore-smtp-recipients":
			ptr(&m.ZivverIgnoreSMTPRecipients, f)
		case k == "x-cs-sensitivity":
			ptr(&m.CSSensitivity, f)
		case k == "msip_labels":
			if m.MSIPLabels == nil {
				v := strings.TrimSpace(f.Value)
				m.MSIPLabels = &v
				labels = parseLabels(f.Value)
			}
		case k == "authentication-results" || k == "arc-authentication-results":
			if len(m.Auth) < maxListed {
				name := "Authentication-Results"
				if k == "arc-authentication-results" {
					name = "ARC-Authentication-Results"
				}
				m.Auth = append(m.Auth, parseAuthResults(name, f.Value))
			}
		case isAntiLoopHeader(k, antiLoop):
			add(&m.AntiLoop, f)
		case isProviderHeader(k):
			add(&m.ProviderHeaders, f)
		case strings.HasPrefix(k, "x-ms-exchange-organization-"):
			add(&m.Exchange, f)
		}
	}
	sort.SliceStable(m.Exchange, func(i, j int) bool {
		return strings.ToLower(m.Exchange[i].Name) < strings.ToLower(m.Exchange[j].Name)
	})
	return m, labels
}

// containsIgnoringDashes reports whether key holds word once '-' and '_'
// are left out ("x-anti-loop", "x_antiloop"), without building the
// shortened string: this runs for every field of the block.
func containsIgnoringDashes(key, word string) bool {
	for i := 0; i < len(key); i++ {
		j, k := i, 0
		for j < len(key) && k < len(word) {
			switch {
			case key[j] == '-' || key[j] == '_':
				j++
			case key[j] == word[k]:
				j++
				k++
			default:
				j = len(key) + 1
			}
		}
		if k == len(word) {
			return true
		}
	}
	return false
}
