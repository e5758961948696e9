package steps

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// psCall is one cmdlet invocation read back from a generated script, with
// its parameters resolved to Go values: string, []string, bool, int,
// map[string]any (for @{Add = ...}) or psRaw for anything else (such as
// $cred or $priority).
type psCall struct {
	Cmdlet string
	Params map[string]any
	Line   int
}

// Has reports whether the call passes the parameter.
func (c psCall) Has(p string) bool { _, ok := c.Params[p]; return ok }

var (
	reVarDecl   = regexp.MustCompile(`^\$(\w+)\s*=\s*(.+?)$`)
	reSplatOpen = regexp.MustCompile(`^\s*\$(\w+)\s*=\s*@\{\s*$`)
	reSplatKV   = regexp.MustCompile(`^\s*(\w+)\s*=\s*(.+?)\s*$`)
	reCall      = regexp.MustCompile(`(?:^|[\s(=@])((?:Get|New|Set|Remove|Validate|Connect|Import|Enable|Disable)-[A-Za-z]+)\b`)
)

// parseScript reads the variable declarations, splatted hashtables and
// cmdlet calls of a generated script. It understands the shapes a
// PowerShell author would write (and relaywiz writes), not PowerShell in
// general; the lexer has already proved the script well-formed.
func parseScript(t *testing.T, src string) (vars map[string]any, calls []psCall) {
	t.Helper()
	if _, err := lexPS(src); err != nil {
		t.Fatalf("script does not lex: %v", err)
	}
	vars = map[string]any{}
	splats := map[string]map[string]any{}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		if m := reSplatOpen.FindStringSubmatch(line); m != nil {
			h := map[string]any{}
			for i++; i < len(lines); i++ {
				l := strings.TrimSpace(strings.TrimRight(lines[i], "\r"))
				if l == "}" {
					break
				}
				kv := reSplatKV.FindStringSubmatch(l)
				if kv == nil {
					t.Fatalf("line %d: cannot read hashtable entry %q", i+1, l)
				}
				h[kv[1]] = parseValue(t, kv[2], vars)
			}
			splats[m[1]] = h
			continue
		}
		if m := reVarDecl.FindStringSubmatch(stripComment(t, line)); m != nil && !strings.HasPrefix(line, " ") {
			vars[m[1]] = parseValue(t, m[2], vars)
			continue
		}
		if loc := reCall.FindStringSubmatchIndex(maskStrings(line)); loc != nil {
			c := psCall{Cmdlet: line[loc[2]:loc[3]], Params: map[string]any{}, Line: i + 1}
			args := splitArgs(t, line[loc[3]:])
			for j := 0; j < len(args); j++ {
				a := args[j]
				switch {
				case strings.HasPrefix(a, "@") && !strings.HasPrefix(a, "@{") && !strings.HasPrefix(a, "@("):
					for k, v := range splats[a[1:]] {
						c.Params[k] = v
					}
				case strings.HasPrefix(a, "-") && len(a) > 1 && isIdent(a[1:]):
					name := a[1:]
					if j+1 < len(args) && !strings.HasPrefix(args[j+1], "-") {
						c.Params[name] = parseValue(t, args[j+1], vars)
						j++
					} else {
						c.Params[name] = true // a switch
					}
				case strings.HasPrefix(a, "-") && strings.Contains(a, ":"):
					name, val, _ := strings.Cut(a[1:], ":")
					c.Params[name] = parseValue(t, val, vars)
				}
			}
			calls = append(calls, c)
		}
	}
	return vars, calls
}

// maskStrings replaces the content of string literals (and comments) with
// x, keeping byte offsets, so that a cmdlet name inside a message is not
// taken for a call.
func maskStrings(line string) string {
	b := []byte(line)
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == '#':
			for j := i; j < len(b); j++ {
				b[j] = 'x'
			}
			return string(b)
		case isSingleQuoteRune(r) || isDoubleQuoteRune(r):
			single := isSingleQuoteRune(r)
			j := i + size
			for j < len(line) {
				r2, s2 := utf8.DecodeRuneInString(line[j:])
				if !single && r2 == '`' {
					j += s2 + 1
					continue
				}
				if (single && isSingleQuoteRune(r2)) || (!single && isDoubleQuoteRune(r2)) {
					r3, s3 := utf8.DecodeRuneInString(line[min(j+s2, len(line)):])
					if j+s2 < len(line) && ((single && isSingleQuoteRune(r3)) || (!single && isDoubleQuoteRune(r3))) {
						j += s2 + s3
						continue
					}
					j += s2
					break
				}
				j += s2
			}
			for k := i; k < min(j, len(b)); k++ {
				b[k] = 'x'
			}
			i = j
		default:
			i += size
		}
	}
	return string(b)
}

func isIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// stripComment removes a trailing # comment outside strings.
func stripComment(t *testing.T, line string) string {
	toks, err := lexPS(line)
	if err != nil {
		return line
	}
	var b strings.Builder
	for _, tok := range toks {
		if tok.kind == tokComment {
			break
		}
		b.WriteString(tok.text)
	}
	return strings.TrimSpace(b.String())
}

// splitArgs splits a command line's arguments at spaces outside strings
// and brackets, and stops at a pipe or a closing brace of the statement.
func splitArgs(t *testing.T, s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	toks, err := lexPS(s)
	if err != nil {
		// a fragment such as "... -ErrorAction SilentlyContinue)) {" may
		// not balance on its own; read what is before the break
		toks = []psTok{{kind: tokCode, text: s}}
	}
	for _, tok := range toks {
		if tok.kind != tokCode {
			if tok.kind == tokComment {
				break
			}
			cur.WriteString(tok.text)
			continue
		}
		for _, r := range tok.text {
			switch {
			case r == '(' || r == '{' || r == '[':
				depth++
				cur.WriteRune(r)
			case r == ')' || r == '}' || r == ']':
				if depth == 0 {
					flush()
					return out
				}
				depth--
				cur.WriteRune(r)
			case r == '|' && depth == 0:
				flush()
				return out
			case (r == ' ' || r == '\t') && depth == 0:
				flush()
			default:
				cur.WriteRune(r)
			}
		}
	}
	flush()
	return out
}

var reInt = regexp.MustCompile(`^-?\d+$`)

// parseValue reads a literal: 'string', @('a', 'b'), $true/$false, an
// integer, $Variable (resolved), @{Add = value}; anything else is psRaw.
func parseValue(t *testing.T, s string, vars map[string]any) any {
	s = strings.TrimSpace(s)
	switch {
	case s == "$true":
		return true
	case s == "$false":
		return false
	case reInt.MatchString(s):
		n, _ := strconv.Atoi(s)
		return n
	case len(s) > 0 && isSingleQuoteRune([]rune(s)[0]):
		toks, err := lexPS(s)
		if err != nil || len(toks) != 1 || toks[0].kind != tokSingle {
			t.Fatalf("not one string literal: %s (%v)", s, err)
		}
		return toks[0].value
	case strings.HasPrefix(s, "@(") && strings.HasSuffix(s, ")"):
		toks, err := lexPS(s[2 : len(s)-1])
		if err != nil {
			t.Fatalf("list %s: %v", s, err)
		}
		list := []string{}
		for _, tok := range toks {
			switch tok.kind {
			case tokSingle:
				list = append(list, tok.value)
			case tokCode:
				if strings.Trim(tok.text, ", ") != "" {
					return psRaw(s)
				}
			default:
				return psRaw(s)
			}
		}
		return list
	case strings.HasPrefix(s, "@{") && strings.HasSuffix(s, "}"):
		k, v, ok := strings.Cut(s[2:len(s)-1], "=")
		if !ok {
			return psRaw(s)
		}
		return map[string]any{strings.TrimSpace(k): parseValue(t, v, vars)}
	case strings.HasPrefix(s, "$") && isIdent(s[1:]):
		if v, ok := vars[s[1:]]; ok {
			return v
		}
		return psRaw(s)
	}
	return psRaw(s)
}

// callsOf filters calls by cmdlet.
func callsOf(calls []psCall, cmdlet string) []psCall {
	var out []psCall
	for _, c := range calls {
		if strings.EqualFold(c.Cmdlet, cmdlet) {
			out = append(out, c)
		}
	}
	return out
}

func fmtValue(v any) string { return fmt.Sprintf("%#v", v) }
