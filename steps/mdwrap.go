package steps

// checklist.md comes from templates whose paragraphs are partly hand-wrapped
// and partly one long line per item (values are filled in at run time, so no
// hand-wrapping can be right). wrapMarkdown re-wraps every paragraph, list
// item and note to one width. A code span is never split: a command that is
// copied out of the checklist must be exactly one piece of text, so a span
// longer than the width gets a line of its own. A line that is only a code
// span (a command on its own) stays on its own line; fenced blocks, tables
// and headings are left as they are.

import (
	"regexp"
	"strings"
)

// checklistWidth is the width checklist.md is wrapped to.
const checklistWidth = 80

var mdListMarker = regexp.MustCompile(`^(\s*)([-*]|\d+\.)\s+`)

func wrapMarkdown(s string, width int) string {
	lines := strings.Split(s, "\n")
	var out []string
	inFence := false
	// the paragraph being collected: its first-line prefix, the indent of
	// its continuation lines and its words so far
	var prefix, indent string
	// words holds the paragraph's text pieces, joined before splitting, so
	// a code span the template wrapped across lines is put back together
	var words []string
	curQuote := false
	flush := func() {
		if words != nil {
			out = append(out, fillWords(prefix, indent, codeAwareFields(strings.Join(words, " ")), width)...)
		}
		words = nil
	}
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			inFence = !inFence
			out = append(out, l)
			continue
		case inFence, trimmed == "", strings.HasPrefix(trimmed, "#"), strings.HasPrefix(trimmed, "|"):
			flush()
			out = append(out, l)
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
		quote, body := "", trimmed
		if strings.HasPrefix(body, "> ") {
			quote, body = "> ", strings.TrimPrefix(body, "> ")
		}
		if m := mdListMarker.FindString(body); m != "" && quote == "" {
			flush()
			prefix = lead + m
			indent = strings.Repeat(" ", runeLen(prefix))
			words, curQuote = []string{body[len(m):]}, false
			continue
		}
		if isCodeOnlyLine(body) {
			// a command on a line of its own: keep it there
			flush()
			out = append(out, lead+quote+body)
			continue
		}
		if words == nil || curQuote != (quote != "") {
			flush()
			prefix, indent = lead+quote, lead+quote
			words, curQuote = []string{}, quote != ""
		}
		words = append(words, body)
	}
	flush()
	return strings.Join(out, "\n")
}

// isCodeOnlyLine reports whether a line is one code span, perhaps with
// closing punctuation.
func isCodeOnlyLine(s string) bool {
	if !strings.HasPrefix(s, "`") {
		return false
	}
	f := codeAwareFields(s)
	return len(f) == 1
}

// codeAwareFields splits text at spaces, keeping each `code span` (and the
// punctuation glued to it) one field.
func codeAwareFields(s string) []string {
	var out []string
	var cur strings.Builder
	inCode := false
	ticks := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '`' {
			n := 1
			for i+n < len(s) && s[i+n] == '`' {
				n++
			}
			switch {
			case !inCode:
				inCode, ticks = true, n
			case n == ticks:
				inCode = false
			}
			cur.WriteString(s[i : i+n])
			i += n - 1
			continue
		}
		if c == ' ' && !inCode {
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// fillWords lays words out in lines of at most width runes (a single word
// longer than that gets its own line).
func fillWords(prefix, indent string, words []string, width int) []string {
	var lines []string
	line := prefix
	empty := true
	var glued []string
	for _, w := range words {
		if len(glued) > 0 && strings.Trim(w, "%.,;:)") == "" {
			glued[len(glued)-1] += " " + w // "33 %" stays together
			continue
		}
		glued = append(glued, w)
	}
	for _, w := range glued {
		if !empty && runeLen(line)+1+runeLen(w) > width {
			lines = append(lines, line)
			line, empty = indent, true
		}
		if empty {
			line += w
			empty = false
		} else {
			line += " " + w
		}
	}
	if !empty || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func runeLen(s string) int { return len([]rune(s)) }
