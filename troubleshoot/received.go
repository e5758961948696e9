package troubleshoot

import (
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Hop is one Received header: one MTA handing the message to the next.
type Hop struct {
	Index  int    `json:"index"`             // 1 = oldest
	From   string `json:"from,omitempty"`    // name the sender announced (HELO/EHLO) or its address
	FromIP string `json:"from_ip,omitempty"` // address the receiver saw, when recorded
	By     string `json:"by,omitempty"`      // the receiving host
	With   string `json:"with,omitempty"`    // protocol as written: ESMTPS, ESMTPSA, Microsoft SMTP Server, mapi …
	// TLS is true when the hop states encryption (ESMTPS/…S, a TLS version
	// or cipher), false when it states a plaintext protocol (SMTP, ESMTP,
	// ESMTPA, Exchange without version=), null when it does not say.
	TLS           *bool      `json:"tls"`
	TLSVersion    string     `json:"tls_version,omitempty"`
	Cipher        string     `json:"cipher,omitempty"`
	Authenticated bool       `json:"authenticated,omitempty"` // ESMTPA / ESMTPSA
	Time          *time.Time `json:"time,omitempty"`
	// DelaySeconds is the time since the previous hop (for the first hop:
	// since the Date header); DelayPercent its share of the total.
	DelaySeconds *float64 `json:"delay_seconds,omitempty"`
	DelayPercent *float64 `json:"delay_percent,omitempty"`
	Local        bool     `json:"local,omitempty"`    // inside one host: loopback, mapi, LMTP, from == by
	Provider     bool     `json:"provider,omitempty"` // by or from matches a provider host pattern
	Raw          string   `json:"raw"`
}

// token is a word or a (possibly nested) comment of a Received value.
type token struct {
	text    string
	comment bool
}

// tokenize splits a Received value into words and parenthesised comments.
// Unbalanced parentheses close at the end of input (fuzzed input must never
// make it fail or loop).
func tokenize(s string) []token {
	var toks []token
	var b strings.Builder
	depth := 0
	flush := func(comment bool) {
		if b.Len() > 0 {
			toks = append(toks, token{text: b.String(), comment: comment})
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(':
			if depth == 0 {
				flush(false)
			} else {
				b.WriteRune(r)
			}
			depth++
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				flush(true)
			} else {
				b.WriteRune(r)
			}
		case depth == 0 && (r == ' ' || r == '\t' || r == '\r' || r == '\n'):
			flush(false)
		default:
			b.WriteRune(r)
		}
	}
	flush(depth > 0)
	return toks
}

// clause collects the words and comments after one of the Received keywords.
type clause struct {
	words    []string
	comments []string
}

var receivedKeywords = map[string]bool{"from": true, "by": true, "via": true, "with": true, "id": true, "for": true}

var (
	reVersion     = regexp.MustCompile(`(?i)\b(?:version=|using\s+|\()?((?:TLS|SSL)v?\d(?:[._]\d)?)\b`)
	reCipherEq    = regexp.MustCompile(`(?i)cipher[= ]\s*([A-Za-z0-9_\-]+)`)
	reExim        = regexp.MustCompile(`(?i)^(TLS1\.\d|TLSv1\.\d|TLS1_\d):([A-Za-z0-9_\-]+)`)
	reBracketIP   = regexp.MustCompile(`\[((?:IPv6:)?[0-9A-Fa-f:.]+)(?:%[A-Za-z0-9]+)?\]`)
	reTrailingTZC = regexp.MustCompile(`\s*\([^()]*\)\s*$`)
)

// Protocol names from RFC 3848 and the registry, plus what Exchange and
// local delivery agents write.
var (
	tlsProtocols   = map[string]bool{"ESMTPS": true, "ESMTPSA": true, "SMTPS": true, "LMTPS": true, "LMTPSA": true, "UTF8SMTPS": true, "UTF8SMTPSA": true, "UTF8LMTPS": true, "UTF8LMTPSA": true, "HTTPS": true}
	plainProtocols = map[string]bool{"SMTP": true, "ESMTP": true, "ESMTPA": true, "LMTP": true, "LMTPA": true, "UTF8SMTP": true, "UTF8SMTPA": true, "UTF8LMTP": true, "UTF8LMTPA": true, "HTTP": true}
	localProtocols = map[string]bool{"MAPI": true, "LOCAL": true, "LMTP": true, "LMTPA": true, "LMTPS": true, "LMTPSA": true, "UTF8LMTP": true, "UTF8LMTPA": true, "UTF8LMTPS": true, "UTF8LMTPSA": true}
)

// parseReceived turns one Received value into a Hop (Index is set later).
func parseReceived(raw string) Hop {
	h := Hop{Raw: strings.TrimSpace(raw)}
	body, date := splitDate(raw)
	if t, ok := parseDate(date); ok {
		h.Time = &t
	}

	clauses := map[string]*clause{}
	var current *clause
	var allComments []string
	for _, tk := range tokenize(body) {
		if tk.comment {
			allComments = append(allComments, tk.text)
			if current != nil {
				current.comments = append(current.comments, tk.text)
			}
			continue
		}
		if kw := strings.ToLower(tk.text); receivedKeywords[kw] {
			if clauses[kw] == nil { // the first clause of a kind wins
				clauses[kw] = &clause{}
				current = clauses[kw]
			} else {
				current = nil
			}
			continue
		}
		if current != nil {
			current.words = append(current.words, tk.text)
		}
	}

	if c := clauses["from"]; c != nil {
		if len(c.words) > 0 {
			h.From = cleanHost(c.words[0])
		}
		h.FromIP = firstIP(c.comments)
		if h.FromIP == "" && net.ParseIP(strings.Trim(h.From, "[]")) != nil {
			h.FromIP = strings.Trim(h.From, "[]")
		}
	}
	if c := clauses["by"]; c != nil && len(c.words) > 0 {
		h.By = cleanHost(c.words[0])
	}
	proto := ""
	if c := clauses["with"]; c != nil && len(c.words) > 0 {
		h.With = strings.Join(c.words, " ")
		proto = strings.ToUpper(c.words[0])
	}
	h.Authenticated = strings.HasSuffix(proto, "A") && (plainProtocols[proto] || tlsProtocols[proto])

	// TLS evidence may sit in any comment (Postfix puts "using TLSv1.3"
	// before "by", Exchange puts "version=TLS1_2" after "with").
	for _, c := range allComments {
		if h.TLSVersion == "" {
			if m := reVersion.FindStringSubmatch(c); m != nil {
				h.TLSVersion = normTLSVersion(m[1])
			}
		}
		if h.Cipher == "" {
			if m := reCipherEq.FindStringSubmatch(c); m != nil {
				h.Cipher = m[1]
			} else if m := reExim.FindStringSubmatch(strings.TrimSpace(c)); m != nil {
				h.TLSVersion = normTLSVersion(m[1])
				h.Cipher = m[2]
			}
		}
		if strings.Contains(c, "Google Transport Security") && h.TLS == nil {
			h.TLS = boolPtr(true)
		}
	}
	// Exim writes "with esmtps tls TLS_AES_256_GCM_SHA384"
	if c := clauses["with"]; c != nil && h.Cipher == "" {
		for i, w := range c.words {
			if strings.EqualFold(w, "tls") && i+1 < len(c.words) {
				h.Cipher = c.words[i+1]
			}
		}
	}

	switch {
	case h.TLSVersion != "" || h.Cipher != "" || tlsProtocols[proto]:
		h.TLS = boolPtr(true)
	case h.TLS != nil:
	case plainProtocols[proto]:
		h.TLS = boolPtr(false)
	case strings.HasPrefix(strings.ToLower(h.With), "microsoft smtp server"):
		// Exchange records "(version=TLS1_2, cipher=…)" whenever the hop
		// was encrypted, so its absence means plaintext.
		h.TLS = boolPtr(false)
	}

	h.Local = localProtocols[proto] || isLoopback(h.From) || isLoopback(h.FromIP) || isLoopback(h.By) ||
		(h.From != "" && strings.EqualFold(h.From, h.By))
	return h
}

// splitDate splits at the last ';' outside comments: RFC 5322 puts the
// timestamp after it.
func splitDate(s string) (body, date string) {
	depth, last := 0, -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ';':
			if depth == 0 {
				last = i
			}
		}
	}
	if last < 0 {
		return s, ""
	}
	return s[:last], strings.TrimSpace(s[last+1:])
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	time.RFC3339,
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 200 {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t, true
	}
	s = strings.Join(strings.Fields(reTrailingTZC.ReplaceAllString(s, "")), " ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func normTLSVersion(v string) string {
	u := strings.ToUpper(strings.ReplaceAll(v, "_", "."))
	u = strings.TrimPrefix(u, "TLSV")
	u = strings.TrimPrefix(u, "TLS")
	if strings.HasPrefix(u, "SSL") {
		return "SSLv" + strings.TrimPrefix(strings.TrimPrefix(u, "SSLV"), "SSL")
	}
	return "TLSv" + u
}

func cleanHost(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if len(s) > 255 {
		s = s[:255]
	}
	return s
}

func firstIP(comments []string) string {
	for _, c := range comments {
		if m := reBracketIP.FindStringSubmatch(c); m != nil {
			ip := strings.TrimPrefix(m[1], "IPv6:")
			if net.ParseIP(ip) != nil {
				return ip
			}
		}
		for _, f := range strings.Fields(c) {
			f = strings.Trim(f, "[]")
			if i := strings.IndexByte(f, '%'); i > 0 {
				f = f[:i]
			}
			if net.ParseIP(f) != nil {
				return f
			}
		}
	}
	return ""
}

func isLoopback(host string) bool {
	h := strings.ToLower(strings.Trim(host, "[]"))
	if i := strings.IndexByte(h, '%'); i > 0 {
		h = h[:i]
	}
	if h == "" {
		return false
	}
	if h == "localhost" || strings.HasPrefix(h, "localhost.") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func boolPtr(b bool) *bool { return &b }
