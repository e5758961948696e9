package steps

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// PSQuote returns s as a PowerShell single-quoted string literal.
//
// Inside single quotes PowerShell expands nothing ($, backtick, $( ) and
// double quotes are plain characters); the only special character is the
// single quote itself, which is escaped by doubling it. PowerShell's
// tokenizer treats four characters as single quotes, not one: the ASCII
// apostrophe and the typographic quotes U+2018, U+2019, U+201A and U+201B
// (which Word and Outlook love to insert). Each of them is doubled, so a
// value like "O’Brien" cannot end the string early. This is the same rule
// as PowerShell's own CodeGeneration.EscapeSingleQuotedStringContent.
//
// Every value relaywiz writes into a .ps1 goes through this function (the
// "ps" template function); FuzzPSQuote proves the literal always ends
// exactly where PSQuote says.
func PSQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		// Copy the original bytes (even invalid UTF-8 stays as it was);
		// only a quote character gets its twin.
		b.WriteString(s[i : i+size])
		if isPSSingleQuote(r) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

// isPSSingleQuote reports whether PowerShell's tokenizer reads r as a
// single quote.
func isPSSingleQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201A', '\u201B':
		return true
	}
	return false
}

// psRaw is PowerShell code written by relaywiz itself (never user input),
// such as $cred or @($env:COMPUTERNAME). It is the only value type that is
// emitted unquoted; nothing in Inputs can become a psRaw.
type psRaw string

// psVar is a reference to a variable declared at the top of a script.
// Value is what the variable holds (for the checklist and for the
// declaration itself).
type psVar struct {
	Name  string // without "$"
	Value any
	Note  string // what the variable holds, for a comment (relaywiz's text only)
}

// Ref is the variable as PowerShell code: $Name.
func (v *psVar) Ref() string { return "$" + v.Name }

// Braced is the variable for use inside a double-quoted string: ${Name}
// cannot run into the text after it (as "$Name:" would).
func (v *psVar) Braced() string { return "${" + v.Name + "}" }

// localServer stands for "the Exchange server the script runs on" when the
// admin named no source servers.
type localServer struct{}

// psValue renders v as PowerShell: strings single-quoted, string lists as
// @('a','b'), booleans as $true/$false, integers in decimal, variable
// references as $Name, and relaywiz's own code as written.
func psValue(v any) string {
	switch x := v.(type) {
	case string:
		return PSQuote(x)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = PSQuote(s)
		}
		return "@(" + strings.Join(parts, ", ") + ")"
	case bool:
		if x {
			return "$true"
		}
		return "$false"
	case int:
		return strconv.Itoa(x)
	case psRaw:
		return string(x)
	case localServer:
		return "@($env:COMPUTERNAME)"
	case psVar:
		return "$" + x.Name
	case *psVar:
		return "$" + x.Name
	}
	// A new value type must be added above; failing loudly in tests is
	// better than emitting something unquoted.
	panic("steps: psValue: unsupported value type")
}

// plainValue renders v for people (checklist, messages): no quotes.
func plainValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, ", ")
	case bool:
		if x {
			return "on"
		}
		return "off"
	case int:
		return strconv.Itoa(x)
	case psVar:
		return plainValue(x.Value)
	case *psVar:
		return plainValue(x.Value)
	case psRaw:
		return string(x)
	case localServer:
		return "the Exchange server you run apply.ps1 on"
	}
	panic("steps: plainValue: unsupported value type")
}
