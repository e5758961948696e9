package main

import (
	"fmt"
	"io"
	"strings"

	"relaywiz/termtext"
)

// writeProse prints advice the way every command shares: sentences are
// wrapped at about 78 columns (the first line after first, the others
// after rest), while a line indented by four spaces is a command to copy
// and is printed exactly as written, after rest, never wrapped or joined
// with its neighbours (a reflowed command runs something else).
func writeProse(w io.Writer, first, rest, text string) {
	prefix := first
	var para []string
	flush := func() {
		if len(para) > 0 {
			wrapIndented(w, prefix, rest, strings.Join(para, " "))
			prefix = rest
		}
		para = nil
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "    ") && strings.TrimSpace(l) != "" {
			flush()
			if prefix != rest {
				fmt.Fprintln(w, strings.TrimRight(prefix, " "))
				prefix = rest
			}
			fmt.Fprintln(w, rest+termtext.Escape(l)) // verbatim, but never raw
			continue
		}
		if strings.TrimSpace(l) != "" {
			para = append(para, l)
		}
	}
	flush()
	if prefix == first && first != rest {
		fmt.Fprintln(w, strings.TrimRight(first, " "))
	}
}
