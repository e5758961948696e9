package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/relay"
)

const relayLong = `Run a local SMTP relay that forwards every message to the smart host the way
Exchange's send connector will: STARTTLS required, the certificate verified,
AUTH only after TLS, in the dialect --as names (default exchange-server: a
bare AUTH LOGIN answered at two 334 prompts, MAIL and RCPT pipelined, the
whole message as one BDAT <n> LAST when the smart host offers CHUNKING).

Point any SMTP client at it (swaks, a script, an application) to test the
smart host before touching Exchange, or to reproduce a failure in minutes.

How it behaves:
  - Synchronous: the client gets its reply to DATA only after the smart host
    answered, with the smart host's own code and text (a 550 stays a 550); 2xx
    only when the smart host accepted, 4xx when its answer is unknown. There is
    no queue, so nothing is ever accepted and then dropped. Memory stays
    bounded: a message for BDAT is held in memory up to 1 MB and beyond that in
    an unlinked temporary file encrypted with a key of its own; with DATA
    upstream (--as generic) the body is copied straight through.
  - The smart host connection (TLS + AUTH) is opened at MAIL FROM, so an
    unreachable or untrusted smart host, or a wrong password, is answered there
    with a 451 that names the problem, before the client sends any data.
  - SIZE is advertised; MAIL FROM ... SIZE= over --max-size-mb gets 552 at once,
    and a longer body gets 552 without anything being committed upstream.
  - Loopback only. --allow-remote opens it to the network, and then every client
    must STARTTLS and AUTH with --client-user and its password (never an open
    relay). The password comes from --client-password-file; without it one is
    generated and shown once, which needs stderr to be a terminal (a service's
    stderr ends up in logs).

One line per client connection goes to stdout (client, envelope, size, the
smart host's reply with queue id, time); --json-log makes it a JSON object.
--verbose adds both conversations to stderr, AUTH redacted, bodies summarised.

The password for --user comes from the OS keyring ('relaywiz creds set'), or
from the first line of stdin with --password-stdin, or is asked for on a
terminal.

--once stops after the first message that got its final reply (accepted or
refused); a transaction the client gave up (RSET, QUIT, hang-up) does not
count. Further MAIL FROM is answered 421 while the client reads its reply and
says QUIT (at most 5 s).`

// relayExitStatus ends 'relay --help' (see setExitStatusHelp).
const relayExitStatus = `  0   --once: the smart host accepted the message; without --once: stopped
      with Ctrl+C, the normal way to stop the relay
  With --once, when the first message was not accepted (swaks's codes):
  2   DNS or TCP connect to the smart host failed   21  bad or no banner
  22  EHLO refused        29  STARTTLS/TLS/certificate   28  AUTH failed
  23  MAIL FROM refused   24  RCPT TO refused   25  DATA refused
  26  refused at the end of DATA
  1   the relay could not start or stopped unexpectedly, no stored password,
      or another failure
  64  bad input (a flag's value; --allow-remote without a terminal and without
      --client-password-file)
  69  the OS keyring is unavailable (use --password-stdin)
  130 --once: interrupted before a message got its final reply`

const relayExample = `  # forward to Zivver, password from the keyring
  relaywiz relay --smart-host smtp.zivver.com --port 587 --user relay@example.com

  # then, in another terminal
  swaks --server 127.0.0.1:2525 --from admin@example.com --to someone@example.org

  # one message only, machine-readable log, conversation shown
  relaywiz relay --smart-host smtp.zivver.com --port 587 --user relay@example.com --once --json-log --verbose

  # the local lab smart host as upstream (see 'relaywiz lab')
  relaywiz relay --smart-host 127.0.0.1 --port 2587 --ca-file relaywiz-lab/relaywiz-lab-ca.pem --user relaywiz`

// setExitStatusHelp makes cmd's --help end with its exit statuses, after
// the flags, where a script writer looks for them. statuses are lines
// of "  CODE  meaning".
func setExitStatusHelp(cmd *cobra.Command, statuses string) {
	cmd.SetHelpTemplate(cmd.HelpTemplate() + "\nExit status:\n" + statuses + "\n")
}

