package main

// `relaywiz doctor`: the guided diagnosis for "the message did not arrive"
// or "it went out unsecured". This file is the command line around
// troubleshoot.RunDoctor (which the TUI's Troubleshoot screen uses too):
// flags and profile, the password lookup, where the headers come from, and
// the report.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/relay"
	"relaywiz/termtext"
	"relaywiz/troubleshoot"
)

type doctorOptions struct {
	host          string
	port          int
	altPorts      string
	user          string
	passwordStdin bool
	caFile        string
	tlsServerName string
	timeout       time.Duration
	as            string
	ehlo          string
	dialect       checks.Dialect // parsed from --as (or the profile's scenario)

	senderDomain      string
	placeholderDomain string
	spfIncludes       []string

	sendTo  []string
	from    string
	trigger string

	headers         string
	providerHosts   []string
	triggerLabels   []string
	triggerSubjects []string
	json            bool

	export string // export.ps1's JSON: the live org's audit joins the findings

	profile string
	send    bool // send to the profile's test recipient
	// changed reports whether a flag was given, so the profile only fills
	// what the command line left open.
	changed func(name string) bool
}

const doctorLong = `Diagnose the route from Exchange to the smart host in one go and get ONE list
of findings, most likely cause first, each naming the setting to change.

Settings come from the wizard's saved profile (--profile FILE, or the default
profile.json in the user's configuration directory when it exists): smart
host, port(s), CA file, TLS server name, user, placeholder domain, triggers and
test recipient. Flags given on the command line win over the profile.

What it does, in order:
  1. probes the configured port (--port) like 'relaywiz check', plus the usual
     alternatives (--ports, default 587 and 25) so a wrong port is told
     apart from a blocked network
  2. takes the password from the OS keyring ('relaywiz creds set') or
     --password-stdin and tests it with AUTH LOGIN/PLAIN after STARTTLS
  3. DNS: the smart host name; with --placeholder-domain, that the
     placeholder accepted domain does NOT exist publicly; with
     --sender-domain, its SPF record (and --spf-include names it must reach,
     e.g. spf.protection.outlook.com for Exchange Online)
  4. with --send-to (or --send: the profile's test recipient): sends a test
     message through the embedded relay
     (--trigger pams / subject=WORD makes the provider's rule fire)
  5. with --headers FILE (or -): analyses the received message's headers
     like 'relaywiz headers'; on a terminal after a test send it asks for
     them (press Enter to skip)
  6. with --export FILE (the JSON export.ps1 wrote): audits the live Exchange
     organisation like 'relaywiz audit --export' and adds its findings
     (rules, connectors, domains, each naming the object)

Findings are ✗ failures (the first one is the most likely cause), ! warnings
and ✓ what works. Under them, each probed port's stage list, as 'relaywiz
check' prints it. --json prints {"findings":[…],"check":{…},"dns":[…],
"send":{…}|null,"headers":{…}|null,"audit":{…}|null}.

Exit status:
  0   no failure found
  1   at least one failure (the first finding names it)
  64  bad input
  130 interrupted`

const doctorExample = `  # after the wizard: everything from the saved profile, plus a test send
  relaywiz doctor --send

  # without a profile (password from the keyring)
  relaywiz doctor --smart-host smtp.zivver.com --port 587 --user relay@example.com

  # Online custom relay: also check SPF and the placeholder domain
  relaywiz doctor --smart-host smtp.zivver.com --user relay@example.com \
    --sender-domain example.com --spf-include spf.protection.outlook.com \
    --placeholder-domain relay-placeholder.example.com

  # full round trip: send with the PAMS header, then paste the received headers
  relaywiz doctor --smart-host smtp.zivver.com --user relay@example.com \
    --send-to someone@example.org --trigger pams`

