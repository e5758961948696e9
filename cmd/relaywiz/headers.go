package main

// `relaywiz headers`: read a received message's headers and say whether it
// went out through the provider's smart host. The analysis lives in package
// troubleshoot; this file handles input, flags, output and exit status.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaywiz/steps"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

// Exit statuses of `relaywiz headers` besides 0/1/64 (exit.go). They sit
// outside the swaks stage codes so scripts can tell them apart.
const (
	exitHeadersNotSecure = 3 // the headers show the message did not go out secured
	exitHeadersUnknown   = 4 // the headers cannot tell
)

type headersOptions struct {
	json            bool
	providerHosts   []string
	triggerLabels   []string
	triggerSubjects []string
	antiLoop        []string
	slowHop         time.Duration
	allHeaders      bool
	attached        int
	profile         string
}

const headersLong = `Read the headers of a message as the recipient received it and tell whether
it went out through the secure-mail provider's smart host — and if not, which
link broke.

Input: an .eml file, an Outlook .msg file (its transport headers), or the
text from Outlook's "View > Message details" (Internet headers) pasted on
stdin ("-" or no FILE). The header block is read up to 1 MiB; folded headers,
RFC 2047 encoded words and CRLF or LF line ends are handled. When pasting on a
terminal, end with an empty line or Ctrl-D (Ctrl-Z then Enter on Windows).
A message attached to the one given (forwarded as attachment, a message/rfc822
part or an attached Outlook item) is listed; --attached N analyses it instead.

It reports:
  summary   created, delivered, total delay ("delivered after …")
  route     every Received hop oldest first: from (HELO name, reverse-DNS name,
            address), by, protocol (ESMTPS/ESMTPSA = encrypted / encrypted+
            authenticated, ESMTP = plaintext), TLS version and cipher when
            stated, id/for/via, time, delay with a bar of its share of the total
  antispam  Microsoft 365's X-Forefront-Antispam-Report / X-Microsoft-Antispam
            decoded: SCL, BCL, PCL, SFV, CIP, CTRY, LANG, IPV, H, PTR, CAT …
  markers   zivver-relay (Zivver plugin), x-zivver-ignore-smtp-recipients (set
            by the Exchange rule: proves it fired), X-CS-Sensitivity
            (Cryptshare), msip_labels (each label GUID, enabled or not, and the
            exact rule text), anti-loop headers, SPF/DKIM/DMARC verdicts,
            X-MS-Exchange-Organization-* routing hints
  verdict   secure / NOT secure / cannot tell, with the reasons, most likely
            cause first: trigger present but delivered directly (the rule did
            not fire), hop into the provider without TLS, loops, slow hops
  headers   with --all-headers: every header field in message order

Triggers: --trigger-label and --trigger-subject, else the ones in the wizard's
profile (--profile FILE, or the saved profile when there is one; stderr says
which). The provider hosts are not taken from the profile.

The provider is recognised by host name. Defaults: zivver.com (and below),
any name containing "cryptshare" or "codetwo". --provider-host replaces them:
a domain ("zivver.com"), a glob ("*.relay.example.net") or a bare word
matched inside a name ("cryptshare"). Repeat it for several.

Exit status:
  0   the message passed the provider's smart host (secure)
  3   not secure: delivered directly although a trigger was present, or the
      hop into the provider was not encrypted
  4   cannot tell: no Received headers, or neither a provider hop nor a
      trigger (pass --trigger-label/--trigger-subject to say what should
      have triggered)
  1   the input could not be read
  64  bad input: unknown flag, unreadable FILE, no headers, more than 1 MiB,
      a .msg without transport headers, no attached message N`

const headersExample = `  # analyse a saved message
  relaywiz headers received.eml

  # paste the headers from Outlook, end with an empty line
  relaywiz headers -

  # a Cryptshare gateway with its own name; machine-readable result
  relaywiz headers --provider-host cmg.example.org --json msg.eml

  # a message saved from Outlook; every header as a table
  relaywiz headers --all-headers received.msg

  # the problem message was forwarded as an attachment
  relaywiz headers --attached 1 forwarded.eml

  # this label must always go through the provider
  relaywiz headers --trigger-label 3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e msg.eml`

