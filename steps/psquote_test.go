package steps

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// nastyValues try every way out of a PowerShell string literal we know of:
// the ASCII quote and its typographic twins (which PowerShell also treats
// as quotes), statement separators, subexpressions, backticks, comment
// starts and line breaks.
var nastyValues = []string{
	"",
	"plain",
	"O'Brien",
	"'",
	"''",
	"'''",
	"'; Remove-Item -Recurse C:\\ ; '",
	"x' + (Invoke-Expression 'calc') + '",
	"O\u2019Brien",           // right single quotation mark
	"\u2018quoted\u2019",     // left/right single quotation marks
	"\u201Alow\u201B",        // low-9 and reversed-9 single quotes
	"\u2019; calc; \u2018",   // typographic quote ending the string, then code
	"'\u2019",                // mixed pair
	"\u2019'",                // mixed pair, other order
	"$(calc)",                // subexpression: literal inside single quotes
	"${env:USERNAME}",        // variable
	"`n`r`0",                 // backtick escapes: literal inside single quotes
	"\"double\" quotes",      // double quotes are plain here
	"\u201Cdouble\u201D",     // typographic double quotes
	"#> <# comment",          // comment markers
	"line\nbreak",            // newline inside the literal
	"cr\r\nlf",               // CRLF inside the literal
	"@'\nhere\n'@",           // here-string markers
	"tab\tand\x00nul",        // control characters
	"\xff\xfe invalid utf-8", // not UTF-8 at all
	strings.Repeat("'", 101), // many quotes
	strings.Repeat("\u2019", 7),
}

func TestPSQuoteRoundTrip(t *testing.T) {
	for _, v := range nastyValues {
		checkQuotedLiteral(t, v)
	}
}

func TestPSQuoteExamples(t *testing.T) {
	cases := map[string]string{
		"":          "''",
		"abc":       "'abc'",
		"O'Brien":   "'O''Brien'",
		"O’Brien":   "'O’’Brien'",
		"$(x)":      "'$(x)'",
		"a\"b":      "'a\"b'",
		"‘x’":       "'‘‘x’’'",
		"it's ‚ok‛": "'it''s ‚‚ok‛‛'",
	}
	for in, want := range cases {
		if got := PSQuote(in); got != want {
			t.Errorf("PSQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkQuotedLiteral embeds PSQuote(v) in a statement followed by more code
// and proves with the lexer that the literal ends exactly where PSQuote
// says, holds exactly v, and that the code after it is untouched: no value
// can end a string early or start a new statement.
func checkQuotedLiteral(t *testing.T, v string) {
	t.Helper()
	q := PSQuote(v)
	const before, after = "$x = ", "; Write-Host 'after'\n"
	src := before + q + after
	toks, err := lexPS(src)
	if err != nil {
		t.Fatalf("PSQuote(%q) = %q: script does not lex: %v", v, q, err)
	}
	want := []psTok{
		{kind: tokCode, text: before},
		{kind: tokSingle, text: q},
		{kind: tokCode, text: "; Write-Host "},
		{kind: tokSingle, text: "'after'", value: "after"},
		{kind: tokCode, text: "\n"},
	}
	if len(toks) != len(want) {
		t.Fatalf("PSQuote(%q) = %q: lexed into %d tokens, want %d: %#v", v, q, len(toks), len(want), toks)
	}
	for i := range want {
		if toks[i].kind != want[i].kind || toks[i].text != want[i].text {
			t.Fatalf("PSQuote(%q) = %q: token %d is %#v, want %#v", v, q, i, toks[i], want[i])
		}
	}
	if utf8.ValidString(v) && toks[1].value != v {
		t.Fatalf("PSQuote(%q) = %q: PowerShell would read %q", v, q, toks[1].value)
	}
}

// FuzzPSQuote: for any string, the quoted literal is one string token with
// the original value, followed by the original code. The seed corpus runs
// in every `go test`; `go test -fuzz=FuzzPSQuote ./steps` explores further.
func FuzzPSQuote(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		checkQuotedLiteral(t, v)
	})
}

func TestPSValueKinds(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"a'b", "'a''b'"},
		{[]string{"x", "y'z"}, "@('x', 'y''z')"},
		{[]string{}, "@()"},
		{true, "$true"},
		{false, "$false"},
		{587, "587"},
		{&psVar{Name: "SmartHost", Value: "ignored'"}, "$SmartHost"},
		{localServer{}, "@($env:COMPUTERNAME)"},
	}
	for _, c := range cases {
		if got := psValue(c.v); got != c.want {
			t.Errorf("psValue(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("psValue of an unknown type must panic instead of emitting it unquoted")
		}
	}()
	psValue(3.14)
}

func TestMDCodeCannotBeClosedByValue(t *testing.T) {
	for _, v := range []string{"a", "a`b", "``x``", "`", "x```"} {
		got := mdCode(v)
		fence := strings.Repeat("`", strings.Count(got, "`")-strings.Count(v, "`"))
		fence = fence[:len(fence)/2]
		if !strings.HasPrefix(got, fence) || !strings.HasSuffix(got, fence) {
			t.Fatalf("mdCode(%q) = %q: not fenced", v, got)
		}
		inner := strings.TrimSpace(got[len(fence) : len(got)-len(fence)])
		if inner != v {
			t.Errorf("mdCode(%q) = %q: content %q", v, got, inner)
		}
		if strings.Contains(v, fence) {
			t.Errorf("mdCode(%q) = %q: the value contains the fence %q", v, got, fence)
		}
	}
}
