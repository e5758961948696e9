package main

// Human output of `relaywiz headers`. Every string taken from the message
// goes through termtext: a header is written by whoever sent the mail, and
// an escape sequence in it must not repaint the verdict. --json stays exact.

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

// esc is the one spelling used below for "this came from the message".
func esc(s string) string { return termtext.Escape(s) }

func renderHeaders(w io.Writer, st troubleStyles, an troubleshoot.Analysis) {
	renderHeadersVerdict(w, st, an.Verdict)
	renderSummary(w, st, an)
	renderRoute(w, st, an.Hops)
	renderMarkers(w, st, an)
	renderAntispam(w, st, an.Antispam)
	renderAttached(w, st, an.Attached)
	renderAllHeaders(w, st, an.Headers)
	if n := an.Markers.IgnoredLines; n > 0 {
		fmt.Fprintf(w, "\n%s %d input line(s) were not headers and were skipped\n", st.faint.Render("note:"), n)
	}
}

func renderHeadersVerdict(w io.Writer, st troubleStyles, v troubleshoot.Verdict) {
	switch {
	case v.Secure == nil:
		fmt.Fprintf(w, "%s %s\n", st.warn.Render("CANNOT TELL:"), "these headers do not show whether the message went out secured")
	case *v.Secure:
		fmt.Fprintf(w, "%s %s\n", st.ok.Render("SECURE:"), "the message passed the provider's smart host")
	default:
		fmt.Fprintf(w, "%s %s\n", st.fail.Render("NOT SECURE:"), "the message did not go out through the provider as it should")
	}
	for _, r := range v.Reasons {
		wrapIndented(w, "  "+st.mark(r.Severity)+" ", "    ", esc(r.Message))
	}
}

