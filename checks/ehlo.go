package checks

import (
	"sort"
	"strconv"
	"strings"
)

// ehloInfo is what an EHLO reply advertises.
type ehloInfo struct {
	greeting string            // first line: the server's name and greeting text
	ext      map[string]string // KEYWORD → parameters
	keywords []string          // in the order advertised
	masked   bool              // keywords like "XXXXXXXA": a firewall rewrote them
	// authLogin: a line whose first word is exactly AUTH (not "AUTH=")
	// lists LOGIN, the only form Exchange's send connector logs in to.
	authLogin bool
	// authOldForm: only "AUTH=..." lines were seen.
	authOldForm bool
}

// parseEHLO reads the lines of a 250 EHLO reply with the reply codes
// already removed (as textproto.Reader.ReadResponse returns them).
func parseEHLO(msg string) ehloInfo {
	info := ehloInfo{ext: map[string]string{}}
	lines := strings.Split(msg, "\n")
	info.greeting = strings.TrimSpace(lines[0])
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		kw, params, _ := strings.Cut(line, " ")
		kw = strings.ToUpper(kw)
		if kw == "AUTH" {
			for _, m := range strings.Fields(params) {
				if strings.EqualFold(m, "LOGIN") {
					info.authLogin = true
				}
			}
		}
		// Old servers announce "AUTH=LOGIN PLAIN" (pre-RFC 2554 syntax).
		if k, p, ok := strings.Cut(kw, "="); ok && k == "AUTH" {
			kw, params = k, strings.TrimSpace(p+" "+params)
			info.authOldForm = true
		}
		if isMaskedKeyword(kw) {
			info.masked = true
		}
		if _, dup := info.ext[kw]; !dup {
			info.keywords = append(info.keywords, kw)
		}
		if old := info.ext[kw]; old != "" && kw == "AUTH" {
			params = old + " " + params
		}
		info.ext[kw] = params
	}
	return info
}

// authMechanisms returns the advertised SASL mechanisms, upper-cased,
// de-duplicated and sorted.
func authMechanisms(ext map[string]string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, m := range strings.Fields(ext["AUTH"]) {
		m = strings.ToUpper(m)
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// sizeLimit returns the SIZE parameter (0: none advertised or no limit).
func sizeLimit(ext map[string]string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(ext["SIZE"]), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// describeEHLO renders the advertised extensions for the stage detail.
func describeEHLO(info ehloInfo) string {
	if len(info.keywords) == 0 {
		return "no extensions advertised"
	}
	parts := make([]string, 0, len(info.keywords))
	for _, kw := range info.keywords {
		switch kw {
		case "AUTH", "SIZE":
			if p := info.ext[kw]; p != "" {
				parts = append(parts, kw+" "+p)
				continue
			}
		}
		parts = append(parts, kw)
	}
	return strings.Join(parts, ", ")
}

// isMaskedKeyword spots the "XXXXXXXA" that Cisco ASA/PIX ESMTP
// inspection puts in place of extensions it does not allow (STARTTLS
// among them).
func isMaskedKeyword(kw string) bool {
	if len(kw) < 4 {
		return false
	}
	x := strings.Count(kw, "X")
	return x >= 4 && x >= len(kw)-1
}

// isMaskedBanner spots a greeting whose text was overwritten with '*'
// (Cisco ASA/PIX "220 ****...") or 'X' by a firewall's SMTP inspection.
func isMaskedBanner(text string) bool {
	var stars, xs, other int
	for _, r := range text {
		switch {
		case r == '*':
			stars++
		case r == 'X':
			xs++
		case r == ' ' || r == '\t':
		default:
			other++
		}
	}
	masked := stars + xs
	return masked >= 6 && masked >= other
}
