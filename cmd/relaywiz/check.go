package main

// `relaywiz check`: prove the network path to the smart host. The probing
// lives in package checks (the same client code the relay uses); this file
// turns flags into checks.Options and the report into output and an exit
// status.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaywiz/checks"
	"relaywiz/creds"
)

const defaultSmartHost = "smtp.zivver.com"

// checkOptions are the flags of `relaywiz check`.
type checkOptions struct {
	host          string
	ports         string
	user          string
	passwordStdin bool
	caFile        string
	tlsServerName string
	ehlo          string
	timeout       time.Duration
	json          bool
	insecure      bool
	verbose       bool
	as            string
	portsGiven    bool // --ports was on the command line
	profile       string
}

var checkLong = `Prove that this network can reach the smart host, before anyone touches Exchange.

For every port, side by side, relaywiz runs these stages, each timed:
  dns       resolve the host (A/AAAA); NXDOMAIN and resolver failure are told apart
  connect   TCP connect: refused (nothing listening) / timeout (filtered) / unreachable;
            shows the local (egress) address used
  banner    the 220 greeting; a banner masked with '*' or 'X' means a firewall's
            SMTP inspection, which also strips STARTTLS
  ehlo      the advertised extensions (STARTTLS, AUTH, SIZE, PIPELINING, ...)
  starttls  must be offered: the Exchange connector requires TLS
  tls       version and cipher, the certificate (subject, SANs, issuer, expiry,
            days left), verified against the system roots plus --ca-file and
            for the host name (--tls-server-name overrides); TLS < 1.2 fails
  ehlo_tls  EHLO again inside TLS (AUTH is often offered only now)
  auth      only with --user: AUTH as the dialect does it (exchange-server: bare
            AUTH LOGIN and two 334 prompts); never before TLS, never to an
            unverified certificate; one login per run: the first port ready
            logs in, the others only learn the outcome (a wrong password is
            never tried twice)
then QUIT. A failing stage stops that port; the other ports go on. Every
failure comes with a hint saying what to do and, for the Exchange dialects,
the error Exchange's queue will show.

The password comes from --password-stdin (first line of stdin), else from the
OS keyring ('relaywiz creds set'), else it is asked for on a terminal. With
--user and no password at all the auth stage is shown as not run and fails
(exit 28): a login that was asked for and not proven is never OK.

--insecure-skip-verify continues past a certificate that fails verification
(the failure is still reported), to see the rest of the path. The password is
then kept back: relaywiz never sends the password to an unverified server, so
with --user the auth stage fails (exit 28) saying so. Without --user the check
still ends NOT OK (exit 29): Exchange validates the certificate. To test the
login, make verification pass with --ca-file or --tls-server-name instead.

` + dialectHelp() + `



--timeout bounds each port's whole probe, so a port that accepts TCP but never
greets costs exactly that long.

Output: a table per port (colour only on a terminal, never with NO_COLOR);
--json prints one JSON document on stdout and nothing else there; --verbose
writes the SMTP conversation to stderr with AUTH payloads redacted.

Exit status (swaks-compatible where they overlap): the first failing stage on
any port, in stage order, decides.
  0   every port passed every stage
  2   dns or connect failed
  21  banner: no or bad greeting
  22  ehlo refused
  29  starttls, tls or ehlo_tls failed (no STARTTLS, bad certificate, TLS < 1.2)
  28  auth failed (wrong credentials 535, no usable AUTH for the dialect,
      temporary 454, no password, or not attempted because --insecure-skip-verify
      left the certificate unverified)
  64  bad input (host, ports, --ca-file, ...)
  130 interrupted`

const checkExample = `  # both ports of the default smart host, no AUTH
  relaywiz check

  # with AUTH, password from the keyring (store it once with 'relaywiz creds set')
  relaywiz check --user relay@example.com

  # password from a secret manager, machine-readable result
  vault read -field=password secret/smtp | relaywiz check --user relay@example.com --password-stdin --json

  # only submission, show the conversation (AUTH redacted)
  relaywiz check --ports 587 --verbose

  # a smart host reached by IP address, with a private CA
  relaywiz check --smart-host 192.0.2.25 --tls-server-name smtp.example.com --ca-file ca.pem

  # as Exchange Online's outbound connector sees it (port 25, no AUTH)
  relaywiz check --as exchange-online

  # any SMTP server, relaywiz's efficient generic client
  relaywiz check --as generic --ports 587 --user relay@example.com`

