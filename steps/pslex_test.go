package steps

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A small PowerShell lexer for the tests, written from PowerShell's
// tokenizer rules (not from relaywiz's templates): it finds comments,
// single- and double-quoted strings (including the typographic quote
// characters PowerShell accepts) and $( ) subexpressions, and checks that
// brackets balance. It is enough to prove where every string literal of a
// generated script starts and ends, which is what the quoting guarantees
// are about.

type psTokKind int

const (
	tokCode    psTokKind = iota // anything outside strings and comments
	tokSingle                   // '...' ; value is the decoded content
	tokDouble                   // "..." ; text is the raw literal
	tokComment                  // # ... or <# ... #>
)

type psTok struct {
	kind  psTokKind
	text  string // raw source of the token
	value string // tokSingle: the string's value
	pos   int
}

func isSingleQuoteRune(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201A' || r == '\u201B'
}

func isDoubleQuoteRune(r rune) bool {
	return r == '"' || r == '\u201C' || r == '\u201D' || r == '\u201E'
}

type psLexer struct {
	src  string
	i    int
	toks []psTok
	code strings.Builder
	cpos int
}

func lexPS(src string) ([]psTok, error) {
	l := &psLexer{src: src}
	if err := l.run(0); err != nil {
		return nil, err
	}
	l.flush()
	return l.toks, nil
}

func (l *psLexer) peek(off int) (rune, int) {
	j := l.i
	var r rune
	size := 0
	for k := 0; k <= off; k++ {
		if j >= len(l.src) {
			return -1, 0
		}
		r, size = utf8.DecodeRuneInString(l.src[j:])
		if k < off {
			j += size
		}
	}
	return r, size
}

func (l *psLexer) flush() {
	if l.code.Len() > 0 {
		l.toks = append(l.toks, psTok{kind: tokCode, text: l.code.String(), pos: l.cpos})
		l.code.Reset()
	}
}

func (l *psLexer) addCode(s string) {
	if l.code.Len() == 0 {
		l.cpos = l.i
	}
	l.code.WriteString(s)
}

// run lexes code until the end of input (closer == 0) or until the
// bracket closer that ends a $( ) subexpression.
func (l *psLexer) run(closer rune) error {
	var stack []rune
	pairs := map[rune]rune{'(': ')', '{': '}', '[': ']'}
	atTokenStart := true
	for l.i < len(l.src) {
		r, size := l.peek(0)
		switch {
		case r == '<' && strings.HasPrefix(l.src[l.i:], "<#"):
			end := strings.Index(l.src[l.i+2:], "#>")
			if end < 0 {
				return fmt.Errorf("offset %d: block comment <# is never closed", l.i)
			}
			l.flush()
			n := 2 + end + 2
			l.toks = append(l.toks, psTok{kind: tokComment, text: l.src[l.i : l.i+n], pos: l.i})
			l.i += n
			continue
		case r == '#' && atTokenStart:
			end := strings.IndexByte(l.src[l.i:], '\n')
			if end < 0 {
				end = len(l.src) - l.i
			}
			l.flush()
			l.toks = append(l.toks, psTok{kind: tokComment, text: l.src[l.i : l.i+end], pos: l.i})
			l.i += end
			continue
		case r == '@' && (strings.HasPrefix(l.src[l.i:], "@'\n") || strings.HasPrefix(l.src[l.i:], "@\"\n") ||
			strings.HasPrefix(l.src[l.i:], "@'\r\n") || strings.HasPrefix(l.src[l.i:], "@\"\r\n")):
			return fmt.Errorf("offset %d: here-string (relaywiz never emits one)", l.i)
		case isSingleQuoteRune(r):
			l.flush()
			if err := l.single(); err != nil {
				return err
			}
			atTokenStart = false
			continue
		case isDoubleQuoteRune(r):
			l.flush()
			if err := l.double(); err != nil {
				return err
			}
			atTokenStart = false
			continue
		case r == '`':
			// escape / line continuation: the next character is literal
			_, next := l.peek(1)
			l.addCode(l.src[l.i : l.i+size+next])
			l.i += size + next
			atTokenStart = false
			continue
		case r == '(' || r == '{' || r == '[':
			stack = append(stack, pairs[r])
		case r == ')' || r == '}' || r == ']':
			if len(stack) == 0 {
				if closer != 0 && r == closer {
					l.addCode(string(r))
					l.i += size
					return nil
				}
				return fmt.Errorf("offset %d: %q closes nothing", l.i, r)
			}
			if stack[len(stack)-1] != r {
				return fmt.Errorf("offset %d: %q where %q was expected", l.i, r, stack[len(stack)-1])
			}
			stack = stack[:len(stack)-1]
		}
		atTokenStart = r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ';' || r == '{' || r == '(' || r == '}'
		l.addCode(l.src[l.i : l.i+size])
		l.i += size
	}
	if closer != 0 {
		return fmt.Errorf("subexpression $( is never closed")
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed brackets at end of script: %q", string(stack))
	}
	return nil
}

// single lexes a single-quoted string: a quote character followed by
// another quote character is one literal quote; any other quote ends it.
func (l *psLexer) single() error {
	start := l.i
	_, size := l.peek(0)
	l.i += size
	var val strings.Builder
	for l.i < len(l.src) {
		r, size := l.peek(0)
		if isSingleQuoteRune(r) {
			r2, size2 := l.peek(1)
			if isSingleQuoteRune(r2) {
				val.WriteString(l.src[l.i+size : l.i+size+size2])
				l.i += size + size2
				continue
			}
			l.i += size
			l.toks = append(l.toks, psTok{kind: tokSingle, text: l.src[start:l.i], value: val.String(), pos: start})
			return nil
		}
		val.WriteString(l.src[l.i : l.i+size])
		l.i += size
	}
	return fmt.Errorf("offset %d: single-quoted string never ends", start)
}

// double lexes a double-quoted string with backtick escapes, doubled
// quotes and $( ) subexpressions (which may hold strings of their own).
func (l *psLexer) double() error {
	start := l.i
	_, size := l.peek(0)
	l.i += size
	for l.i < len(l.src) {
		r, size := l.peek(0)
		switch {
		case r == '`':
			_, next := l.peek(1)
			l.i += size + next
		case r == '$' && strings.HasPrefix(l.src[l.i:], "$("):
			l.i += 2
			sub := &psLexer{src: l.src, i: l.i}
			if err := sub.run(')'); err != nil {
				return fmt.Errorf("in the string at offset %d: %w", start, err)
			}
			l.i = sub.i
		case isDoubleQuoteRune(r):
			r2, size2 := l.peek(1)
			if isDoubleQuoteRune(r2) {
				l.i += size + size2
				continue
			}
			l.i += size
			l.toks = append(l.toks, psTok{kind: tokDouble, text: l.src[start:l.i], pos: start})
			return nil
		default:
			l.i += size
		}
	}
	return fmt.Errorf("offset %d: double-quoted string never ends", start)
}

// skeleton is the script with the content of every single-quoted literal
// replaced by a fixed marker: what PowerShell would parse as code. Two
// scripts with the same skeleton differ only inside string literals.
func skeleton(toks []psTok) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind == tokSingle {
			b.WriteString("'<value>'")
		} else {
			b.WriteString(t.text)
		}
	}
	return b.String()
}
