package troubleshoot

import (
	"regexp"
	"strings"
	"time"
)

// Hop is one Received header: one MTA handing the message to the next.
type Hop struct {
	Index int `json:"index"` // 1 = oldest
	// From is the name the client announced (HELO/EHLO), or the address
	// literal it announced; FromRDNS is the reverse-DNS name the receiver
	// looked up, FromIP the address it saw. MTAs write these three in
	// different places (Postfix: "from HELO (RDNS [IP])", Exim: "from RDNS
	// ([IP] helo=HELO)", qmail and IronPort: "from RDNS (HELO HELO) (IP)").
	From     string `json:"from,omitempty"`
	FromRDNS string `json:"from_rdns,omitempty"`
	FromIP   string `json:"from_ip,omitempty"`
	By       string `json:"by,omitempty"`   // the receiving host
	With     string `json:"with,omitempty"` // protocol as written: ESMTPS, ESMTPSA, Microsoft SMTP Server, mapi …
	ID       string `json:"id,omitempty"`   // the receiver's queue or message id
	For      string `json:"for,omitempty"`  // the envelope recipient, when recorded
	Via      string `json:"via,omitempty"`  // Exchange Online's "via Frontend Transport" and similar
	// TLS is true when the hop states encryption (ESMTPS/…S, a TLS version
	// or cipher, Exchange's "(TLS)", qmail's "(… encrypted)", IronPort's
	// ESMTP/TLS/…), false when it states a plaintext protocol (SMTP, ESMTP,
	// ESMTPA, Exchange with neither version= nor (TLS)), null when it does
	// not say.
	TLS           *bool      `json:"tls"`
	TLSVersion    string     `json:"tls_version,omitempty"`
	Cipher        string     `json:"cipher,omitempty"`
	Authenticated bool       `json:"authenticated,omitempty"` // ESMTPA / ESMTPSA, "(Authenticated sender: …)", "authenticated as …"
	AuthUser      string     `json:"auth_user,omitempty"`     // the submitting user, when the hop names it
	Time          *time.Time `json:"time,omitempty"`
	// TimeZoneUnknown: the timestamp names a zone whose offset cannot be
	// trusted (RFC 5322 §4.3 military letters, an unknown name); the time
	// is read as UTC and delays around it are not reported as slow or skewed.
	TimeZoneUnknown bool `json:"time_zone_unknown,omitempty"`
	// DelaySeconds is the time since the previous hop (for the first hop:
	// since the Date header); DelayPercent its share of the total.
	DelaySeconds *float64 `json:"delay_seconds,omitempty"`
	DelayPercent *float64 `json:"delay_percent,omitempty"`
	Local        bool     `json:"local,omitempty"`    // inside one host: loopback client, mapi, LMTP, from == by, no from clause
	Provider     bool     `json:"provider,omitempty"` // by or from matches a provider host pattern
	Raw          string   `json:"raw"`
}

// token is a word or a (possibly nested) comment of a Received value.
type token struct {
	text    string
	comment bool
}