// upstreamFlags are the smart-host flags relay and send share.
type upstreamFlags struct {
	smartHost     string
	port          int
	upstream      string // the old HOST:PORT form (hidden --upstream)
	profile       string
	user          string
	fromStdin     bool
	caFile        string
	tlsServerName string
	timeout       time.Duration
	maxSizeMB     int
	as            string
	ehlo          string
	flags         *pflag.FlagSet // to tell a --port given from the default
}

func (u *upstreamFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	u.flags = f
	f.StringVar(&u.smartHost, flagSmartHost, "", "the smart host's name or IP address, e.g. smtp.zivver.com (required unless the profile has it)")
	f.IntVar(&u.port, flagPort, 587, "the smart host's port: the one the connector uses")
	// Scripts written for earlier versions give HOST:PORT as --upstream.
	f.StringVar(&u.upstream, "upstream", "", "HOST:PORT (the old form of --smart-host and --port)")
	_ = f.MarkHidden("upstream")
	addProfileFlag(f, &u.profile)
	useVocabulary(cmd, hostAlias)
	f.StringVar(&u.user, "user", "", "SMTP user name for AUTH at the smart host (no AUTH without it)")
	f.BoolVar(&u.fromStdin, "password-stdin", false, "read the smart-host password from the first line of stdin instead of the keyring")
	f.StringVar(&u.caFile, "ca-file", "", "PEM file of extra CA certificates to trust for the smart host (e.g. the lab's CA)")
	f.StringVar(&u.tlsServerName, "tls-server-name", "", "name the smart host's certificate must carry (default: --smart-host); needed for an IP address")
	f.DurationVar(&u.timeout, "timeout", relay.DefaultUpstreamTimeout, "give up opening the smart host connection (TLS + AUTH) after this long")
	f.IntVar(&u.maxSizeMB, "max-size-mb", int(relay.DefaultMaxMessageBytes>>20), "largest message accepted, in MB (the providers' maximum is 50)")
	addAsFlag(f, &u.as)
	f.StringVar(&u.ehlo, "ehlo", "", "name to introduce ourselves with to the smart host, as the connector's FQDN (default: this host's FQDN, else its address literal)")
}

// parse validates the flags (exit 64 naming the flag) into the upstream
// configuration, without the password (see login). It runs once per
// command: the CA file is read here, once, and the trust store it gives is
// what every upstream connection uses, so it cannot change (or vanish)
// under a long-running relay.
func (u *upstreamFlags) parse() (relay.UpstreamConfig, error) {
	host, port := strings.TrimSpace(u.smartHost), u.port
	if u.upstream != "" {
		if host != "" {
			return relay.UpstreamConfig{}, usageErrorf("--upstream: give either --smart-host HOST [--port N] or the old --upstream HOST:PORT, not both")
		}
		h, p, err := splitUpstream(u.upstream)
		if err != nil {
			return relay.UpstreamConfig{}, err
		}
		host, port = h, p
	}
	if host == "" {
		return relay.UpstreamConfig{}, usageErrorf("--smart-host: required, e.g. --smart-host smtp.zivver.com --port 587 (or run the wizard first: its profile is used)")
	}
	if err := checks.ValidateHost(host); err != nil {
		return relay.UpstreamConfig{}, usageErrorf("--smart-host: %v", err)
	}
	if err := checks.ValidatePort(port); err != nil {
		return relay.UpstreamConfig{}, usageErrorf("--port: %v", err)
	}
	if strings.ContainsFunc(u.user, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return relay.UpstreamConfig{}, usageErrorf("--user: must be one line without control characters (no CR, LF or tab)")
	}
	dialect, err := parseAs(u.as, u.user)
	if err != nil {
		return relay.UpstreamConfig{}, err
	}
	if dialect == checks.DialectExchangeOnline && u.upstream == "" && (u.flags == nil || !u.flags.Changed(flagPort)) {
		// Exchange Online has no port to choose: the default 587 (and a
		// profile's on-premises port) give way; only a --port given is refused.
		port = checks.OnlinePort
	}
	if dialect == checks.DialectExchangeOnline && port != checks.OnlinePort {
		return relay.UpstreamConfig{}, usageErrorf("--port %d: Exchange Online's outbound connector always uses port 25 (New-OutboundConnector has no port setting); use --port 25", port)
	}
	if u.ehlo != "" && !validEHLOName(u.ehlo) {
		return relay.UpstreamConfig{}, usageErrorf("--ehlo: %q is neither a host name nor an address literal like [192.0.2.1]", u.ehlo)
	}
	cfg := relay.UpstreamConfig{Host: host, Port: port, CAFile: u.caFile, TLSServerName: u.tlsServerName, User: u.user, Timeout: u.timeout,
		Dialect: dialect, EHLOName: u.ehlo}
	if u.caFile != "" {
		if cfg.RootCAs, err = checks.LoadRoots(u.caFile); err != nil {
			return relay.UpstreamConfig{}, usageErrorf("--ca-file: %v", err)
		}
	}
	if u.timeout <= 0 {
		return relay.UpstreamConfig{}, usageErrorf("--timeout: must be positive, e.g. 20s")
	}
	if u.maxSizeMB <= 0 || u.maxSizeMB > 1024 {
		return relay.UpstreamConfig{}, usageErrorf("--max-size-mb %d: want 1 to 1024 (the providers accept up to 50)", u.maxSizeMB)
	}
	if u.user == "" && u.fromStdin {
		return relay.UpstreamConfig{}, usageErrorf("--password-stdin: give --user too (the password belongs to a user)")
	}
	return cfg, nil
}