func newDoctorCmd(a *app) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:     "doctor [--smart-host HOST] [--port 587] [--ports LIST] [--user USER] [--profile FILE] [flags]",
		Short:   "Diagnose the whole route and list findings, most likely cause first",
		Long:    doctorLong + dialectNote,
		Example: doctorExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.changed = cmd.Flags().Changed
			return runDoctor(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	addProfileFlag(f, &o.profile)
	f.BoolVar(&o.send, "send", false, "send a test message to the profile's test recipient (like --send-to)")
	f.StringVar(&o.host, flagSmartHost, defaultSmartHost, "the smart host name (or IP with --tls-server-name)")
	f.IntVar(&o.port, "port", 587, "the port Exchange's send connector uses")
	f.StringVar(&o.altPorts, flagPorts, "587,25", "other ports to probe (commas or spaces, at most 4), to tell a wrong port from a blocked network (\"\": none)")
	f.StringVar(&o.user, "user", "", "SMTP user name for AUTH (no AUTH test without it)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of stdin instead of the keyring")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra CA certificates to trust")
	f.StringVar(&o.tlsServerName, "tls-server-name", "", "name the certificate must carry (default: --smart-host)")
	f.DurationVar(&o.timeout, "timeout", checks.DefaultCheckTimeout, "per port probe timeout")
	f.StringVar(&o.senderDomain, "sender-domain", "", "your mail domain: check its SPF record")
	f.StringArrayVar(&o.spfIncludes, "spf-include", nil, "name the sender domain's SPF must reach (repeatable), e.g. spf.protection.outlook.com")
	f.StringVar(&o.placeholderDomain, "placeholder-domain", "", "the placeholder accepted domain: must NOT exist in public DNS")
	f.StringArrayVar(&o.sendTo, "send-to", nil, "send a test message to this address through the embedded relay (repeatable)")
	f.StringVar(&o.from, "from", "", "sender of the test message (default: --user when it is an address)")
	f.StringVar(&o.trigger, "trigger", "", "make the provider's rule fire on the test message: pams, or subject=WORD")
	f.StringVar(&o.headers, "headers", "", "FILE (or - for stdin) with the received message's headers to analyse")
	f.StringArrayVar(&o.providerHosts, "provider-host", nil, "provider host pattern for the header analysis (see 'relaywiz headers --help')")
	f.StringArrayVar(&o.triggerLabels, "trigger-label", nil, "label GUID that must route through the provider, for the header analysis (repeatable; default: the profile's)")
	f.StringArrayVar(&o.triggerSubjects, "trigger-subject", nil, "subject word that must route through the provider, for the header analysis (repeatable; default: the profile's)")
	f.BoolVar(&o.json, "json", false, "print one JSON document instead of the report")
	addAsFlag(f, &o.as)
	f.StringVar(&o.ehlo, "ehlo", "", "the connector's FQDN, given in EHLO (default: this host's FQDN, else its address literal)")
	useVocabulary(cmd, map[string]string{"host": flagSmartHost, "alt-ports": flagPorts})
	f.StringVar(&o.export, "export", "", "export.ps1's JSON file of the Exchange organisation: its audit's findings (rules, connectors, domains) join the list")
	return cmd
}