// tokenize splits a Received value into words and parenthesised comments
// (a nested comment keeps its inner parentheses). Tokens are substrings of
// s, so splitting allocates nothing per token. Unbalanced parentheses close
// at the end of input (fuzzed input must never make it fail or loop).
func tokenize(s string) []token {
	var toks []token
	depth, start := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(':
			if depth == 0 {
				if start >= 0 {
					toks = append(toks, token{text: s[start:i]})
				}
				start = i + 1
			}
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				if i > start {
					toks = append(toks, token{text: s[start:i], comment: true})
				}
				start = -1
			}
		case depth == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			if start >= 0 {
				toks = append(toks, token{text: s[start:i]})
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 && start < len(s) {
		toks = append(toks, token{text: s[start:], comment: depth > 0})
	}
	return toks
}

// clause collects the words and comments after one of the Received keywords.
type clause struct {
	words    []string
	comments []string
}

var receivedKeywords = map[string]bool{"from": true, "by": true, "via": true, "with": true, "id": true, "for": true}

var (
	reVersion   = regexp.MustCompile(`(?i)\b(?:version=|using\s+|\()?((?:TLS|SSL)v?\d(?:[._]\d)?)\b`)
	reCipherEq  = regexp.MustCompile(`(?i)cipher[= ]\s*([A-Za-z0-9_\-]+)`)
	reExim      = regexp.MustCompile(`(?i)^(TLS1\.\d|TLSv1\.\d|TLS1_\d):([A-Za-z0-9_\-]+)`)
	reEncrypted = regexp.MustCompile(`(?i)^([A-Za-z0-9_\-]+)\s+encrypted$`)
	reAuthWord  = regexp.MustCompile(`(?i)(?:^|\s)(not\s+)?authenticated(?:\s|:|$)`)
	reAuthUser  = regexp.MustCompile(`(?i)(?:authenticated sender:|authenticated as|auth=|authenticated user)\s*<?([^\s>();,]+)`)
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
	if t, zoneKnown, ok := parseDate(date); ok {
		h.Time, h.TimeZoneUnknown = &t, !zoneKnown
	} else if b, t, zoneKnown, ok := trailingDate(body); ok {
		// SendGrid and others write the date after the last clause
		// without the ';' (RFC 5321 requires it, not everyone does).
		body = b
		h.Time, h.TimeZoneUnknown = &t, !zoneKnown
	}

	clauses := map[string]*clause{}
	var current *clause
	var allComments, allWords []string
	for _, tk := range tokenize(body) {
		if tk.comment {
			allComments = append(allComments, tk.text)
			if current != nil {
				current.comments = append(current.comments, tk.text)
			}
			continue
		}
		allWords = append(allWords, tk.text)
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
		h.From, h.FromRDNS, h.FromIP = parseFromClause(c)
	}
	if c := clauses["by"]; c != nil && len(c.words) > 0 {
		h.By = cleanHost(c.words[0])
	}
	if c := clauses["id"]; c != nil && len(c.words) > 0 {
		h.ID = cleanValue(c.words[0])
	}
	if c := clauses["for"]; c != nil && len(c.words) > 0 {
		h.For = cleanValue(strings.Trim(c.words[0], "<>"))
	}
	if c := clauses["via"]; c != nil && len(c.words) > 0 {
		h.Via = cleanValue(strings.Join(c.words, " "))
	}
	proto := ""
	statedTLS := false
	if c := clauses["with"]; c != nil && len(c.words) > 0 {
		words := c.words
		proto = strings.ToUpper(words[0])
		// Cisco IronPort: "with ESMTP/TLS/ECDHE-RSA-AES256-GCM-SHA384".
		if base, rest, ok := strings.Cut(words[0], "/"); ok {
			proto = strings.ToUpper(base)
			if tlsPart, cipher, _ := strings.Cut(rest, "/"); strings.EqualFold(tlsPart, "TLS") || strings.EqualFold(tlsPart, "SSL") {
				statedTLS = true
				h.Cipher = cleanValue(cipher)
			}
		}
		// Exim: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384"; the
		// cipher is kept in Cipher, not in the protocol name.
		kept := words[:0:0]
		for i := 0; i < len(words); i++ {
			if strings.EqualFold(words[i], "tls") && i+1 < len(words) && i > 0 {
				if h.Cipher == "" {
					h.Cipher = cleanValue(words[i+1])
				}
				i++
				continue
			}
			kept = append(kept, words[i])
		}
		h.With = cleanValue(strings.Join(kept, " "))
	}

	// TLS evidence may sit in any comment (Postfix puts "using TLSv1.3"
	// before "by", Exchange puts "version=TLS1_2" after "with").
	// Each regexp runs only when a cheap substring test says it can match:
	// a 300-hop block has over a thousand comments.
	for _, c := range allComments {
		tc := strings.TrimSpace(c)
		lc := strings.ToLower(tc)
		switch lc {
		case "tls", "ssl", "using tls", "using ssl":
			// Exchange 2007–2013: "with Microsoft SMTP Server (TLS) id
			// 14.3…"; Mimecast: "(Using TLS) by relay.mimecast.com"
			statedTLS = true
		}
		if !strings.HasSuffix(lc, "encrypted") {
			// no qmail/qpsmtpd cipher comment
		} else if m := reEncrypted.FindStringSubmatch(tc); m != nil && !strings.EqualFold(m[1], "not") && !strings.EqualFold(m[1], "un") {
			// qmail TLS patch / qpsmtpd: "with (ECDHE-RSA-AES256-GCM-SHA384 encrypted) SMTP"
			statedTLS = true
			if h.Cipher == "" {
				h.Cipher = m[1]
			}
		}
		if h.TLSVersion == "" && (strings.Contains(lc, "tls") || strings.Contains(lc, "ssl")) {
			if m := reVersion.FindStringSubmatch(c); m != nil {
				h.TLSVersion = normTLSVersion(m[1])
			}
		}
		if h.Cipher == "" {
			if !strings.Contains(lc, "cipher") {
				// no "cipher=" or "with cipher"
			} else if m := reCipherEq.FindStringSubmatch(c); m != nil {
				h.Cipher = m[1]
			}
			if h.Cipher != "" || !strings.Contains(tc, ":") {
				// no Exim "TLSv1.2:CIPHER:bits"
			} else if m := reExim.FindStringSubmatch(tc); m != nil {
				h.TLSVersion = normTLSVersion(m[1])
				h.Cipher = m[2]
			}
		}
		if strings.Contains(c, "Google Transport Security") {
			statedTLS = true
		}
	}

	switch {
	case statedTLS || h.TLSVersion != "" || h.Cipher != "" || tlsProtocols[proto]:
		h.TLS = boolPtr(true)
	case plainProtocols[proto]:
		h.TLS = boolPtr(false)
	case strings.HasPrefix(strings.ToLower(h.With), "microsoft smtp server"):
		// Exchange records "(version=TLS1_2, cipher=…)" (2016 and later)
		// or "(TLS)" (2007–2013) whenever the hop was encrypted, so a
		// Microsoft SMTP Server line with neither means plaintext.
		h.TLS = boolPtr(false)
	}

	h.Authenticated, h.AuthUser = authentication(proto, allComments, allWords)
	h.Local = isLocalHop(h, proto, clauses["from"] != nil)
	return h
}

// authentication reads submission evidence: the RFC 3848 "A" protocols
// and the comments MTAs write for an authenticated client (Postfix
// "(Authenticated sender: u)", Sendmail "(authenticated bits=0)", Exim and
// others "authenticated as u").
func authentication(proto string, comments, words []string) (bool, string) {
	auth := strings.HasSuffix(proto, "A") && (plainProtocols[proto] || tlsProtocols[proto])
	user := ""
	check := func(s string) {
		ls := strings.ToLower(s)
		if !strings.Contains(ls, "authenticated") && !strings.Contains(ls, "auth=") {
			return
		}
		if m := reAuthWord.FindStringSubmatch(s); m != nil && m[1] == "" {
			auth = true
		}
		if m := reAuthUser.FindStringSubmatch(s); m != nil && user == "" {
			user = cleanValue(m[1])
		}
	}
	for _, c := range comments {
		check(c)
	}
	for _, w := range words {
		// Exim configurations append a bare "authenticated" clause
		auth = auth || strings.EqualFold(w, "authenticated")
	}
	if user != "" {
		auth = true
	}
	return auth, user
}

// isLocalHop: a hop that never crossed the network. The client address
// decides when it is recorded: a client calling itself "localhost" from a
// routable address is a remote client whose TLS state matters.
func isLocalHop(h Hop, proto string, hasFrom bool) bool {
	switch {
	case localProtocols[proto]:
		return true
	case !hasFrom:
		// Only the receiver's own injection has no from clause
		// (Postfix "from userid", qmail "invoked by uid", Gmail's
		// internal first hop).
		return true
	case h.FromIP != "" && isLoopback(h.FromIP):
		return true
	case h.From != "" && strings.EqualFold(h.From, h.By) && !isLoopback(h.From):
		// one server's own services (Exchange frontend → backend)
		return true
	case h.FromIP == "":
		return isLoopback(h.From) || isLoopback(h.FromRDNS)
	}
	return false
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

func normTLSVersion(v string) string {
	u := strings.ToUpper(strings.ReplaceAll(v, "_", "."))
	u = strings.TrimPrefix(u, "TLSV")
	u = strings.TrimPrefix(u, "TLS")
	if strings.HasPrefix(u, "SSL") {
		return "SSLv" + strings.TrimPrefix(strings.TrimPrefix(u, "SSLV"), "SSL")
	}
	return "TLSv" + u
}

// cleanValue trims a field value and refuses control characters (a NUL in
// an id or protocol is junk, not data).
func cleanValue(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), ",;")
	if len(s) > 255 {
		s = s[:255]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return ""
		}
	}
	return s
}

func boolPtr(b bool) *bool { return &b }