// splitUpstream accepts HOST or HOST:PORT (IPv6 in brackets).
func splitUpstream(s string) (string, int, error) {
	host, portText := s, "587"
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, portText = h, p
	} else if strings.Count(s, ":") == 1 || strings.HasPrefix(s, "[") {
		return "", 0, usageErrorf("--upstream %q: want HOST:PORT, e.g. smtp.zivver.com:587", s)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return "", 0, usageErrorf("--upstream %q: the port %q is not a number", s, portText)
	}
	if err := checks.ValidatePort(port); err != nil {
		return "", 0, usageErrorf("--upstream: %v", err)
	}
	if err := checks.ValidateHost(host); err != nil {
		return "", 0, usageErrorf("--upstream: %v", err)
	}
	return host, port, nil
}

// fromProfile fills what the command line left open from the wizard's
// answers: smart host, the connector's port, CA file, certificate name
// and user.
func (u *upstreamFlags) fromProfile(a *app, f *pflag.FlagSet) (files.Settings, error) {
	ps, _, path, err := a.commandProfile(u.profile)
	if err != nil || path == "" || f.Changed("upstream") {
		return ps, err
	}
	fromProfile(f, flagSmartHost, &u.smartHost, ps.Host)
	if !f.Changed(flagPort) {
		switch {
		case ps.ConnectorPort != 0:
			u.port = ps.ConnectorPort
		case len(ps.Ports) > 0:
			u.port = ps.Ports[len(ps.Ports)-1]
		}
	}
	fromProfile(f, "ca-file", &u.caFile, ps.CAFile)
	fromProfile(f, "tls-server-name", &u.tlsServerName, ps.TLSServerName)
	if !onlineAs(u.as) { // Exchange Online logs in nowhere: no profile user
		fromProfile(f, "user", &u.user, ps.User)
	}
	return ps, nil
}

// login fetches the password for cfg.User (parsed by parse) into
// cfg.Password; without a user there is nothing to fetch. The caller must
// call done() to wipe the password.
func (u *upstreamFlags) login(ctx context.Context, a *app, cfg *relay.UpstreamConfig) (source string, done func(), err error) {
	host := cfg.Host
	if u.user == "" {
		return "", func() {}, nil
	}
	secret, source, err := a.password(ctx, host, u.user, u.fromStdin)
	var pm *passwordMissingError
	if errors.As(err, &pm) {
		// On a terminal, asking beats failing: the admin may simply not
		// have stored it yet (the lab's password, for instance).
		var asked bool
		if secret, asked, err = a.askPassword(host, u.user, pm); asked {
			if err != nil {
				return "", nil, err
			}
			source = "terminal"
		} else if pm.KeyringUnavailable() {
			fmt.Fprintf(a.stderr, "relaywiz: %v\n%s\n", pm.Cause, pm.Hint())
			return "", nil, withExit(exitUnavailable, errors.New("no password for the smart host: the keyring is unavailable; use --password-stdin"))
		} else {
			return "", nil, withExit(exitFailure, fmt.Errorf("no password stored for %s on %s: store it with 'relaywiz creds set --smart-host %s --user %s', or pass it with --password-stdin", u.user, host, host, u.user))
		}
	} else if err != nil {
		return "", nil, err
	}
	cfg.Password = secret
	return source, func() { creds.Zero(secret) }, nil
}