func (o *doctorOptions) validate() error {
	if err := checks.ValidateHost(o.host); err != nil {
		return usageErrorf("--smart-host: %v", err)
	}
	if err := checks.ValidatePort(o.port); err != nil {
		return usageErrorf("--port: %v", err)
	}
	d, err := parseAs(o.as, o.user)
	if err != nil {
		return err
	}
	o.dialect = d
	if d == checks.DialectExchangeOnline && (o.changed == nil || !o.changed("port")) {
		// No port choice to make (the default 587 and a profile's port
		// are an on-premises connector's): only --port given is refused.
		o.port = checks.OnlinePort
	}
	if d == checks.DialectExchangeOnline && o.port != checks.OnlinePort {
		return usageErrorf("--port %d: Exchange Online's outbound connector always uses port 25 (New-OutboundConnector has no port setting)", o.port)
	}
	if o.ehlo != "" && !validEHLOName(o.ehlo) {
		return usageErrorf("--ehlo: %q is neither a host name nor an address literal like [192.0.2.1]", o.ehlo)
	}
	if _, err := o.parseAltPorts(); err != nil {
		return err
	}
	if o.caFile != "" {
		if _, err := checks.LoadRoots(o.caFile); err != nil {
			return usageErrorf("--ca-file: %v", err)
		}
	}
	if o.timeout <= 0 {
		return usageErrorf("--timeout: must be positive, e.g. 10s")
	}
	if _, _, err := relay.ParseTrigger(o.trigger); err != nil {
		return usageErrorf("%v", err)
	}
	if o.send && len(o.sendTo) == 0 {
		return usageErrorf("--send needs a profile with a test recipient (--profile FILE), or use --send-to ADDRESS")
	}
	if o.trigger != "" && len(o.sendTo) == 0 {
		return usageErrorf("--trigger needs --send-to (it applies to the test message)")
	}
	labels, err := validateAnalysisFlags(o.providerHosts, o.triggerLabels)
	if err != nil {
		return err
	}
	o.triggerLabels = labels
	if o.headers != "" && o.headers != "-" {
		if st, err := os.Stat(o.headers); err != nil || st.IsDir() {
			return usageErrorf("--headers %q: not a readable file", o.headers)
		}
	}
	if o.headers == "-" && o.passwordStdin {
		return usageErrorf("--headers - and --password-stdin both read stdin: pass the headers as a file")
	}
	return nil
}

// applyProfile fills the options the command line left open from the
// wizard's profile: --profile, else the default profile when it exists.
// It returns the path used ("" when none).
func (o *doctorOptions) applyProfile(a *app) (string, error) {
	ps, _, path, err := a.commandProfile(o.profile)
	if err != nil || path == "" {
		return "", err
	}
	set := func(flag string, dst *string, v string) {
		if !o.changed(flag) && v != "" {
			*dst = v
		}
	}
	set(flagSmartHost, &o.host, ps.Host)
	set("ca-file", &o.caFile, ps.CAFile)
	set("tls-server-name", &o.tlsServerName, ps.TLSServerName)
	if !onlineAs(o.as) { // Exchange Online logs in nowhere: no profile user
		set("user", &o.user, ps.User)
	}
	set("placeholder-domain", &o.placeholderDomain, ps.PlaceholderDomain)
	if !o.changed("port") {
		// The connector's port (steps.port) is what Exchange uses; the
		// profile's "ports to test" are only the alternatives.
		switch {
		case ps.ConnectorPort != 0:
			o.port = ps.ConnectorPort
		case len(ps.Ports) > 0:
			o.port = ps.Ports[0]
		}
	}
	if !o.changed(flagPorts) && len(ps.Ports) > 0 {
		o.altPorts = withProfilePorts(o.altPorts, slices.DeleteFunc(slices.Clone(ps.Ports), func(p int) bool { return p == o.port }))
	}
	if ps.HasScenario && ps.Scenario.Online && !o.changed("as") {
		// An Exchange Online connector: port 25, no AUTH.
		o.as = string(checks.DialectExchangeOnline)
		if !o.changed("user") {
			o.user = ""
		}
		if !o.changed("port") {
			o.port = checks.OnlinePort
		}
	}
	if ps.HasScenario && ps.Scenario.Online && o.senderDomain != "" && !o.changed("spf-include") {
		// Exchange Online sends for the domain: its SPF must authorise it.
		o.spfIncludes = []string{troubleshoot.ExchangeOnlineSPF}
	}
	if !o.changed("trigger-label") {
		o.triggerLabels = append(o.triggerLabels, ps.TriggerLabels...)
	}
	if !o.changed("trigger-subject") {
		o.triggerSubjects = append(o.triggerSubjects, ps.TriggerSubjects...)
	}
	if o.send && !o.changed("send-to") {
		if ps.TestRecipient == "" {
			return "", usageErrorf("--send: the profile %s has no test recipient; pass --send-to ADDRESS", path)
		}
		o.sendTo = []string{ps.TestRecipient}
	}
	return path, nil
}