func newCheckCmd(a *app) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:     "check [--smart-host smtp.zivver.com] [--ports 25,587] [--user USER [--password-stdin]] [--profile FILE]",
		Short:   "Prove the network path: DNS, TCP 25/587, banner, STARTTLS, certificate, AUTH",
		Long:    checkLong,
		Example: checkExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.applyProfile(a, cmd.Flags()); err != nil {
				return err
			}
			o.portsGiven = cmd.Flags().Changed("ports")
			return runCheck(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.host, flagSmartHost, defaultSmartHost, "smart host name or IP address")
	f.StringVar(&o.ports, "ports", "25,587", "ports to probe side by side, separated by commas or spaces (at most 4)")
	f.StringVar(&o.user, "user", "", "SMTP user name; enables the auth stage")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of stdin (default: the OS keyring)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra CA certificates to trust besides the system roots")
	f.StringVar(&o.tlsServerName, "tls-server-name", "", "name the certificate must carry (default: --smart-host); sent as SNI by --as generic and exchange-online, never by exchange-server, which sends no SNI, as Exchange")
	f.StringVar(&o.ehlo, "ehlo", "", "name to introduce ourselves with (default: this host's FQDN, else its address literal)")
	f.DurationVar(&o.timeout, "timeout", checks.DefaultCheckTimeout, "budget for each port's whole probe")
	f.BoolVar(&o.json, "json", false, "print one JSON document on stdout")
	f.BoolVar(&o.insecure, "insecure-skip-verify", false, "continue past an untrusted or mismatched certificate (still reported); the password is then never sent")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "write the SMTP conversation to stderr (AUTH redacted)")
	addAsFlag(f, &o.as)
	addProfileFlag(f, &o.profile)
	useVocabulary(cmd, hostAlias)
	return cmd
}

// applyProfile starts from the wizard's answers: its smart host, the ports
// it checked, CA file, certificate name and user. An Exchange Online
// scenario is checked as Exchange Online sees the smart host.
func (o *checkOptions) applyProfile(a *app, f *pflag.FlagSet) error {
	ps, _, path, err := a.commandProfile(o.profile)
	if err != nil || path == "" {
		return err
	}
	fromProfile(f, flagSmartHost, &o.host, ps.Host)
	if len(ps.Ports) > 0 && !f.Changed(flagPorts) {
		o.ports = formatPortList(ps.Ports)
	}
	fromProfile(f, "ca-file", &o.caFile, ps.CAFile)
	fromProfile(f, "tls-server-name", &o.tlsServerName, ps.TLSServerName)
	if ps.HasScenario && ps.Scenario.Online && !f.Changed("as") {
		o.as = string(checks.DialectExchangeOnline)
		return nil // no login: Exchange Online's connector has none
	}
	if onlineAs(o.as) {
		return nil // the profile's user is an on-premises connector's
	}
	fromProfile(f, "user", &o.user, ps.User)
	return nil
}

func formatPortList(ports []int) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ",")
}

// validate turns bad flags into usage errors naming the flag (exit 64).
func (o checkOptions) validate() (ports []int, dialect checks.Dialect, err error) {
	ports, err = o.validateFlags()
	if err != nil {
		return nil, "", err
	}
	if dialect, err = parseAs(o.as, o.user); err != nil {
		return nil, "", err
	}
	if dialect == checks.DialectExchangeOnline {
		if o.portsGiven && (len(ports) != 1 || ports[0] != checks.OnlinePort) {
			return nil, "", usageErrorf("--ports %s: Exchange Online's outbound connector always uses port 25 (New-OutboundConnector has no port setting); drop --ports", o.ports)
		}
		ports = []int{checks.OnlinePort}
	}
	return ports, dialect, nil
}

