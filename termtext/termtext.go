// Package termtext makes text that came from the network or from a file
// safe to print on a terminal.
//
// Banners, SMTP replies, header values, decoded subjects and file names are
// written by other people. Printed raw, an escape sequence in them can clear
// the screen, move the cursor and paint a forged verdict, set the window
// title, or write the clipboard (OSC 52). Every human-facing renderer in
// relaywiz (CLI and TUI) passes such text through Escape; JSON output does
// not need it, because encoding/json escapes control characters itself.
package termtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every control character, invalid UTF-8 byte and
// bidirectional-override character written as a visible Go-style escape
// (\x1b, \r, \u202e). Printable text, including non-ASCII letters, is kept.
// A backslash is kept as is: doubling it would make ordinary Windows paths
// unreadable, and a lone backslash cannot start a terminal sequence.
func Escape(s string) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// EscapeLines is Escape for multi-line text whose line breaks are meant to
// show (a transcript, a header block): \n is kept, a lone \r and every other
// control character are escaped.
func EscapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}

// Truncate shortens s to at most max runes for display, saying how long
// it really was, so a 20 MB line costs one screen line. s is escaped first.
func Truncate(s string, max int) string {
	s = Escape(s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return fmt.Sprintf("%s… (%d bytes in all)", string(runes[:max]), len(s))
}

func isSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			if c >= 0x80 {
				return isSafeSlow(s[i:])
			}
			return false
		}
	}
	return true
}

func isSafeSlow(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || unsafeRune(r) {
			return false
		}
	}
	return true
}

// unsafeRune: C1 controls (0x80-0x9f; 0x9b is a one-byte CSI on some
// terminals) and the Unicode bidi controls that reorder what is shown
// (a "Trojan Source" verdict that reads SECURE but is not).
func unsafeRune(r rune) bool {
	if r >= 0x80 && r <= 0x9f {
		return true
	}
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return !unicode.IsPrint(r) && !unicode.IsSpace(r)
}
