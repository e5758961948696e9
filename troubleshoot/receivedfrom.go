package troubleshoot

import (
	"net/netip"
	"strings"
)

// parseFromClause separates the three things a "from" clause can record:
// the HELO/EHLO name the client announced, the reverse-DNS name the
// receiver looked up and the client address. Where each one sits depends
// on the MTA:
//
//	Postfix, Sendmail, Gmail  from HELO (RDNS [IP])        "unknown" for no RDNS; Sendmail may write ident@RDNS
//	Exim                      from RDNS ([IP]:port helo=HELO)  helo= left out when HELO == RDNS
//	qmail, IronPort, CGP      from RDNS (HELO HELO) (ident@IP)   RDNS "unknown" when there is none
//	Exchange                  from HELO (IP)
//
// Address forms: [IP], [IPv6:…], IP:port, [IP]:port, a.b.c.d.port (old
// ident-style), ident@IP, IP%zone, and a bare "from host [ip]".
func parseFromClause(c *clause) (helo, rdns, ip string) {
	first := ""
	if len(c.words) > 0 {
		first = c.words[0]
	}
	// a bare address after the name: "from host [192.0.2.1]"
	for _, w := range c.words[min(1, len(c.words)):] {
		if a := addrForm(w); a != "" {
			ip = a
			break
		}
	}
	heloComment, nameBeforeIP, bracketOnly := "", "", false
	for _, cm := range c.comments {
		fs := strings.Fields(cm)
		for i, f := range fs {
			lf := strings.ToLower(f)
			switch {
			case strings.HasPrefix(lf, "helo="):
				setOnce(&heloComment, f[len("helo="):])
			case (lf == "helo" || lf == "ehlo") && i+1 < len(fs):
				setOnce(&heloComment, fs[i+1])
			}
			if a := addrForm(f); a != "" && ip == "" {
				ip = a
				if i == 0 {
					bracketOnly = strings.HasPrefix(f, "[")
				} else if n := fs[i-1]; addrForm(n) == "" && !strings.Contains(n, "=") {
					// "RDNS [IP]" (Postfix) or "ident@RDNS [IP]" (Sendmail)
					if at := strings.LastIndexByte(n, '@'); at >= 0 {
						n = n[at+1:]
					}
					nameBeforeIP = n
				}
			}
		}
	}

	firstAddr := addrForm(first)
	switch {
	case heloComment != "":
		// Exim, qmail, IronPort, CommuniGate: the leading word is the
		// receiver's lookup (or the address, or "unknown").
		helo = cleanHost(heloComment)
		if firstAddr == "" && !strings.EqualFold(first, "unknown") {
			rdns = cleanHost(first)
		}
	case nameBeforeIP != "":
		helo = cleanHost(first)
		if !strings.EqualFold(nameBeforeIP, "unknown") {
			rdns = cleanHost(nameBeforeIP)
		}
	case bracketOnly && firstAddr == "":
		// Exim and IronPort leave helo= out when it equals the name
		// they looked up: the one word is both.
		helo = cleanHost(first)
		rdns = helo
	default:
		helo = cleanHost(first)
	}
	if strings.EqualFold(helo, "unknown") && heloComment == "" {
		helo = ""
	}
	if ip == "" {
		ip = firstAddr
	}
	if ip == "" {
		if a := addrForm(helo); a != "" {
			ip = a
		}
	}
	return helo, rdns, ip
}

// addrForm returns the IP address a Received token spells, in canonical
// form, or "" when it is not one of the forms MTAs write.
func addrForm(tok string) string {
	s := strings.TrimSpace(tok)
	s = strings.TrimRight(s, ",;")
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[at+1:] // ident@ip
	}
	bracketed := strings.HasPrefix(s, "[")
	if bracketed {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return ""
		}
		rest := s[end+1:]
		if rest != "" && !(rest[0] == ':' && allDigits(rest[1:])) && !(rest[0] == '.' && allDigits(rest[1:])) {
			return ""
		}
		s = s[1:end]
		if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
			s = s[5:]
		}
	}
	if i := strings.IndexByte(s, '%'); i > 0 {
		s = s[:i] // zone index: fe80::1%4
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	if bracketed {
		return ""
	}
	// 192.0.2.1:54321
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String()
	}
	// 192.0.2.1.54321 (address.port as some older MTAs and ident write it)
	if strings.Count(s, ".") == 4 {
		if i := strings.LastIndexByte(s, '.'); allDigits(s[i+1:]) {
			if a, err := netip.ParseAddr(s[:i]); err == nil && a.Is4() {
				return a.String()
			}
		}
	}
	return ""
}

func allDigits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cleanHost returns a host name or address literal as recorded, or "" when
// the token cannot be one: control bytes (a NUL), "user@host", characters
// outside names and literals. A trailing dot or comma is dropped.
func cleanHost(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ",;")
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 255 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == '_', c == ':', c == '[', c == ']', c == '%':
		default:
			return ""
		}
	}
	return s
}

// isLoopback: localhost names and loopback addresses ([IPv6:::1] too).
func isLoopback(host string) bool {
	h := strings.ToLower(host)
	if h == "" {
		return false
	}
	if h == "localhost" || strings.HasPrefix(h, "localhost.") || h == "localhost.localdomain" {
		return true
	}
	if a := addrForm(h); a != "" {
		ip, err := netip.ParseAddr(a)
		return err == nil && ip.IsLoopback()
	}
	return false
}
