package main

// `relaywiz doctor`: the guided diagnosis for "the message did not arrive"
// or "it went out unsecured". It gathers (probe, keyring + AUTH, DNS, an
// optional live send, optional received headers) and lets
// troubleshoot.Diagnose rank one list of findings, most likely cause first.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/relay"
	"relaywiz/steps"
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
     alternatives (--alt-ports, default 587 and 25) so a wrong port is told
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

Findings are ✗ failures (the first one is the most likely cause), ! warnings
and ✓ what works. --json prints {"findings":[…],"check":{…},"dns":[…],
"send":{…}|null,"headers":{…}|null}.

Exit status:
  0   no failure found
  1   at least one failure (the first finding names it)
  64  bad input
  130 interrupted`

const doctorExample = `  # after the wizard: everything from the saved profile, plus a test send
  relaywiz doctor --send

  # without a profile (password from the keyring)
  relaywiz doctor --host smtp.zivver.com --port 587 --user relay@example.com

  # Online custom relay: also check SPF and the placeholder domain
  relaywiz doctor --host smtp.zivver.com --user relay@example.com \
    --sender-domain example.com --spf-include spf.protection.outlook.com \
    --placeholder-domain relay-placeholder.example.com

  # full round trip: send with the PAMS header, then paste the received headers
  relaywiz doctor --host smtp.zivver.com --user relay@example.com \
    --send-to someone@example.org --trigger pams`

func newDoctorCmd(a *app) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:     "doctor --host HOST [--port 587] [--user USER] [flags]",
		Short:   "Diagnose the whole route and list findings, most likely cause first",
		Long:    doctorLong,
		Example: doctorExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.changed = cmd.Flags().Changed
			return runDoctor(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "the wizard's saved profile (default: the user's profile.json when it exists; flags override it)")
	f.BoolVar(&o.send, "send", false, "send a test message to the profile's test recipient (like --send-to)")
	f.StringVar(&o.host, "host", defaultSmartHost, "the smart host name (or IP with --tls-server-name)")
	f.IntVar(&o.port, "port", 587, "the port Exchange's send connector uses")
	f.StringVar(&o.altPorts, "alt-ports", "587,25", "other ports to probe, comma-separated, to tell a wrong port from a blocked network (\"\": none)")
	f.StringVar(&o.user, "user", "", "SMTP user name for AUTH (no AUTH test without it)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of stdin instead of the keyring")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra CA certificates to trust")
	f.StringVar(&o.tlsServerName, "tls-server-name", "", "name the certificate must carry (default: --host)")
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
	return cmd
}

func (o doctorOptions) validate() error {
	if err := checks.ValidateHost(o.host); err != nil {
		return usageErrorf("--host: %v", err)
	}
	if err := checks.ValidatePort(o.port); err != nil {
		return usageErrorf("--port: %v", err)
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
	for _, p := range o.providerHosts {
		if err := troubleshoot.ValidateProviderPattern(p); err != nil {
			return usageErrorf("--provider-host %q: %v", p, err)
		}
	}
	for _, g := range o.triggerLabels {
		if !isLabelGUID(g) {
			return usageErrorf("--trigger-label %q: expected a label GUID like 3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e", g)
		}
	}
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
func (o *doctorOptions) applyProfile() (string, error) {
	path := o.profile
	if path == "" {
		def, err := files.DefaultProfilePath()
		if err != nil {
			return "", nil
		}
		if _, err := os.Stat(def); err != nil {
			return "", nil // no saved profile: flags only
		}
		path = def
	}
	p, err := files.LoadProfile(path)
	if err != nil {
		return "", usageErrorf("--profile: %v", err)
	}
	sh, st := p.SmartHost, p.Steps
	set := func(flag string, dst *string, vals ...string) {
		if o.changed(flag) {
			return
		}
		for _, v := range vals {
			if v != "" {
				*dst = v
				return
			}
		}
	}
	set("host", &o.host, sh.Host, st.SmartHost)
	set("ca-file", &o.caFile, sh.CAFile)
	set("tls-server-name", &o.tlsServerName, sh.TLSServerName)
	set("user", &o.user, sh.User)
	set("placeholder-domain", &o.placeholderDomain, st.PlaceholderDomain)
	if !o.changed("port") {
		switch {
		case len(sh.Ports) > 0:
			o.port = sh.Ports[0]
		case st.Port != 0:
			o.port = st.Port
		}
	}
	if !o.changed("alt-ports") && len(sh.Ports) > 1 {
		for _, extra := range sh.Ports[1:] {
			o.altPorts += "," + strconv.Itoa(extra)
		}
	}
	if sc, ok := steps.Lookup(string(st.Scenario)); ok && sc.Online && o.senderDomain != "" && !o.changed("spf-include") {
		// Exchange Online sends for the domain: its SPF must authorise it.
		o.spfIncludes = []string{"spf.protection.outlook.com"}
	}
	for _, t := range st.Triggers {
		switch t.Kind {
		case steps.TriggerLabel:
			if !o.changed("trigger-label") {
				o.triggerLabels = append(o.triggerLabels, t.Value)
			}
		case steps.TriggerSubject:
			if !o.changed("trigger-subject") {
				o.triggerSubjects = append(o.triggerSubjects, t.Value)
			}
		}
	}
	if o.send && !o.changed("send-to") {
		if p.TestRecipient == "" {
			return "", usageErrorf("--send: the profile %s has no test recipient; pass --send-to ADDRESS", path)
		}
		o.sendTo = []string{p.TestRecipient}
	}
	return path, nil
}

func (o doctorOptions) parseAltPorts() ([]int, error) {
	var ports []int
	for _, f := range strings.Split(o.altPorts, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := strconv.Atoi(f)
		if err == nil {
			err = checks.ValidatePort(p)
		}
		if err != nil {
			return nil, usageErrorf("--alt-ports %q: want ports like 25,587 (%v)", o.altPorts, err)
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// doctorReport is the --json document.
type doctorReport struct {
	Findings []troubleshoot.Finding    `json:"findings"`
	Check    *checks.Report            `json:"check"`
	DNS      []troubleshoot.DNSFinding `json:"dns"`
	Send     *doctorSendJSON           `json:"send"`
	Headers  *troubleshoot.Analysis    `json:"headers"`
}

type doctorSendJSON struct {
	Accepted bool   `json:"accepted"`
	Step     string `json:"step"`
	Reply    string `json:"reply"`
	QueueID  string `json:"queue_id,omitempty"`
}

func runDoctor(ctx context.Context, a *app, o doctorOptions) error {
	if o.changed == nil {
		o.changed = func(string) bool { return false }
	}
	profilePath, err := o.applyProfile()
	if err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	if profilePath != "" && !o.json {
		fmt.Fprintf(a.stderr, "using profile %s\n", profilePath)
	}
	progress := func(format string, args ...any) {
		if !o.json && a.stdoutTTY {
			fmt.Fprintf(a.stderr, format+"\n", args...)
		}
	}
	in := troubleshoot.DoctorInput{Host: o.host, Port: o.port, User: o.user}

	// 1+2: password, then the probe with AUTH.
	var secret []byte
	if o.user != "" {
		s, _, err := a.password(ctx, o.host, o.user, o.passwordStdin)
		var pm *passwordMissingError
		switch {
		case errors.As(err, &pm):
			in.Password = troubleshoot.PasswordMissing
			if pm.KeyringUnavailable() {
				in.Password = troubleshoot.PasswordUnavailable
			}
			in.PasswordNote = strings.TrimSpace(pm.Note() + " " + pm.Hint())
		case err != nil:
			return err
		default:
			secret = s
			in.Password = troubleshoot.PasswordFound
		}
	}
	defer creds.Zero(secret)

	alt, _ := o.parseAltPorts()
	ports := []int{o.port}
	for _, p := range alt {
		if p != o.port && !containsInt(ports, p) {
			ports = append(ports, p)
		}
	}
	progress("probing %s on port %s …", o.host, joinPorts(ports))
	copts := checks.Options{
		Host: o.host, Ports: ports, CAFile: o.caFile, TLSServerName: o.tlsServerName, Timeout: o.timeout,
	}
	if secret != nil {
		copts.User, copts.Password = o.user, secret
	}
	rep := checks.Run(ctx, copts)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	in.Report = &rep

	// 3: DNS. The smart host is skipped when it is an IP literal or the
	// probe already resolved it (the dns stage reports failures itself).
	progress("checking DNS …")
	dnsIn := troubleshoot.DNSInput{
		PlaceholderDomain: o.placeholderDomain,
		SenderDomain:      o.senderDomain,
		SPFIncludes:       o.spfIncludes,
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	in.DNS = troubleshoot.RunDNSChecks(dctx, net.DefaultResolver, dnsIn)
	cancel()

	// 4: the optional live send, only when the configured port works.
	var sendJSON *doctorSendJSON
	if len(o.sendTo) > 0 {
		if cfgPortOK(rep, o.port) {
			progress("sending a test message through the embedded relay …")
			out, js, err := doctorSend(ctx, o, secret)
			if err != nil {
				return err
			}
			in.Send, sendJSON = out, js
		} else {
			progress("skipping the test send: port %d does not work yet", o.port)
		}
	}

	// 5: headers, from a file or (on a terminal, after a send) pasted.
	an, err := doctorHeaders(a, o, in.Send != nil && in.Send.Accepted)
	if err != nil {
		return err
	}
	in.Headers = an

	findings := troubleshoot.Diagnose(in)
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if findings == nil {
			findings = []troubleshoot.Finding{}
		}
		dns := in.DNS
		if dns == nil {
			dns = []troubleshoot.DNSFinding{}
		}
		if err := enc.Encode(doctorReport{Findings: findings, Check: &rep, DNS: dns, Send: sendJSON, Headers: an}); err != nil {
			return withExit(exitFailure, err)
		}
	} else {
		renderDoctor(a.stdout, newTroubleStyles(a), o, findings)
	}
	for _, f := range findings {
		if f.Severity == troubleshoot.SevFail {
			return withExit(exitFailure, nil)
		}
	}
	return nil
}

func cfgPortOK(rep checks.Report, port int) bool {
	for _, p := range rep.Ports {
		if p.Port == port {
			_, failed := p.FailedStage()
			return !failed
		}
	}
	return false
}

func doctorSend(ctx context.Context, o doctorOptions, secret []byte) (*troubleshoot.SendOutcome, *doctorSendJSON, error) {
	from := o.from
	if from == "" {
		from = "relaywiz@relaywiz.localhost"
		if strings.Contains(o.user, "@") {
			from = o.user
		}
	}
	cfg := relay.UpstreamConfig{Host: o.host, Port: o.port, TLSServerName: o.tlsServerName, CAFile: o.caFile, Timeout: o.timeout}
	if secret != nil {
		cfg.User, cfg.Password = o.user, secret
	}
	msg, err := relay.NewTestMessage(relay.MessageOptions{
		From: from, To: o.sendTo, Trigger: o.trigger,
		Route: cfg.Name() + " (relaywiz doctor)",
	})
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	res := relay.Send(ctx, relay.SendOptions{Upstream: cfg, Message: msg, UpstreamTimeout: o.timeout}, nil)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	reply := res.UpstreamReply
	if reply == "" {
		reply = res.Reply
	}
	out := &troubleshoot.SendOutcome{Accepted: res.Accepted, Step: res.Step, Reply: reply, Hint: res.Hint, Err: res.Err}
	return out, &doctorSendJSON{Accepted: res.Accepted, Step: res.Step, Reply: reply, QueueID: res.QueueID}, nil
}

// doctorHeaders reads --headers, or asks on a terminal after a successful
// send. An empty first line skips the analysis.
func doctorHeaders(a *app, o doctorOptions, sent bool) (*troubleshoot.Analysis, error) {
	var r io.Reader
	name := o.headers
	switch {
	case o.headers == "-":
		r, name = a.stdin, "stdin"
	case o.headers != "":
		f, err := os.Open(o.headers)
		if err != nil {
			return nil, usageErrorf("--headers %q: %v", o.headers, err)
		}
		defer f.Close()
		r = f
	case sent && a.stdinTTY && !o.json:
		fmt.Fprintln(a.stderr, "When the test message has arrived, paste its headers and end with an empty line (just Enter skips):")
		br := bufio.NewReader(a.stdin)
		first, err := br.ReadString('\n')
		if strings.TrimSpace(first) == "" {
			return nil, nil
		}
		if err != nil && err != io.EOF {
			return nil, nil
		}
		r, name = io.MultiReader(strings.NewReader(first), br), "the pasted headers"
	default:
		return nil, nil
	}
	providers := o.providerHosts
	if len(providers) == 0 {
		// the defaults plus the smart host this setup actually uses
		providers = append(append([]string{}, troubleshoot.DefaultProviderHosts...), o.host)
	}
	an, err := troubleshoot.Analyze(r, troubleshoot.Options{
		ProviderHosts: providers, TriggerLabels: o.triggerLabels, TriggerSubjects: o.triggerSubjects,
	})
	var tl *troubleshoot.TooLargeError
	switch {
	case errors.As(err, &tl), errors.Is(err, troubleshoot.ErrNoHeaders):
		return nil, usageErrorf("--headers %s: %v", name, err)
	case err != nil:
		return nil, withExit(exitFailure, fmt.Errorf("--headers %s: %w", name, err))
	}
	return &an, nil
}

func renderDoctor(w io.Writer, st troubleStyles, o doctorOptions, fs []troubleshoot.Finding) {
	who := ""
	if o.user != "" {
		who = " as " + o.user
	}
	fmt.Fprintf(w, "%s\n\n", st.bold.Render(fmt.Sprintf("relaywiz doctor: %s port %d%s", o.host, o.port, who)))
	fails := 0
	for _, f := range fs {
		if f.Severity == troubleshoot.SevFail {
			fails++
		}
	}
	switch fails {
	case 0:
		fmt.Fprintf(w, "%s no failure found.\n\n", st.ok.Render("OK:"))
	default:
		fmt.Fprintf(w, "%s %d problem(s); the first is the most likely cause.\n\n", st.fail.Render("FOUND:"), fails)
	}
	for i, f := range fs {
		mark := st.faint.Render("·")
		switch f.Severity {
		case troubleshoot.SevFail:
			mark = st.fail.Render("✗")
		case troubleshoot.SevWarn:
			mark = st.warn.Render("!")
		case troubleshoot.SevOK:
			mark = st.ok.Render("✓")
		}
		title := f.Title
		if f.Setting != "" {
			title = "[" + f.Setting + "] " + title
		}
		wrapIndented(w, fmt.Sprintf("%2d. %s ", i+1, mark), "      ", title)
		if f.Detail != "" {
			wrapIndented(w, "      ", "      ", f.Detail)
		}
		if f.Fix != "" {
			wrapIndented(w, "      "+st.bold.Render("fix:")+" ", "           ", f.Fix)
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func joinPorts(ps []int) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprint(p))
	}
	return strings.Join(s, ", ")
}