func newHeadersCmd(a *app) *cobra.Command {
	var o headersOptions
	cmd := &cobra.Command{
		Use:     "headers [FILE|-]",
		Short:   "Tell from a received message's headers whether it went out secured",
		Long:    headersLong,
		Example: headersExample,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.applyProfile(a, cmd.Flags()); err != nil {
				return err
			}
			return runHeaders(a, o, args)
		},
	}
	f := cmd.Flags()
	addProfileFlag(f, &o.profile)
	f.BoolVar(&o.json, "json", false, `print {"input":…,"summary":{…},"hops":[…],"markers":{…},"labels":[…],"antispam":[…],"verdict":{"secure":true|false|null,"reasons":[…]}} only`)
	f.BoolVar(&o.allHeaders, "all-headers", false, "also list every header field in message order (in --json: \"headers\")")
	f.IntVar(&o.attached, "attached", 0, "analyse attached message `N` (listed in the report) instead of the outer message")
	f.StringArrayVar(&o.providerHosts, "provider-host", nil, "host `PATTERN` of the provider's smart host (repeatable; default zivver.com, cryptshare, codetwo)")
	f.StringArrayVar(&o.triggerLabels, "trigger-label", nil, "sensitivity label `GUID` that must route through the provider (repeatable; default: the profile's)")
	f.StringArrayVar(&o.triggerSubjects, "trigger-subject", nil, "subject `WORD` that must route through the provider (repeatable; default: the profile's)")
	f.StringArrayVar(&o.antiLoop, "anti-loop-header", nil, "extra header `NAME` to report as anti-loop header (repeatable; X-AntiLoop-* and X-Loop are known)")
	f.DurationVar(&o.slowHop, "slow-hop", troubleshoot.DefaultSlowHop, "report hops that took longer than this")
	return cmd
}

// applyProfile takes the rule's triggers from the wizard's profile, as
// doctor does, unless the command line names them: a message that carried
// the saved trigger but went out directly is then "not secure", not
// "cannot tell". The provider hosts stay the defaults: the profile knows
// the submission host, not the names the provider's hops carry.
func (o *headersOptions) applyProfile(a *app, f *pflag.FlagSet) error {
	ps, _, path, err := a.commandProfile(o.profile)
	if err != nil || path == "" {
		return err
	}
	if !f.Changed("trigger-label") {
		o.triggerLabels = append(o.triggerLabels, ps.TriggerLabels...)
	}
	if !f.Changed("trigger-subject") {
		o.triggerSubjects = append(o.triggerSubjects, ps.TriggerSubjects...)
	}
	return nil
}

func runHeaders(a *app, o headersOptions, args []string) error {
	labels, err := validateAnalysisFlags(o.providerHosts, o.triggerLabels)
	if err != nil {
		return err
	}
	o.triggerLabels = labels
	if o.slowHop <= 0 {
		return usageErrorf("--slow-hop must be positive, got %s", o.slowHop)
	}
	if o.attached < 0 {
		return usageErrorf("--attached must be 1 or more, got %d", o.attached)
	}

	in, name, closeIn, err := openHeadersInput(a, args)
	if err != nil {
		return err
	}
	defer closeIn()

	an, err := troubleshoot.Analyze(in, troubleshoot.Options{
		ProviderHosts:   o.providerHosts,
		TriggerLabels:   o.triggerLabels,
		TriggerSubjects: o.triggerSubjects,
		AntiLoopHeaders: o.antiLoop,
		SlowHop:         o.slowHop,
		AllHeaders:      o.allHeaders,
		Attached:        o.attached,
		// A pasted header block ends at its empty line; reading on for
		// attachments would wait for a body that never comes.
		ScanAttached: !(name == "stdin" && a.stdinTTY),
	})
	switch {
	case troubleshoot.IsBadInput(err):
		return usageErrorf("%s: %v", name, err)
	case err != nil:
		return withExit(exitFailure, fmt.Errorf("%s: %w", name, err))
	}

	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false) // keep <addr@example> readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(an); err != nil {
			return withExit(exitFailure, fmt.Errorf("writing JSON: %w", err))
		}
	} else {
		renderHeaders(a.stdout, newTroubleStyles(a), an)
	}
	return headersExit(an.Verdict)
}