// parseAltPorts reads --ports with check's list syntax; "" means
// none.
func (o doctorOptions) parseAltPorts() ([]int, error) {
	if strings.TrimSpace(o.altPorts) == "" {
		return nil, nil
	}
	ports, err := checks.ParsePorts(o.altPorts)
	if err != nil {
		return nil, usageErrorf("--ports: %v", err)
	}
	return ports, nil
}

// withProfilePorts adds the profile's other checked ports to the default
// alternatives, as far as checks.MaxPorts allows: the defaults come first
// because they tell a wrong port from a blocked network.
func withProfilePorts(alt string, extra []int) string {
	ports, err := checks.ParsePorts(alt)
	if err != nil {
		return alt // not ours to fix: validate names the flag
	}
	for _, p := range extra {
		if len(ports) < checks.MaxPorts && !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ",")
}

func runDoctor(ctx context.Context, a *app, o doctorOptions) error {
	if o.changed == nil {
		o.changed = func(string) bool { return false }
	}
	profilePath, err := o.applyProfile(a)
	if err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	_ = profilePath // commandProfile said which one on stderr
	pw, err := doctorPassword(ctx, a, o)
	if err != nil {
		return err
	}
	defer creds.Zero(pw.Secret)

	alt, _ := o.parseAltPorts() // validated above
	plan := troubleshoot.DoctorPlan{
		Host: o.host, Port: o.port, AltPorts: alt, User: o.user,
		CAFile: o.caFile, TLSServerName: o.tlsServerName, Timeout: o.timeout,
		Dialect: o.dialect, EHLOName: o.ehlo,
		PlaceholderDomain: o.placeholderDomain, SenderDomain: o.senderDomain, SPFIncludes: o.spfIncludes,
		SendTo: o.sendTo, From: o.from, Trigger: o.trigger,
		ProviderHosts: o.providerHosts, TriggerLabels: o.triggerLabels, TriggerSubjects: o.triggerSubjects,
	}
	if o.export != "" {
		ex, err := readExportFlag(o.export)
		if err != nil {
			return err
		}
		plan.Export = ex
	}
	headers, headersName := doctorHeaders(a, o)
	progress := func(ev troubleshoot.DoctorEvent) {
		switch ev.Kind {
		case troubleshoot.PhaseStarted, troubleshoot.PhaseSkipped:
			if !o.json && a.stdoutTTY {
				fmt.Fprintln(a.stderr, termtext.Escape(ev.Text)) // quotes servers and headers
			}
		}
	}
	res, err := troubleshoot.RunDoctor(ctx, plan, pw, troubleshoot.DoctorDeps{Headers: headers}, progress)
	var bad *troubleshoot.SendInputError
	switch {
	case errors.As(err, &bad):
		return usageErrorf("%v", err)
	case err != nil:
		return err
	case res.HeadersErr != nil:
		return doctorHeadersError(res.HeadersErr, headersName)
	}

	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return withExit(exitFailure, err)
		}
	} else {
		renderDoctor(a.stdout, newTroubleStyles(a), o, res.Findings)
		if len(res.Report.Ports) > 0 {
			// The probe's stages, in check's marks and layout, under the
			// findings they back.
			fmt.Fprintf(a.stdout, "\n%s\n", newTroubleStyles(a).bold.Render("Probe (as 'relaywiz check'):"))
			renderStageLists(a.stdout, newCheckStyles(a), res.Report, pw.Note, "")
		}
	}
	for _, f := range res.Findings {
		if f.Severity == troubleshoot.SevFail {
			return withExit(exitFailure, nil)
		}
	}
	return nil
}

