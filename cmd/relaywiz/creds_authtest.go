package main

// `creds test`: does the smart host accept the stored password? It goes
// through checks.Dial, the one SMTP client path relay and send use, so a
// pass here means the relay will authenticate the same way.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/termtext"
)

// credsTestOptions are the flags of `creds test`.
type credsTestOptions struct {
	key           credsKey
	port          int
	caFile        string
	tlsServerName string
	fromStdin     bool
	timeout       time.Duration
	verbose       bool
	as            string
	ehlo          string
}

func newCredsTestCmd(a *app) *cobra.Command {
	var o credsTestOptions
	cmd := &cobra.Command{
		Use:   "test --smart-host HOST --user USER [--port 587]",
		Short: "Check that the smart host accepts the stored password (SMTP AUTH)",
		Long: `Connect to the smart host, require STARTTLS with a verified certificate, and
authenticate as USER with the password stored in the OS keyring (or, with
--password-stdin, the first line of stdin). This is the same client code the
relay uses, so a pass here means the relay will authenticate the same way.
The password is never sent before TLS. By default (--as exchange-server) AUTH
is exactly what Exchange's send connector sends: a bare AUTH LOGIN answered at
two 334 prompts, and only when EHLO after TLS has an "AUTH ... LOGIN" line;
--as generic uses LOGIN when offered, else PLAIN. Nothing is sent after AUTH
but QUIT. (--as exchange-online is refused: that connector cannot log in.)

--verbose shows the SMTP conversation with the AUTH exchange redacted.

Exit status:
  0   the smart host accepted the credentials
  1   no password stored for HOST and USER (store one with 'creds set')
  2   DNS or TCP connect failed      21  bad or no banner
  22  EHLO refused                   29  STARTTLS/TLS/certificate problem
  28  authentication failed (wrong user name or password, 535) or unavailable (454, no mechanism)
  64  bad input                      69  the keyring is unavailable`,
		Example: `  relaywiz creds test --smart-host smtp.zivver.com --user relay@example.com
  relaywiz creds test --smart-host smtp.zivver.com --user relay@example.com --port 25 --verbose
  # a host reached by IP address, with a private CA
  relaywiz creds test --smart-host 192.0.2.25 --tls-server-name smtp.example.com --ca-file ca.pem --user relay@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, err := o.key.fromProfile(a, cmd.Flags())
			if err != nil {
				return err
			}
			fromProfile(cmd.Flags(), "ca-file", &o.caFile, ps.CAFile)
			fromProfile(cmd.Flags(), "tls-server-name", &o.tlsServerName, ps.TLSServerName)
			if !cmd.Flags().Changed(flagPort) {
				switch {
				case ps.ConnectorPort != 0:
					o.port = ps.ConnectorPort
				case len(ps.Ports) > 0:
					o.port = ps.Ports[len(ps.Ports)-1]
				}
			}
			return runCredsTest(cmd.Context(), a, o)
		},
	}
	o.key.addFlags(cmd)
	f := cmd.Flags()
	f.IntVar(&o.port, "port", 587, "smart-host port to authenticate on (587 submission, or 25)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra CA certificates to trust (besides the system roots)")
	f.StringVar(&o.tlsServerName, "tls-server-name", "", "name the certificate must carry (default: --smart-host); needed when --smart-host is an IP address")
	f.BoolVar(&o.fromStdin, "password-stdin", false, "use the first line of stdin as the password instead of the keyring")
	f.DurationVar(&o.timeout, "timeout", checks.DefaultDialTimeout, "give up if the session is not authenticated within this time")
	f.BoolVar(&o.verbose, "verbose", false, "show the SMTP conversation (AUTH redacted)")
	addAsFlag(f, &o.as)
	f.StringVar(&o.ehlo, "ehlo", "", "the connector's FQDN, given in EHLO (default: this host's FQDN, else its address literal)")
	return cmd
}

func runCredsTest(ctx context.Context, a *app, o credsTestOptions) error {
	if err := o.key.validate(); err != nil {
		return err
	}
	if err := checks.ValidateHost(o.key.host); err != nil {
		return usageErrorf("--smart-host: %v", err)
	}
	if err := checks.ValidatePort(o.port); err != nil {
		return usageErrorf("--port: %v", err)
	}
	if o.timeout <= 0 {
		return usageErrorf("--timeout: must be positive, e.g. 30s")
	}
	dialect, err := parseAs(o.as, o.key.user)
	if err != nil {
		return err
	}
	if o.ehlo != "" && !validEHLOName(o.ehlo) {
		return usageErrorf("--ehlo: %q is neither a host name nor an address literal like [192.0.2.1]", o.ehlo)
	}
	if o.caFile != "" {
		if _, err := checks.LoadRoots(o.caFile); err != nil {
			return usageErrorf("--ca-file: %v", err)
		}
	}

	secret, source, err := a.password(ctx, o.key.host, o.key.user, o.fromStdin)
	var pm *passwordMissingError
	if errors.As(err, &pm) {
		if pm.KeyringUnavailable() {
			fmt.Fprintf(a.stderr, "relaywiz: cannot test: %v\n%s\n", pm.Cause, pm.Hint())
			return withExit(exitUnavailable, nil)
		}
		fmt.Fprintf(a.stderr, "relaywiz: cannot test: no password stored for %s on %s.\nStore it with: relaywiz creds set --smart-host %s --user %s\n(or pass it for this run with --password-stdin)\n",
			o.key.user, o.key.host, o.key.host, o.key.user)
		return withExit(exitFailure, nil)
	}
	if err != nil {
		return err
	}
	// checks.Dial only borrows the slice for the session's AUTH exchange.
	defer creds.Zero(secret)

	dial := checks.DialOptions{
		Host:          o.key.host,
		Port:          o.port,
		User:          o.key.user,
		Password:      secret,
		CAFile:        o.caFile,
		TLSServerName: o.tlsServerName,
		Timeout:       o.timeout,
		Dialect:       dialect,
		EHLOName:      o.ehlo,
	}
	if o.verbose {
		dial.Transcript = func(l checks.TranscriptLine) { fmt.Fprintln(a.stdout, l.String()) }
	}
	// the same marks and layout as check's stage list
	st := newCheckStyles(a)
	conn, err := checks.Dial(ctx, dial)
	creds.Zero(secret)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se *checks.StageError
		if !errors.As(err, &se) {
			return err
		}
		fmt.Fprintf(a.stdout, "%s %s:%d %s did not pass: %s\n", st.fail.Render("✗"), o.key.host, o.port, se.Stage, termtext.Escape(checks.ReplyText(se.Err)))
		if se.Hint != "" {
			writeHint(a.stdout, st.fail.Render("hint:"), termtext.EscapeLines(se.Hint))
		}
		if ex := checks.PredictExchangeError(err); ex != "" {
			// one line: it is what to search the queue's LastError for
			fmt.Fprintf(a.stdout, "    %s %s\n", st.fail.Render("Exchange will show:"), termtext.Escape(ex))
		}
		return withExit(se.Stage.ExitCode(), nil)
	}
	res := conn.Result
	_ = conn.Quit() // the verdict is in; a slow goodbye changes nothing

	if res.Auth != checks.AuthOK {
		// Dial returns a session only after AUTH succeeded when credentials
		// were given; anything else is a contract break worth saying aloud.
		fmt.Fprintf(a.stdout, "%s %s:%d: AUTH was not performed (%s)\n", st.fail.Render("✗"), o.key.host, o.port, res.Auth)
		return withExit(checks.StageAuth.ExitCode(), nil)
	}
	fmt.Fprintf(a.stdout, "%s %s:%d accepted %s (AUTH %s over %s).\n", st.ok.Render("✓"), o.key.host, o.port, o.key.user, res.AuthMechanism, describeCredsTLS(res.TLS))
	fmt.Fprintf(a.stdout, "  Password from %s.\n", describePasswordSource(source, o.key))
	return nil
}

func describeCredsTLS(t *checks.TLSInfo) string {
	if t == nil {
		return "TLS"
	}
	parts := []string{t.Version}
	if t.Verified {
		parts = append(parts, "certificate verified")
	} else {
		parts = append(parts, "certificate NOT verified")
	}
	return strings.Join(parts, ", ")
}

func describePasswordSource(source string, k credsKey) string {
	if source == passwordFromStdin {
		return "stdin (not stored)"
	}
	return creds.Location(k.host, k.user)
}