// headersExit maps the verdict to the documented exit status; the report
// itself already explains, so the error carries no extra message.
func headersExit(v troubleshoot.Verdict) error {
	switch {
	case v.Secure == nil:
		return withExit(exitHeadersUnknown, nil)
	case !*v.Secure:
		return withExit(exitHeadersNotSecure, nil)
	}
	return nil
}

// openHeadersInput opens FILE, or stdin for "-"/no argument. On a terminal
// it says how to end the paste, on stderr so --json output stays clean.
func openHeadersInput(a *app, args []string) (io.Reader, string, func(), error) {
	if len(args) == 0 || args[0] == "-" {
		if a.stdinTTY {
			fmt.Fprintln(a.stderr, "Paste the message headers, then an empty line (or Ctrl-D; on Windows Ctrl-Z, Enter):")
		}
		return a.stdin, "stdin", func() {}, nil
	}
	f, err := os.Open(args[0])
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", nil, usageErrorf("FILE %q does not exist (pass an .eml file, or - to paste headers on stdin)", args[0])
		}
		return nil, "", nil, usageErrorf("FILE %q: %v", args[0], err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, "", nil, usageErrorf("FILE %q is a directory; pass one message file", args[0])
	}
	return f, args[0], func() { f.Close() }, nil
}

// validateAnalysisFlags checks the flags headers and doctor share for the
// header analysis, and returns the label GUIDs in the form the msip_labels
// header carries them.
func validateAnalysisFlags(providerHosts, triggerLabels []string) ([]string, error) {
	for _, p := range providerHosts {
		if err := troubleshoot.ValidateProviderPattern(p); err != nil {
			return nil, usageErrorf("--provider-host %q: %v", p, err)
		}
	}
	labels := make([]string, 0, len(triggerLabels))
	for _, g := range triggerLabels {
		if !steps.IsGUID(g) {
			return nil, usageErrorf("--trigger-label %q: expected a label GUID like 3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e (Get-Label -Identity \"Name\" | Select-Object Guid)", g)
		}
		labels = append(labels, steps.NormalGUID(g))
	}
	return labels, nil
}

// troubleStyles colour the headers/explain output; plain text without a
// terminal or with NO_COLOR.
type troubleStyles struct {
	ok, fail, warn, faint, bold lipgloss.Style
}

func newTroubleStyles(a *app) troubleStyles {
	r := lipgloss.NewRenderer(a.stdout)
	if a.colour() {
		r.SetColorProfile(termenv.ANSI)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return troubleStyles{
		ok:    r.NewStyle().Foreground(lipgloss.Color("2")),
		fail:  r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		warn:  r.NewStyle().Foreground(lipgloss.Color("3")),
		faint: r.NewStyle().Faint(true),
		bold:  r.NewStyle().Bold(true),
	}
}

// mark is the one-cell sign of a severity: readable without colour too.
func (st troubleStyles) mark(sev troubleshoot.Severity) string {
	switch sev {
	case troubleshoot.SevFail:
		return st.fail.Render("✗")
	case troubleshoot.SevWarn:
		return st.warn.Render("!")
	case troubleshoot.SevOK:
		return st.ok.Render("✓")
	}
	return st.faint.Render("·")
}

// wrapIndented prints text wrapped at ~78 columns: first line after first,
// following lines after rest.
func wrapIndented(w io.Writer, first, rest, text string) {
	// text quotes headers and servers (reasons, findings): escaped here,
	// once for every caller. first and rest are ours (styled marks).
	wrapStyled(w, first, rest, termtext.Escape(text))
}

// wrapStyled is wrapIndented for text that carries our own styles (a
// lipgloss colour around a hop's TLS state): escaping it would print the
// style's ESC bytes as a visible "\x1b[32m" on a colour terminal. The
// caller escapes every piece of foreign text in it itself.
func wrapStyled(w io.Writer, first, rest, text string) {
	const width = 78
	line, lineW := first, lipgloss.Width(first)
	for _, word := range strings.Fields(text) {
		ww := lipgloss.Width(word)
		if lineW+ww > width && lineW > lipgloss.Width(rest) {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			line, lineW = rest, lipgloss.Width(rest)
		}
		line += word + " "
		lineW += ww + 1
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
}
