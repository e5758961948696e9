package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// fit makes s exactly h lines of at most w cells: longer lines are cut
// with an ellipsis (a wrapped line would push the footer off a 24-line
// terminal), missing lines are padded.
func fit(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// wrap breaks text into lines of at most w cells at spaces only: host
// names, command lines and flags such as --user must not be split at
// their hyphens (ansi.Wrap always breaks there). Indentation is kept, and
// a word longer than a line is cut hard. A line indented by four spaces or
// more is a command to copy and stays exactly as it is.
func wrap(text string, w int) string {
	if w <= 0 {
		return text
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		if isCommandLine(para) {
			out = append(out, para)
			continue
		}
		var line strings.Builder
		lw := 0
		started := false
		flush := func() {
			out = append(out, line.String())
			line.Reset()
			lw, started = 0, false
		}
		for _, word := range strings.Split(para, " ") {
			ww := lipgloss.Width(word)
			if started && lw+1+ww > w && lw > 0 {
				flush()
			}
			if ww > w { // hard-cut an over-long word
				parts := strings.Split(ansi.Hardwrap(word, w, true), "\n")
				for _, p := range parts[:len(parts)-1] {
					if started {
						flush()
					}
					out = append(out, p)
				}
				word, ww = parts[len(parts)-1], lipgloss.Width(parts[len(parts)-1])
			}
			if started {
				line.WriteByte(' ')
				lw++
			}
			line.WriteString(word)
			lw += ww
			started = true
		}
		out = append(out, line.String())
	}
	return strings.Join(out, "\n")
}

// hang wraps text to w cells and indents the continuation lines by
// the width of prefix, so numbered and bulleted items stay readable.
func hang(prefix, text string, w int) string {
	pw := lipgloss.Width(prefix)
	lines := strings.Split(wrap(text, max(w-pw, 10)), "\n")
	pad := strings.Repeat(" ", pw)
	for i := range lines {
		if i == 0 {
			lines[i] = prefix + lines[i]
		} else {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// rule is a horizontal line across w cells.
func rule(st *Styles, w int) string {
	if w <= 0 {
		return ""
	}
	return st.Rule.Render(strings.Repeat("─", w))
}

// spread puts left and right on one line of w cells, cutting left first.
func spread(left, right string, w int) string {
	lw, rw := lipgloss.Width(left), lipgloss.Width(right)
	if lw+rw+1 > w {
		if rw+12 > w { // no room for both: keep the left part
			return ansi.Truncate(left, w, "…")
		}
		left = ansi.Truncate(left, w-rw-1, "…")
		lw = lipgloss.Width(left)
	}
	return left + strings.Repeat(" ", w-lw-rw) + right
}

// padRight pads s with spaces to w cells.
func padRight(s string, w int) string {
	if n := w - lipgloss.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// isCommandLine reports whether a line of advice is a command shown for
// copying (the convention of the hints: four spaces of indentation).
func isCommandLine(l string) bool {
	return strings.HasPrefix(l, "    ") && strings.TrimSpace(l) != ""
}

// count says "1 file", "2 files": a number with its noun, plural right.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
