package audit

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"relaywiz/termtext"
)

// maxBox is the widest a box's text gets (the terminal stays readable at 80
// columns).
const maxBox = 60

// box is one element of the drawn route.
type box struct {
	title, detail, mark string
}

// boxes turns a message's route into the boxes of the picture: where it
// was submitted, every rule that acted, the connector, the next hop, and
// where it ends; a second pass starts with the service that handed it back.
func boxes(m MessageReport) []box {
	var out []box
	out = append(out, box{title: m.entry, detail: "submitted by " + m.Message.From, mark: "given"})
	pass := 1
	for _, s := range m.Route {
		if s.Pass != pass {
			pass = s.Pass
			if pass-1 < len(m.result.Passes) {
				out = append(out, box{title: m.result.Passes[pass-1].Entry, detail: "the message comes back (pass " + fmt.Sprint(pass) + ")", mark: "modelled"})
			}
		}
		switch s.Kind {
		case "rule":
			out = append(out, box{title: fmt.Sprintf("Exchange rule %q", s.Name), detail: s.Detail, mark: s.Evidence})
		case "connector":
			out = append(out, box{title: fmt.Sprintf("connector %q", s.Name), detail: s.Detail, mark: s.Evidence})
		case "hop":
			out = append(out, box{title: s.Name, detail: s.Detail, mark: s.Evidence})
		}
	}
	end := "verdict: " + m.Verdict
	if m.OK {
		end += " (as intended)"
	} else {
		end += fmt.Sprintf(" (intended: %s)", m.Intent)
	}
	out = append(out, box{title: "recipient " + strings.Join(m.Message.To, ", "), detail: end, mark: ""})
	return out
}

// Picture draws a message's route as boxes joined by arrows, each hop
// marked proven or modelled. Every text in it is escaped for the terminal.
func Picture(m MessageReport) string {
	type drawn struct {
		lines []string
		mark  string
	}
	var ds []drawn
	width := 0
	for _, x := range boxes(m) {
		d := drawn{mark: x.mark}
		d.lines = append(d.lines, wrap(termtext.Escape(x.title), maxBox)...)
		if x.detail != "" {
			d.lines = append(d.lines, wrap(termtext.Escape(x.detail), maxBox)...)
		}
		for _, l := range d.lines {
			width = max(width, utf8.RuneCountInString(l))
		}
		ds = append(ds, d)
	}
	mid := (width + 4) / 2
	var b strings.Builder
	for i, d := range ds {
		b.WriteString("  ┌" + strings.Repeat("─", width+2) + "┐\n")
		for j, l := range d.lines {
			mark := ""
			if j == 0 && d.mark != "" {
				mark = "  " + d.mark
			}
			b.WriteString("  │ " + pad(l, width) + " │" + mark + "\n")
		}
		if i < len(ds)-1 {
			b.WriteString("  └" + strings.Repeat("─", mid-1) + "┬" + strings.Repeat("─", width+2-mid) + "┘\n")
			b.WriteString("  " + strings.Repeat(" ", mid) + "▼\n")
		} else {
			b.WriteString("  └" + strings.Repeat("─", width+2) + "┘\n")
		}
	}
	return b.String()
}

