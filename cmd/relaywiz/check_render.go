package main

// Human output of `relaywiz check`: one table per port, hints under the
// stage they belong to, and a closing verdict that says what to do.

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"relaywiz/checks"
	"relaywiz/termtext"
)

// checkStyles are the few colours the report uses. Without colour (not a
// terminal, or NO_COLOR) every style renders plain text.
type checkStyles struct {
	ok, fail, warn, faint, bold lipgloss.Style
}

func newCheckStyles(a *app) checkStyles {
	// The profile is set, not detected: app decides what a terminal is
	// (and tests stand in for one). Basic ANSI colours suffice here.
	r := lipgloss.NewRenderer(a.stdout)
	if a.colour() && enableANSI(a.stdout) {
		r.SetColorProfile(termenv.ANSI)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return checkStyles{
		ok:    r.NewStyle().Foreground(lipgloss.Color("2")),
		fail:  r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		warn:  r.NewStyle().Foreground(lipgloss.Color("3")),
		faint: r.NewStyle().Faint(true),
		bold:  r.NewStyle().Bold(true),
	}
}

// hintWidth keeps wrapped hints readable in an 80-column console.
const hintWidth = 72

func renderCheckReport(w io.Writer, st checkStyles, rep checks.Report, authNote, authHint string) {
	renderStageLists(w, st, rep, authNote, authHint)
	fmt.Fprintln(w)
	renderVerdict(w, st, rep)
}

// renderStageLists prints every port's stage list: check's report, and the
// probe part of doctor's, so both read the same.
func renderStageLists(w io.Writer, st checkStyles, rep checks.Report, authNote, authHint string) {
	// A hint that several ports share is printed once, under the first;
	// the others point to it.
	seen := map[string]int{}
	for i, p := range rep.Ports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		renderPort(w, st, rep.Host, p, authNote, authHint, seen)
	}
}

func renderPort(w io.Writer, st checkStyles, host string, p checks.PortResult, authNote, authHint string, seen map[string]int) {
	status := st.ok.Render("passed")
	if f, failed := p.FailedStage(); failed {
		status = st.fail.Render("failed at " + string(f.Name))
	}
	fmt.Fprintf(w, "%s  %s\n", st.bold.Render(fmt.Sprintf("%s port %d", termtext.Escape(host), p.Port)), status)
	for _, s := range p.Stages {
		mark := st.ok.Render("✓")
		switch {
		case s.NotRun:
			mark = st.fail.Render("-")
		case !s.OK:
			mark = st.fail.Render("✗")
		case s.Warning:
			mark = st.warn.Render("!")
		}
		fmt.Fprintf(w, "  %s %-8s %s  %s\n", mark, s.Name, st.faint.Render(fmt.Sprintf("%8s", formatMs(s.Ms))), termtext.Escape(s.Detail))
		hint := s.Hint
		if s.NotRun && s.Name == checks.StageAuth && authNote != "" {
			hint = authNote + " " + authHint // why there was no password, and the fix
		}
		if hint != "" {
			style := st.warn
			if !s.OK {
				style = st.fail
			}
			// Keyed by the text alone: without STARTTLS the starttls and
			// auth stages of one port share their hint.
			key := hint
			if first, dup := seen[key]; dup && first == p.Port {
				writeHint(w, style.Render("hint:"), "the same as above.")
			} else if dup {
				writeHint(w, style.Render("hint:"), fmt.Sprintf("the same as for port %d above.", first))
			} else {
				seen[key] = p.Port
				writeHint(w, style.Render("hint:"), termtext.EscapeLines(strings.TrimSpace(hint)))
			}
		}
		if s.ExchangeError != "" {
			writeHint(w, st.fail.Render("Exchange will show:"), termtext.Escape(s.ExchangeError))
		}
	}
	if _, failed := p.FailedStage(); !failed && p.Auth == checks.AuthSkipped {
		note := "skipped (no --user given)"
		switch {
		case p.AuthNote != "":
			note = p.AuthNote
		case authNote != "":
			note = authNote
		}
		fmt.Fprintf(w, "  %s %-8s %s  %s\n", st.faint.Render("-"), "auth", st.faint.Render(fmt.Sprintf("%8s", "")), note)
		if authHint != "" {
			writeHint(w, st.warn.Render("hint:"), authHint)
		}
	}
}