// doctorPassword looks the password up (keyring or --password-stdin). A
// missing one is a finding, not an error.
func doctorPassword(ctx context.Context, a *app, o doctorOptions) (troubleshoot.DoctorPassword, error) {
	if o.user == "" {
		return troubleshoot.DoctorPassword{}, nil
	}
	secret, _, err := a.password(ctx, o.host, o.user, o.passwordStdin)
	var pm *passwordMissingError
	switch {
	case errors.As(err, &pm):
		pw := troubleshoot.DoctorPassword{State: troubleshoot.PasswordMissing, Note: strings.TrimSpace(pm.Note() + " " + pm.Hint())}
		if pm.KeyringUnavailable() {
			pw.State = troubleshoot.PasswordUnavailable
		}
		return pw, nil
	case err != nil:
		return troubleshoot.DoctorPassword{}, err
	}
	return troubleshoot.DoctorPassword{State: troubleshoot.PasswordFound, Secret: secret}, nil
}

// doctorHeaders says where the received message's headers come from:
// --headers FILE or -, or, on a terminal after an accepted test send,
// pasted (an empty first line skips). name is how errors refer to them.
func doctorHeaders(a *app, o doctorOptions) (src troubleshoot.HeadersSource, name string) {
	switch {
	case o.headers == "-":
		return func(bool) (io.ReadCloser, error) { return io.NopCloser(a.stdin), nil }, "stdin"
	case o.headers != "":
		return func(bool) (io.ReadCloser, error) {
			f, err := os.Open(o.headers)
			if err != nil {
				return nil, usageErrorf("--headers %q: %v", o.headers, err)
			}
			return f, nil
		}, o.headers
	case a.stdinTTY && !o.json:
		return func(sent bool) (io.ReadCloser, error) {
			if !sent {
				return nil, nil
			}
			fmt.Fprintln(a.stderr, "When the test message has arrived, paste its headers and end with an empty line (just Enter skips):")
			br := bufio.NewReader(a.stdin)
			first, err := br.ReadString('\n')
			if strings.TrimSpace(first) == "" || (err != nil && err != io.EOF) {
				return nil, nil
			}
			return io.NopCloser(io.MultiReader(strings.NewReader(first), br)), nil
		}, "the pasted headers"
	}
	return nil, ""
}

// doctorHeadersError maps a header problem to the exit status: input that
// holds no usable headers is bad input, a read failure a plain failure.
func doctorHeadersError(err error, name string) error {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return err // already says which flag
	case troubleshoot.IsBadInput(err):
		return usageErrorf("--headers %s: %v", name, err)
	}
	return withExit(exitFailure, fmt.Errorf("--headers %s: %w", name, err))
}

func renderDoctor(w io.Writer, st troubleStyles, o doctorOptions, fs []troubleshoot.Finding) {
	who := ""
	if o.user != "" {
		who = " as " + o.user
	}
	fmt.Fprintf(w, "%s\n\n", st.bold.Render(termtext.Escape(fmt.Sprintf("relaywiz doctor: %s port %d%s", o.host, o.port, who))))
	fails := 0
	for _, f := range fs {
		if f.Severity == troubleshoot.SevFail {
			fails++
		}
	}
	switch fails {
	case 0:
		fmt.Fprintf(w, "%s no failure found.\n\n", st.ok.Render("OK:"))
	case 1:
		fmt.Fprintf(w, "%s 1 problem; it is the most likely cause.\n\n", st.fail.Render("FOUND:"))
	default:
		fmt.Fprintf(w, "%s %d problems; the first is the most likely cause.\n\n", st.fail.Render("FOUND:"), fails)
	}
	for i, f := range fs {
		title := f.Title
		if f.Setting != "" {
			title = "[" + f.Setting + "] " + title
		}
		// Findings quote the smart host, DNS and exported objects: other
		// people's text.
		wrapIndented(w, fmt.Sprintf("%2d. %s ", i+1, st.mark(f.Severity)), "      ", termtext.Escape(title))
		if f.Detail != "" {
			writeProse(w, "      ", "      ", f.Detail)
		}
		if f.Fix != "" {
			writeProse(w, "      "+st.bold.Render("fix:")+" ", "           ", f.Fix)
		}
	}
}