// wrap breaks text into lines of at most w runes, at spaces where it can.
func wrap(s string, w int) []string {
	var out []string
	for utf8.RuneCountInString(s) > w {
		r := []rune(s)
		cut := w
		for i := w; i > w/2; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		s = strings.TrimLeft(string(r[cut:]), " ")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

func pad(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// WriteText writes the audit for people: per message the rules, the
// connector, the next hop, the verdict and the picture; then the findings,
// most likely cause first.
func WriteText(w io.Writer, r Report) {
	e := termtext.Escape
	fmt.Fprintf(w, "Routing audit: scenario %s, Exchange %s (a model of Exchange's documented behaviour, not a live test)\n", e(r.Scenario), platformName(r.Platform))
	for i, m := range r.Messages {
		fmt.Fprintf(w, "\nMessage %d: %s\n", i+1, e(m.Label))
		fmt.Fprintf(w, "  from %s to %s, subject \"%s\", via %s\n", e(m.Message.From), e(strings.Join(m.Message.To, ", ")), e(m.Message.Subject), e(m.entry)) // escaped once, not again by %q
		for _, h := range m.Message.Headers {
			fmt.Fprintf(w, "  header %s: %s\n", e(h.Name), e(h.Value))
		}
		for _, l := range m.Message.Labels {
			fmt.Fprintf(w, "  sensitivity label %s\n", e(l))
		}
		pass := 0
		for _, rl := range m.Rules {
			if rl.Pass != pass {
				pass = rl.Pass
				fmt.Fprintf(w, "  Rules, pass %d:\n", pass)
			}
			fmt.Fprintf(w, "    %-16s %s (priority %d): %s\n", rl.Outcome, e(rl.Name), rl.Priority, e(rl.Why))
			for _, c := range rl.Changes {
				fmt.Fprintf(w, "    %-16s   → %s\n", "", e(c))
			}
		}
		for _, s := range m.Route {
			switch s.Kind {
			case "connector":
				fmt.Fprintf(w, "  Connector (pass %d): %s: %s\n", s.Pass, e(s.Name), e(s.Detail))
			case "hop":
				fmt.Fprintf(w, "  Next hop (pass %d): %s: %s [%s]\n", s.Pass, e(s.Name), e(s.Detail), s.Evidence)
			}
		}
		status := "OK"
		if !m.OK {
			status = "NOT OK"
		}
		fmt.Fprintf(w, "  Verdict: %s (intended: %s) %s\n", m.Verdict, m.Intent, status)
		if m.Reason != "" {
			fmt.Fprintf(w, "  Because: %s\n", e(m.Reason))
		}
		b := Picture(m)
		fmt.Fprint(w, "\n"+b)
	}
	fmt.Fprintln(w)
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "Findings: none.")
	} else {
		fmt.Fprintln(w, "Findings (most likely cause first):")
		for _, f := range r.Findings {
			obj := ""
			if f.Object != "" {
				obj = " [" + e(f.Object) + "]"
			}
			fmt.Fprintf(w, "  %-4s %s%s: %s\n", strings.ToUpper(f.Severity), e(f.Code), obj, e(f.Message))
			if f.Fix != "" {
				fmt.Fprintf(w, "       fix: %s\n", e(f.Fix))
			}
		}
	}
	fmt.Fprintln(w, Summary(r))
}

// Summary is the one-line result.
func Summary(r Report) string {
	ok, fails, warns := 0, 0, 0
	for _, m := range r.Messages {
		if m.OK {
			ok++
		}
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case "fail":
			fails++
		case "warn":
			warns++
		}
	}
	verdict := "the route holds"
	if r.Exit() != 0 {
		verdict = "the route does NOT hold"
	}
	return fmt.Sprintf("Audit: %d of %d messages as intended, %d failing and %d warning findings: %s.", ok, len(r.Messages), fails, warns, verdict)
}

// Overview is the short form that `steps` and the wizard show: the route
// of each message the scenario must send to the provider, and one line
// for every other message.
func Overview(r Report) string {
	var b strings.Builder
	b.WriteString("Where the mail goes (relaywiz's routing model; hops marked proven or modelled):\n")
	for _, m := range r.Messages {
		if m.Intent == IntentProvider {
			fmt.Fprintf(&b, "\n%s\n", termtext.Escape(m.Label))
			b.WriteString(Picture(m))
		}
	}
	for _, m := range r.Messages {
		if m.Intent != IntentProvider {
			mark := "ok"
			if !m.OK {
				mark = "NOT OK"
			}
			fmt.Fprintf(&b, "  %s: %s (%s)\n", termtext.Escape(m.Label), m.Verdict, mark)
		}
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %s: %s\n", strings.ToUpper(f.Severity), termtext.Escape(f.Message))
	}
	b.WriteString(Summary(r) + "\n")
	return b.String()
}

func platformName(p string) string {
	if p == "online" {
		return "Online"
	}
	return "Server (on-premises)"
}