// renderVerdict ends the report with one conclusion an admin can act on.
func renderVerdict(w io.Writer, st checkStyles, rep checks.Report) {
	var good, bad []string
	for _, p := range rep.Ports {
		if p.OK {
			good = append(good, fmt.Sprint(p.Port))
		} else {
			bad = append(bad, fmt.Sprint(p.Port))
		}
	}
	if note := sizeNote(rep); note != "" {
		writeHint(w, "", note)
	}
	if rep.As == checks.DialectExchangeOnline {
		writeHint(w, "", checks.OnlineVantageNote)
	}
	unverified := rep.Unverified()
	switch {
	case len(bad) == 0:
		fmt.Fprintf(w, "%s every stage passed on %s of %s, as %s (%s).\n", st.ok.Render("OK:"), portsPhrase(good), rep.Host, rep.As, formatMs(rep.Ms))
	case unverified && !hasFailedStage(rep):
		// --insecure-skip-verify got every stage through, but Exchange
		// validates the certificate: never "OK".
		fmt.Fprintf(w, "%s every stage ran, but the certificate was not verified (--insecure-skip-verify); Exchange validates it and would refuse this smart host (exit %d, %s).\n",
			st.fail.Render("NOT OK:"), rep.ExitCode(), formatMs(rep.Ms))
	default:
		port, f, _ := rep.FirstFailure()
		of := fmt.Sprintf("%d of %d ports passed", len(good), len(rep.Ports))
		if len(rep.Ports) == 1 {
			of = fmt.Sprintf("%d of 1 port passed", len(good))
		}
		fmt.Fprintf(w, "%s port %d failed at %s (exit %d); %s (%s).\n",
			st.fail.Render("FAILED:"), port, f.Name, rep.ExitCode(), of, formatMs(rep.Ms))
		if len(good) > 0 {
			verb := "works"
			if len(good) > 1 {
				verb = "work"
			}
			writeHint(w, "", fmt.Sprintf("%s %s from this network: configure the Exchange send connector with it (%s does not).",
				capitalize(portsPhrase(good)), verb, portsPhrase(bad)))
		}
	}
}

func hasFailedStage(rep checks.Report) bool {
	_, _, failed := rep.FirstFailure()
	return failed
}

// sizeNote says what the advertised SIZE means for Exchange, once.
func sizeNote(rep checks.Report) string {
	var limit int64
	for _, p := range rep.Ports {
		limit = max(limit, p.SizeLimit)
	}
	if limit == 0 {
		return ""
	}
	return checks.SizeNote(limit)
}

func formatMs(ms float64) string {
	switch {
	case ms >= 10000:
		return fmt.Sprintf("%.1f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// writeHint prints text word-wrapped under a stage, indented past the
// table's mark column.
func writeHint(w io.Writer, label, text string) {
	const indent = "    "
	line := indent
	if label != "" {
		line += label + " "
	}
	width := lipgloss.Width(line)
	// A command for copying (a line indented four spaces) is printed as
	// it is, on its own line; only the prose around it is wrapped.
	if prose, cmds, ok := strings.Cut(text, "\n    "); ok {
		writeHint(w, label, prose)
		for _, l := range strings.Split("    "+cmds, "\n") {
			if strings.HasPrefix(l, "    ") {
				fmt.Fprintln(w, indent+"      "+l)
			} else if strings.TrimSpace(l) != "" {
				writeHint(w, "     ", l) // aligned with the hint's continuation lines
			}
		}
		return
	}
	for _, word := range strings.Fields(text) {
		if width+len(word) > hintWidth+len(indent) && width > len(indent)+6 {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			line, width = indent+"      ", len(indent)+6
		}
		line += word + " "
		width += len(word) + 1
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
}

func portsPhrase(ports []string) string {
	if len(ports) == 1 {
		return "port " + ports[0]
	}
	return "ports " + strings.Join(ports, " and ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// enableANSI makes sure w interprets escape sequences: a no-op on Unix; on
// Windows it switches the console to virtual-terminal mode (older consoles
// would print the escapes literally). False means: do not send any.
func enableANSI(w io.Writer) bool {
	_, err := termenv.EnableVirtualTerminalProcessing(termenv.NewOutput(w))
	return err == nil
}