func describeUpstream(cfg relay.UpstreamConfig, source string) string {
	s := cfg.Name() + " (STARTTLS required, certificate verified"
	if cfg.User != "" {
		s += ", AUTH as " + cfg.User + ", password from " + source
	} else {
		s += ", no AUTH"
	}
	return s + ")"
}

type relayCmdOptions struct {
	up             upstreamFlags
	listen         string
	once           bool
	jsonLog        bool
	verbose        bool
	allowRemote    bool
	clientUser     string
	clientPassFile string
	maxSessions    int
	readTimeout    time.Duration
}

func newRelayCmd(a *app) *cobra.Command {
	var o relayCmdOptions
	cmd := &cobra.Command{
		Use:     "relay --smart-host HOST [--port 587] [--user USER] [--profile FILE] [flags]",
		Short:   "Run a local relay that forwards like Exchange's send connector will",
		Long:    relayLong + dialectNote,
		Example: relayExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := o.up.fromProfile(a, cmd.Flags()); err != nil {
				return err
			}
			return runRelay(cmd.Context(), a, o)
		},
	}
	o.up.add(cmd)
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", relay.DefaultListen, "address to accept clients on (loopback only unless --allow-remote)")
	f.BoolVar(&o.once, "once", false, "exit after the first message that got its final reply; exit status 0 only if the smart host accepted it")
	f.BoolVar(&o.jsonLog, "json-log", false, "write the per-session log lines as JSON objects")
	f.BoolVar(&o.verbose, "verbose", false, "show both SMTP conversations on stderr (AUTH redacted, bodies summarised)")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "accept clients from the network; they must STARTTLS and AUTH as --client-user")
	f.StringVar(&o.clientUser, "client-user", "", "user name remote clients must AUTH with (with --allow-remote)")
	f.StringVar(&o.clientPassFile, "client-password-file", "", "file holding the remote clients' password on its first line (default: generate one and show it once on stderr, only if stderr is a terminal)")
	f.IntVar(&o.maxSessions, "max-sessions", relay.DefaultMaxSessions, "most client connections at once; more get 421")
	f.DurationVar(&o.readTimeout, "read-timeout", relay.DefaultReadTimeout, "longest wait for a whole client command line, for an idle stretch between messages, and for each read of message content")
	setExitStatusHelp(cmd, relayExitStatus)
	return cmd
}

// onceGrace is how long `relay --once` lets the client of the one message
// read its reply and say QUIT before the relay closes the connection.
const onceGrace = 5 * time.Second

