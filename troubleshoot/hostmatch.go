package troubleshoot

import (
	"path"
	"strings"
)

// DefaultProviderHosts are the host patterns that mean "this hop is the
// secure-mail provider". Zivver publishes smtp.zivver.com; a Cryptshare Mail
// Gateway and CodeTwo's service run under names that vary per customer or
// region but carry the product name, so those match as a name part.
// Customers with their own gateway name (cmg.example.org) pass it with
// --provider-host.
var DefaultProviderHosts = []string{"zivver.com", "cryptshare", "codetwo"}

// hostMatcher decides whether a host name belongs to the provider.
//
// Pattern forms:
//   - with '*' or '?': a glob over the whole lower-case name ("*.zivver.com")
//   - with a dot: the domain itself or any name below it ("zivver.com")
//   - without a dot: any DNS label that contains the word ("cryptshare"
//     matches cryptshare.example.org and cmg-cryptshare01.corp.local)
type hostMatcher struct{ patterns []string }

func newHostMatcher(patterns []string) hostMatcher {
	var ps []string
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(p), "."))
		if p != "" {
			ps = append(ps, p)
		}
	}
	return hostMatcher{patterns: ps}
}

func (m hostMatcher) match(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "" {
		return false
	}
	for _, p := range m.patterns {
		switch {
		case strings.ContainsAny(p, "*?["):
			if ok, err := path.Match(p, h); err == nil && ok {
				return true
			}
		case strings.Contains(p, "."):
			if h == p || strings.HasSuffix(h, "."+p) {
				return true
			}
		default:
			// a word inside one DNS label; a label never holds a dot, so
			// searching the whole name for a dot-free word is the same
			if strings.Contains(h, p) {
				return true
			}
		}
	}
	return false
}

// ValidateProviderPattern reports a pattern the matcher cannot use, so the
// CLI can name the bad flag value instead of silently never matching.
func ValidateProviderPattern(p string) error {
	p = strings.TrimSpace(p)
	if p == "" {
		return errEmptyPattern
	}
	if strings.ContainsAny(p, " \t/@:") {
		return errBadPatternChars
	}
	if _, err := path.Match(strings.ToLower(p), "x"); err != nil {
		return err
	}
	return nil
}