// renderSummary is Message Header Analyzer's summary block.
func renderSummary(w io.Writer, st troubleStyles, an troubleshoot.Analysis) {
	m, s := an.Markers, an.Summary
	fmt.Fprintln(w)
	title := "Summary"
	switch {
	case an.Input == "msg":
		title += " (Outlook .msg transport headers)"
	case strings.HasPrefix(an.Input, "attached "):
		title += " (attached message " + strings.TrimPrefix(an.Input, "attached ") + ")"
	}
	fmt.Fprintln(w, st.bold.Render(title))
	for _, kv := range [][2]string{{"Subject", m.Subject}, {"From", m.From}, {"To", m.To}, {"Message-ID", m.MessageID}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "  %-12s %s\n", kv[0]+":", esc(kv[1]))
		}
	}
	if s.Created != nil {
		fmt.Fprintf(w, "  %-12s %s\n", "Created:", s.Created.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if s.Delivered != nil {
		fmt.Fprintf(w, "  %-12s %s\n", "Delivered:", s.Delivered.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if s.DeliveredAfter != "" {
		fmt.Fprintf(w, "  %-12s delivered after %s over %d hop(s)\n", "Total delay:", s.DeliveredAfter, s.Hops)
	}
}

// barWidth is the delay bar at 100 %: 20 cells fit the hop line in 80 columns.
const barWidth = 20

func delayBar(p *float64) string {
	if p == nil {
		return ""
	}
	n := int(math.Round(*p / 100 * barWidth))
	if n == 0 && *p > 0 {
		n = 1
	}
	return strings.Repeat("█", n) + strings.Repeat("·", barWidth-n)
}

func renderRoute(w io.Writer, st troubleStyles, hops []troubleshoot.Hop) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, st.bold.Render("Route (oldest hop first)"))
	if len(hops) == 0 {
		fmt.Fprintln(w, "  no Received headers")
		return
	}
	// Three lines per hop: Exchange Online host names are ~50 characters,
	// too wide for a table in an 80-column console.
	for _, h := range hops {
		mark := ""
		switch {
		case h.Provider:
			mark = "  " + st.ok.Render("(provider)")
		case h.Local:
			mark = "  " + st.faint.Render("(local)")
		}
		from, by := esc(hopFrom(h)), esc(dashIfEmpty(h.By))
		if lipgloss.Width(from)+lipgloss.Width(by)+lipgloss.Width(mark)+9 <= 78 {
			fmt.Fprintf(w, "  %2d  %s → %s%s\n", h.Index, from, by, mark)
		} else {
			fmt.Fprintf(w, "  %2d  %s\n      → %s%s\n", h.Index, from, by, mark)
		}
		// Exchange's cipher names make this line long: wrap it rather
		// than let the terminal break it at column 80.
		wrapStyled(w, "      ", "        ", strings.Join([]string{esc(dashIfEmpty(h.With)), hopTLS(st, h), hopTime(h)}, " · "))
		if d := hopDelay(h); d != "" {
			line := d
			if h.DelayPercent != nil {
				share := fmt.Sprintf("%.0f%%", *h.DelayPercent)
				if *h.DelayPercent > 0 && *h.DelayPercent < 1 {
					share = "<1%"
				}
				line = delayBar(h.DelayPercent) + " " + d + ", " + share + " of the total delay"
			}
			fmt.Fprintf(w, "      %s\n", st.faint.Render(line))
		}
		if d := hopDetails(h); d != "" {
			wrapStyled(w, "      ", "      ", st.faint.Render(d)) // hopDetails escapes its parts
		}
	}
}

// hopFrom names the client: announced name, then the looked-up name and
// address when they add something.
func hopFrom(h troubleshoot.Hop) string {
	from := dashIfEmpty(h.From)
	var extra []string
	if h.FromRDNS != "" && !strings.EqualFold(h.FromRDNS, h.From) {
		extra = append(extra, h.FromRDNS)
	}
	if h.FromIP != "" && h.FromIP != strings.Trim(h.From, "[]") && !strings.EqualFold("IPv6:"+h.FromIP, strings.Trim(h.From, "[]")) {
		extra = append(extra, "["+h.FromIP+"]")
	}
	if len(extra) > 0 {
		from += " (" + strings.Join(extra, " ") + ")"
	}
	return from
}

// hopDetails are the fields MHA shows besides from/by/with.
func hopDetails(h troubleshoot.Hop) string {
	var parts []string
	if h.From != "" && h.FromRDNS != "" && !strings.EqualFold(h.From, h.FromRDNS) {
		parts = append(parts, "helo "+esc(h.From), "rdns "+esc(h.FromRDNS))
	}
	if h.Authenticated {
		a := "authenticated"
		if h.AuthUser != "" {
			a += " as " + esc(h.AuthUser)
		}
		parts = append(parts, a)
	}
	for _, kv := range [][2]string{{"id", h.ID}, {"for", h.For}, {"via", h.Via}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+esc(kv[1]))
		}
	}
	if h.TimeZoneUnknown {
		parts = append(parts, "time zone not reliable (read as UTC)")
	}
	return strings.Join(parts, " · ")
}

func hopTLS(st troubleStyles, h troubleshoot.Hop) string {
	switch {
	case h.TLS == nil:
		return st.faint.Render("TLS not stated")
	case !*h.TLS && h.Local:
		return st.faint.Render("no TLS (local)")
	case !*h.TLS:
		return st.fail.Render("NO TLS")
	}
	s := "TLS"
	if h.TLSVersion != "" {
		s = h.TLSVersion
	}
	if h.Cipher != "" {
		s += " " + h.Cipher
	}
	return st.ok.Render(esc(s))
}

func hopTime(h troubleshoot.Hop) string {
	if h.Time == nil {
		return "time not parsed"
	}
	return h.Time.UTC().Format("at 15:04:05 UTC (Jan 2)")
}

func hopDelay(h troubleshoot.Hop) string {
	if h.DelaySeconds == nil {
		return ""
	}
	d := (time.Duration(*h.DelaySeconds * float64(time.Second))).Round(time.Second)
	s := d.String()
	if d >= 0 {
		s = "+" + s
	}
	return s
}