func runRelay(ctx context.Context, a *app, o relayCmdOptions) error {
	cfg, err := o.up.parse()
	if err != nil {
		return err
	}
	if o.maxSessions <= 0 {
		return usageErrorf("--max-sessions: must be at least 1")
	}
	if o.readTimeout <= 0 {
		return usageErrorf("--read-timeout: must be positive, e.g. 10m")
	}
	if !o.allowRemote && (o.clientUser != "" || o.clientPassFile != "") {
		return usageErrorf("--client-user/--client-password-file: only meaningful with --allow-remote")
	}
	clientPass := ""
	if o.allowRemote {
		if o.clientUser == "" {
			return usageErrorf("--allow-remote: also give --client-user; remote clients must authenticate so the relay is never open")
		}
		if o.clientPassFile == "" && !a.stderrTTY {
			// A generated password would have to be printed, and a relay
			// that runs as a service writes stderr to its logs.
			return usageErrorf("--client-password-file: required with --allow-remote when stderr is not a terminal (a generated password is only shown on a terminal, never written to logs); put the password on the first line of a file only the relay can read")
		}
		if clientPass, err = clientPassword(o.clientPassFile); err != nil {
			return err
		}
	}
	if err := relay.CheckListenAddr(o.listen, o.allowRemote); err != nil {
		if errors.Is(err, relay.ErrNotLoopback) {
			return usageErrorf("--listen: %v; %s", err, relay.RemoteListenHint)
		}
		return usageErrorf("--listen: %v", err)
	}

	source, done, err := o.up.login(ctx, a, &cfg)
	if err != nil {
		return err
	}
	defer done()

	// The hooks run on session goroutines; they must not block or stop the
	// server themselves, so --once hands the records over channels.
	first := make(chan relay.MessageRecord, 1)
	ended := make(chan int64, 64)
	// --once drains inside the hook, before the client reads its reply:
	// draining later, on this goroutine, let a client that sent its next
	// MAIL at once have a second message relayed (Drain only sets a flag).
	var started atomic.Pointer[relay.Server]
	opts := relay.Options{
		Listen:          o.listen,
		AllowRemote:     o.allowRemote,
		ClientUser:      o.clientUser,
		ClientPassword:  clientPass,
		Upstream:        relay.NewUpstreamDialer(cfg),
		UpstreamName:    cfg.Name(),
		UpstreamTimeout: o.up.timeout,
		MaxMessageBytes: int64(o.up.maxSizeMB) << 20,
		MaxSessions:     o.maxSessions,
		ReadTimeout:     o.readTimeout,
		Log:             a.stdout,
		JSONLog:         o.jsonLog,
		OnMessage: func(m relay.MessageRecord) {
			if s := started.Load(); o.once && s != nil {
				s.Drain()
			}
			select {
			case first <- m:
			default:
			}
		},
		OnSession: func(r relay.SessionRecord) {
			select {
			case ended <- r.ID:
			default: // full: --once then waits out onceGrace
			}
		},
	}
	if o.verbose {
		opts.Transcript = a.stderr
	}
	srv, err := relay.Start(ctx, opts)
	if err != nil {
		return withExit(exitFailure, err)
	}
	started.Store(srv)
	defer srv.Close()

	fmt.Fprintf(a.stderr, "relaywiz relay: listening on %s, forwarding to %s\n", srv.Addr(), describeUpstream(cfg, source))
	fmt.Fprintf(a.stderr, "  max message %d MB, %d sessions at once", o.up.maxSizeMB, o.maxSessions)
	if o.allowRemote {
		fmt.Fprintf(a.stderr, "; remote clients must STARTTLS and AUTH as %q", o.clientUser)
		if o.clientPassFile == "" {
			fmt.Fprintf(a.stderr, " with password %s (shown once)", clientPass)
		}
		if fp := srv.TLSFingerprint(); fp != "" {
			fmt.Fprintf(a.stderr, "\n  generated TLS certificate SHA-256 %s", fp)
		}
	}
	if o.once {
		fmt.Fprintf(a.stderr, "\n  --once: stopping after the first message\n")
	} else {
		fmt.Fprintf(a.stderr, "\n  press Ctrl+C to stop\n")
	}

	if !o.once {
		select {
		case <-ctx.Done():
			return nil // Ctrl+C is how a relay is meant to stop
		case <-waitChan(srv):
			return withExit(exitFailure, fmt.Errorf("the relay stopped unexpectedly: %v", srv.Wait()))
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case m := <-first:
		// The hook ran just before the client was sent its reply: take no
		// more messages, and let the client read the reply and QUIT
		// before the deferred Close cuts the connection.
		srv.Drain()
		waitSessionEnd(ended, m.Session, onceGrace)
		code := m.ExitCode()
		if code != 0 {
			return withExit(code, nil) // the session line already said why
		}
		return nil
	}
}

// waitSessionEnd waits until the client connection id has closed, or for
// at most grace.
func waitSessionEnd(ended <-chan int64, id int64, grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	for {
		select {
		case got := <-ended:
			if got == id {
				return
			}
		case <-t.C:
			return
		}
	}
}

func waitChan(s *relay.Server) <-chan struct{} {
	ch := make(chan struct{})
	go func() { _ = s.Wait(); close(ch) }()
	return ch
}

// clientPassword reads --client-password-file (first line) or generates one.
func clientPassword(file string) (string, error) {
	if file == "" {
		return relay.GeneratePassword()
	}
	b, err := files.ReadLimited(file, files.MaxSecretBytes)
	if err != nil {
		return "", usageErrorf("--client-password-file: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if len(line) < 8 {
		return "", usageErrorf("--client-password-file %s: the password on its first line must have at least 8 characters", file)
	}
	return line, nil
}