func (o checkOptions) validateFlags() (ports []int, err error) {
	if err := checks.ValidateHost(o.host); err != nil {
		return nil, usageErrorf("--smart-host: %v", err)
	}
	if ports, err = checks.ParsePorts(o.ports); err != nil {
		return nil, usageErrorf("--ports: %v", err)
	}
	if o.tlsServerName != "" {
		if err := checks.ValidateHost(o.tlsServerName); err != nil {
			return nil, usageErrorf("--tls-server-name: %v", err)
		}
	}
	if o.ehlo != "" && !validEHLOName(o.ehlo) {
		return nil, usageErrorf("--ehlo: %q is neither a host name nor an address literal like [192.0.2.1]", o.ehlo)
	}
	if o.timeout <= 0 {
		return nil, usageErrorf("--timeout: must be positive, e.g. 10s")
	}
	if o.passwordStdin && o.user == "" {
		return nil, usageErrorf("--password-stdin: needs --user (whose password it is)")
	}
	if o.caFile != "" {
		if _, err := checks.LoadRoots(o.caFile); err != nil {
			return nil, usageErrorf("--ca-file: %v", err)
		}
	}
	return ports, nil
}

func validEHLOName(s string) bool {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return net.ParseIP(strings.TrimPrefix(s[1:len(s)-1], "IPv6:")) != nil
	}
	return checks.ValidateHost(s) == nil && !strings.ContainsAny(s, "[]:")
}

func runCheck(ctx context.Context, a *app, o checkOptions) error {
	ports, dialect, err := o.validate()
	if err != nil {
		return err
	}
	opts := checks.Options{
		Host:               o.host,
		Ports:              ports,
		Dialect:            dialect,
		EHLOName:           o.ehlo,
		TLSServerName:      o.tlsServerName,
		CAFile:             o.caFile,
		InsecureSkipVerify: o.insecure,
		User:               o.user,
		Timeout:            o.timeout,
	}

	// The password: stdin, else the keyring, else AUTH is skipped with a note.
	var authNote, authHint string
	keyringDown := false
	if o.user != "" {
		secret, _, err := a.password(ctx, o.host, o.user, o.passwordStdin)
		var pm *passwordMissingError
		if errors.As(err, &pm) {
			// Asking beats a login that cannot run (as send and relay do).
			if asked, ok, aerr := a.askPassword(o.host, o.user, pm); ok {
				if aerr != nil {
					return aerr
				}
				secret, err, pm = asked, nil, nil
			}
		}
		switch {
		case pm != nil:
			authNote, authHint = pm.Note(), pm.Hint()
			keyringDown = pm.KeyringUnavailable()
		case err != nil:
			return err
		default:
			defer creds.Zero(secret)
			opts.Password = secret
		}
	}

	var live *checkProgress
	if !o.verbose && writerIsTerminal(a.stderr) {
		live = newCheckProgress(a.stderr, o.host, ports)
		opts.Progress = live.event
	}
	if o.verbose {
		opts.Transcript = func(l checks.TranscriptLine) { fmt.Fprintln(a.stderr, l.String()) }
	}

	live.start()
	rep := checks.Run(ctx, opts)
	live.stop()
	creds.Zero(opts.Password)

	if errors.Is(ctx.Err(), context.Canceled) {
		return withExit(exitInterrupted, errors.New("check interrupted"))
	}
	if keyringDown {
		// checks only knows "no password given"; why there was none is
		// ours to tell: a keyring that cannot be used is not "nothing stored".
		for i := range rep.Ports {
			if rep.Ports[i].Auth == checks.AuthSkipped {
				rep.Ports[i].Auth = checks.AuthUnavailable
			}
		}
	}
	if o.json {
		if authNote != "" {
			fmt.Fprintln(a.stderr, "relaywiz: "+authNote)
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	} else {
		renderCheckReport(a.stdout, newCheckStyles(a), rep, authNote, authHint)
	}
	if code := rep.ExitCode(); code != 0 {
		return withExit(code, nil)
	}
	return nil
}