func renderMarkers(w io.Writer, st troubleStyles, an troubleshoot.Analysis) {
	m := an.Markers
	var lines []string
	addPtr := func(name string, p *string) {
		if p != nil {
			lines = append(lines, name+": "+esc(*p))
		}
	}
	addPtr("zivver-relay", m.ZivverRelay)
	addPtr("x-zivver-ignore-smtp-recipients", m.ZivverIgnoreSMTPRecipients)
	addPtr("X-CS-Sensitivity", m.CSSensitivity)
	for _, f := range m.AntiLoop {
		lines = append(lines, esc(f.Name)+": "+esc(f.Value)+"  (anti-loop)")
	}
	for _, f := range m.ProviderHeaders {
		lines = append(lines, esc(f.Name)+": "+esc(f.Value))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, st.bold.Render("Routing markers"))
	if len(lines) == 0 {
		fmt.Fprintln(w, "  none (no zivver-relay, x-zivver-ignore-smtp-recipients, X-CS-Sensitivity or anti-loop header)")
	}
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}

	if len(an.Labels) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, st.bold.Render("Sensitivity labels (msip_labels)"))
		for _, l := range an.Labels {
			state := st.ok.Render("enabled ")
			if !l.Enabled {
				state = st.faint.Render("disabled")
			}
			name := esc(l.Name)
			if name == "" {
				name = "(no name)"
			}
			fmt.Fprintf(w, "  %s %s  %s\n", state, l.GUID, name)
			fmt.Fprintf(w, "           rule text: %s\n", l.RuleText)
		}
	}
	if len(m.Auth) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, st.bold.Render("Authentication results"))
		for _, r := range m.Auth {
			who := r.Header
			if r.AuthServID != "" {
				who += " (" + esc(r.AuthServID) + ")"
			}
			var parts []string
			for _, kv := range [][2]string{{"spf", r.SPF}, {"dkim", r.DKIM}, {"dmarc", r.DMARC}, {"arc", r.ARC}, {"compauth", r.CompAuth}} {
				if kv[1] != "" {
					parts = append(parts, kv[0]+"="+esc(kv[1]))
				}
			}
			fmt.Fprintf(w, "  %s: %s\n", who, strings.Join(parts, " "))
		}
	}
	if len(m.Exchange) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, st.bold.Render("Exchange routing hints"))
		for _, f := range m.Exchange {
			fmt.Fprintf(w, "  %s: %s\n", esc(strings.TrimPrefix(f.Name, "X-MS-Exchange-Organization-")), esc(f.Value))
		}
	}
}

// renderAntispam lists the decoded Microsoft 365 anti-spam keys; the
// undocumented ones (SFS rule ids, ARA, …) only with a value, no meaning.
func renderAntispam(w io.Writer, st troubleStyles, fs []troubleshoot.AntispamField) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, st.bold.Render("Anti-spam report (Microsoft 365)"))
	header := ""
	for _, f := range fs {
		if f.Header != header {
			header = f.Header
			fmt.Fprintf(w, "  %s\n", st.faint.Render(header))
		}
		val := termtext.Truncate(f.Value, 48)
		if val == "" {
			val = "-"
		}
		line := fmt.Sprintf("    %-5s %s", esc(f.Key), val)
		if f.Meaning != "" {
			wrapStyled(w, line+"  ", "          ", st.faint.Render(esc(f.Meaning)))
			continue
		}
		fmt.Fprintln(w, line)
	}
}

func renderAttached(w io.Writer, st troubleStyles, as []troubleshoot.AttachedMessage) {
	if len(as) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, st.bold.Render("Attached messages (analyse one with --attached N)"))
	for _, am := range as {
		subj := esc(am.Subject)
		if subj == "" {
			subj = "(no subject)"
		}
		fmt.Fprintf(w, "  %d  %s\n     from %s, %d Received header(s)\n", am.Index, subj, esc(dashIfEmpty(am.From)), am.Hops)
	}
}

// allHeaderValueMax keeps one DKIM signature from filling the screen; the
// full values are in --json.
const allHeaderValueMax = 300

func renderAllHeaders(w io.Writer, st troubleStyles, hs []troubleshoot.HeaderField) {
	if len(hs) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, st.bold.Render("All headers (in message order)"))
	// Names longer than the column (X-MS-Exchange-Organization-…) get a
	// line of their own so the values stay aligned.
	const width = 28
	pad := strings.Repeat(" ", width+4)
	for _, h := range hs {
		// Unfolding keeps the folding tab; shown escaped it would read \t.
		val := termtext.Truncate(strings.ReplaceAll(h.Value, "\t", " "), allHeaderValueMax)
		name := esc(h.Name)
		if len(name) > width {
			fmt.Fprintf(w, "  %s\n", name)
			wrapIndented(w, pad, pad, val)
			continue
		}
		wrapIndented(w, fmt.Sprintf("  %-*s  ", width, name), pad, val)
	}
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
