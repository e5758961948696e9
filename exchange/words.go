package exchange

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// containsWord implements the "Words" property type of mail flow rule
// conditions (Exchange Online "Mail flow rule conditions and exceptions",
// section "Property types"): matching ignores case, a word or phrase must
// stand on its own (surrounded by spaces, punctuation or the ends of the
// text), and there are no wildcards or partial matches: "*" is a literal.
func containsWord(text, word string) bool {
	word = strings.TrimSpace(word)
	if word == "" {
		return false
	}
	t, w := text, word
	if !isASCII(t) || !isASCII(w) {
		t, w = strings.ToLower(text), strings.ToLower(word)
	}
	for start := 0; start <= len(t)-len(w); {
		i := indexFoldASCII(t[start:], w)
		if i < 0 {
			return false
		}
		i += start
		if boundaryBefore(t, i, w) && boundaryAfter(t, i+len(w), w) {
			return true
		}
		start = i + 1
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// indexFoldASCII finds w in t ignoring ASCII case, without allocating.
// (Non-ASCII text is lower-cased first and then compared exactly.)
func indexFoldASCII(t, w string) int {
	n := len(w)
	for i := 0; i+n <= len(t); i++ {
		j := 0
		for ; j < n; j++ {
			a, b := t[i+j], w[j]
			if a != b && lowerASCII(a) != lowerASCII(b) {
				break
			}
		}
		if j == n {
			return i
		}
	}
	return -1
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// A word whose own first (last) character is punctuation, like
// "[confidential]", needs no further boundary on that side.
func boundaryBefore(t string, i int, w string) bool {
	if i == 0 {
		return true
	}
	first, _ := utf8.DecodeRuneInString(w)
	if !isWordRune(first) {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return !isWordRune(r)
}

func boundaryAfter(t string, j int, w string) bool {
	if j >= len(t) {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(w)
	if !isWordRune(last) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(t[j:])
	return !isWordRune(r)
}

// isWordRune: letters and digits make up words; Microsoft names spaces and
// punctuation as separators. Treating "_" as part of a word is INFERRED (it
// matters for MSIP_Label_<GUID>_Enabled=True, see the caveat in steps).
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

// anyWord reports whether any of the words is in any of the texts.
func anyWord(texts, words []string) bool {
	for _, t := range texts {
		for _, w := range words {
			if containsWord(t, w) {
				return true
			}
		}
	}
	return false
}

var (
	patternMu    sync.Mutex
	patternCache = map[string]*regexp.Regexp{}
)

// matchPattern implements the "Patterns" property type: a regular
// expression, matched anywhere in the text. Microsoft documents the
// patterns as not case-sensitive for Exchange Online; relaywiz applies that
// on both platforms (INFERRED for on-premises). A pattern Go cannot compile
// (.NET syntax Go lacks) is unknown, not false.
func matchPattern(text, pattern string) Tri {
	patternMu.Lock()
	re, ok := patternCache[pattern]
	if !ok {
		var err error
		re, err = regexp.Compile("(?i)" + pattern)
		if err != nil {
			re = nil
		}
		patternCache[pattern] = re
	}
	patternMu.Unlock()
	if re == nil {
		return Unknown
	}
	if re.MatchString(text) {
		return True
	}
	return False
}

// anyPattern is OR over texts and patterns, with unknown winning over false.
func anyPattern(texts, patterns []string) Tri {
	out := False
	for _, t := range texts {
		for _, p := range patterns {
			switch matchPattern(t, p) {
			case True:
				return True
			case Unknown:
				out = Unknown
			}
		}
	}
	return out
}
