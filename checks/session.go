package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// session walks one port through the stages. It is the single SMTP client
// path of relaywiz: Dial (the relay's upstream, creds test, doctor) and Run
// (`relaywiz check`, the TUI) both drive it, so the check proves exactly
// what the relay will do.
//
// The plaintext part (banner, EHLO, STARTTLS) is spoken directly, because
// go-smtp's client neither exposes the banner nor lets us choose the EHLO
// name before its built-in STARTTLS, and unexported its StartTLS in v0.21.
// After the TLS handshake a go-smtp Client takes over the TLS connection,
// so everything from the second EHLO on (AUTH, MAIL, RCPT, DATA) is
// go-smtp's own code.
type session struct {
	o     DialOptions
	res   PortResult
	start time.Time
	tap   *transcript
	cap   deadlineCap
	ctx   context.Context

	budget string // the timeout, for messages

	dialect Dialect
	// predicted: the Exchange error a stage function foresaw for its
	// failure (exchange_errors.go); notRun: the stage failed without
	// running. Both are reset before every stage.
	predicted string
	notRun    bool
	// noTLS: Exchange Server dialect and no STARTTLS offered; the session
	// goes on to the auth stage, which fails the way Exchange does.
	noTLS bool
	// credsRejected: the auth stage ended with the server refusing the
	// credentials themselves (535 and co.).
	credsRejected bool

	mu  sync.Mutex // guards raw against the cancellation callback
	raw net.Conn
	// interrupted: the budget ran out or the caller cancelled; no more
	// courtesy traffic (QUIT) then.
	interrupted atomic.Bool

	plain    *wireConn
	reader   *bufio.Reader
	text     *textproto.Reader
	ehloName string
	ehlo     ehloInfo
	ehloTLS  ehloInfo // the EHLO reply inside TLS

	tlsAgreed bool // the server answered 220 to STARTTLS
	tlsConn   *tls.Conn
	tlsState  tls.ConnectionState
	secure    *wireConn
	client    *smtp.Client
}

func newSession(o DialOptions) *session {
	s := &session{o: o, start: time.Now(), dialect: o.Dialect.orDefault()}
	s.res = PortResult{Port: o.Port, AuthMechanisms: []string{}, Auth: AuthSkipped}
	s.tap = newTranscript(o.Transcript, o.Port, s.start)
	return s
}

// walk runs every stage up to "ready for MAIL FROM". On failure the
// connection is already closed and the error is a *StageError; the stages
// run so far are in s.res either way.
func (s *session) walk(ctx context.Context) (err error) {
	timeout := s.o.Timeout
	if _, has := ctx.Deadline(); !has && timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
		s.budget = timeout.String()
	} else {
		dl, _ := ctx.Deadline()
		s.budget = time.Until(dl).Round(time.Millisecond).String()
	}
	s.ctx = ctx
	hard, _ := ctx.Deadline()
	s.cap.set(hard)

	// Cancellation (Ctrl-C, the TUI going back) must interrupt a blocked
	// read at once: pull the cap to "now" and kick the connection.
	stop := context.AfterFunc(ctx, func() {
		s.interrupted.Store(true)
		if ctx.Err() == context.Canceled {
			s.cap.set(time.Now())
		}
		s.mu.Lock()
		if s.raw != nil {
			_ = s.raw.SetDeadline(time.Now())
		}
		s.mu.Unlock()
	})
	defer stop()
	defer func() {
		if err != nil {
			s.abort()
		}
	}()

	var addrs []net.IP
	if err := s.stage(StageDNS, func() (string, string, error) {
		var d, h string
		var e error
		addrs, d, h, e = s.resolve()
		return d, h, e
	}); err != nil {
		return err
	}
	steps := []struct {
		st Stage
		fn func() (string, string, error)
	}{
		{StageConnect, func() (string, string, error) { return s.connect(addrs) }},
		{StageBanner, s.banner},
		{StageEHLO, s.sayEHLO},
		{StageStartTLS, s.startTLS},
		{StageTLS, s.handshake},
		{StageEHLOTLS, s.sayEHLOAgain},
	}
	for _, step := range steps {
		if s.noTLS && (step.st == StageTLS || step.st == StageEHLOTLS) {
			continue // Exchange Server stops here: see startTLS
		}
		if err := s.stage(step.st, step.fn); err != nil {
			return err
		}
		if step.st == StageConnect && s.o.gate != nil {
			s.o.gate.connected(s.o.Port)
		}
	}
	return s.authStage()
}

// authStage runs AUTH when credentials were asked for. A user name
// without a password is not a pass: the stage is recorded as not run and
// fails, because the login that was asked for was never proven.
func (s *session) authStage() error {
	if s.o.User == "" || !s.dialect.Authenticates() {
		s.res.Auth = AuthSkipped
		return nil
	}
	if s.o.gate != nil && s.o.Password != nil && !s.noTLS {
		// Grace for a connector port that has not connected: as long as
		// this port took to get here, at least a second.
		note, err := s.o.gate.enter(s.ctx, s.o.Port, max(time.Since(s.start), time.Second))
		if err != nil {
			return s.stage(StageAuth, func() (string, string, error) { return "", "", err })
		}
		if note != "" {
			s.res.Auth, s.res.AuthNote = AuthSkipped, note
			return nil
		}
		judged, accepted := false, false
		defer func() { s.o.gate.done(s.o.Port, judged, accepted) }()
		err = s.stage(StageAuth, s.auth)
		accepted = err == nil
		judged = accepted || s.res.Auth == AuthFailed && s.credsRejected
		return err
	}
	return s.stage(StageAuth, s.auth)
}

// stage times fn, records its result and reports progress. fn returns the
// detail, a hint (a warning when err is nil) and the failure.
func (s *session) stage(st Stage, fn func() (detail, hint string, err error)) error {
	s.progress(Event{Kind: StageStarted, Port: s.o.Port, Stage: st})
	t0 := time.Now()
	s.predicted, s.notRun = "", false
	detail, hint, err := fn()
	if err != nil {
		detail, hint = s.explainInterrupt(st, detail, hint, err)
		var tooLong *ReplyTooLongError
		if errors.As(err, &tooLong) {
			detail, hint = tooLong.Error(), hintReplyTooLong()
		}
	}
	r := StageResult{Name: st, OK: err == nil, Ms: millis(time.Since(t0)), Detail: detail, Hint: hint, Err: err}
	r.Warning = err == nil && hint != ""
	r.ExchangeError = exchangeErrorFor(s.dialect, st, err, s.predicted)
	r.NotRun = err != nil && s.notRun
	s.res.Stages = append(s.res.Stages, r)
	s.progress(Event{Kind: StageFinished, Port: s.o.Port, Stage: st, Result: r})
	if err != nil {
		return &StageError{Stage: st, Err: err, Hint: hint, ExchangeError: r.ExchangeError}
	}
	return nil
}

// explainInterrupt turns a deadline or cancellation into words, whatever
// layer noticed it first.
func (s *session) explainInterrupt(st Stage, detail, hint string, err error) (string, string) {
	if errors.Is(s.ctx.Err(), context.Canceled) {
		return "cancelled", "The check was interrupted before this stage finished."
	}
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err)
	if !timedOut {
		return detail, hint
	}
	if detail == "" {
		detail = "no answer within the " + s.budget + " timeout"
	}
	if hint == "" {
		hint = hintTimeout(st, s.budget)
	}
	return detail, hint
}

func (s *session) progress(e Event) {
	if s.o.Progress != nil {
		s.o.Progress(e)
	}
}

func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

// abort ends a failed session: a courtesy QUIT when the conversation is
// still healthy (without waiting for the 221 — nobody needs it), then close.
func (s *session) abort() {
	s.quitNoWait()
}

func (s *session) quitNoWait() {
	if s.raw == nil {
		return
	}
	// QUIT only where the server can read it: inside TLS once STARTTLS
	// was accepted, in plaintext before; never once the budget is spent.
	var w *wireConn
	switch {
	case s.secure != nil:
		w = s.secure
	case s.tlsConn == nil && !s.tlsAgreed:
		w = s.plain
	}
	if w != nil && !s.interrupted.Load() {
		_ = s.raw.SetWriteDeadline(s.cap.clamp(time.Now().Add(time.Second)))
		_, _ = w.Write([]byte("QUIT\r\n"))
	}
	if s.tlsConn != nil && s.secure != nil {
		// Close sends close_notify, bounded by the write deadline above.
		_ = s.tlsConn.Close()
	} else {
		_ = s.raw.Close()
	}
}

// --- dns -------------------------------------------------------------------

func (s *session) resolve() ([]net.IP, string, string, error) {
	host := s.o.Host
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		s.res.Addresses = []string{ip.String()}
		return []net.IP{ip}, ip.String() + " (IP address, no lookup)", "", nil
	}
	r := s.o.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ipaddrs, err := r.LookupIPAddr(s.ctx, host)
	var dnsErr *net.DNSError
	switch {
	case err != nil && errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return nil, "NXDOMAIN: " + host + " does not exist", hintDNSNotFound(host), err
	case err != nil && s.ctx.Err() != nil:
		return nil, "", "", err
	case err != nil:
		return nil, "resolver failure: " + err.Error(), hintDNSFailure(), err
	case len(ipaddrs) == 0:
		return nil, "no A/AAAA record for " + host, hintDNSNotFound(host), &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	// IPv4 first: most smart-host paths are IPv4, and an IPv6 address
	// without IPv6 connectivity would only cost time.
	var v4, v6 []net.IP
	for _, a := range ipaddrs {
		if a.IP.To4() != nil {
			v4 = append(v4, a.IP)
		} else {
			v6 = append(v6, a.IP)
		}
	}
	ips := append(v4, v6...)
	for _, ip := range ips {
		s.res.Addresses = append(s.res.Addresses, ip.String())
	}
	return ips, host + " → " + strings.Join(s.res.Addresses, ", "), "", nil
}

// --- connect ---------------------------------------------------------------

func (s *session) connect(ips []net.IP) (string, string, error) {
	dial := s.o.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	port := strconv.Itoa(s.o.Port)
	var failures []string
	var firstErr error
	for i, ip := range ips {
		addr := net.JoinHostPort(ip.String(), port)
		// Share what is left of the budget among the remaining addresses
		// (as net.Dialer does), so one filtered address cannot eat it all.
		actx, cancel := s.ctx, context.CancelFunc(func() {})
		if dl, ok := s.ctx.Deadline(); ok && i < len(ips)-1 {
			left := time.Until(dl) / time.Duration(len(ips)-i)
			actx, cancel = context.WithTimeout(s.ctx, max(left, 2*time.Second))
		}
		conn, err := dial(actx, "tcp", addr)
		cancel()
		if err == nil {
			s.mu.Lock()
			s.raw = conn
			s.mu.Unlock()
			_ = conn.SetDeadline(s.cap.clamp(time.Time{}))
			tuneAcks(conn)
			s.res.RemoteAddr = conn.RemoteAddr().String()
			s.res.LocalAddr = conn.LocalAddr().String()
			s.tap.note("connected to %s from %s", s.res.RemoteAddr, s.res.LocalAddr)
			return s.res.RemoteAddr + " from " + s.res.LocalAddr, "", nil
		}
		if s.ctx.Err() == context.Canceled {
			return "", "", s.ctx.Err()
		}
		if firstErr == nil {
			firstErr = err
		}
		failures = append(failures, addr+" "+describeConnFailure(classifyConnectError(err), s.budget))
	}
	detail := strings.Join(failures, "; ")
	switch classifyConnectError(firstErr) {
	case connRefused:
		return detail, hintConnectRefused(s.o.Port), firstErr
	case connTimeout:
		return detail, hintConnectTimeout(s.o.Port), firstErr
	case connUnreachable:
		return detail, hintConnectUnreachable(), firstErr
	}
	return detail + ": " + firstErr.Error(), hintConnectUnreachable(), firstErr
}

func describeConnFailure(f connFailure, budget string) string {
	switch f {
	case connRefused:
		return "refused (nothing listening)"
	case connTimeout:
		return "timed out (filtered, no answer within " + budget + ")"
	case connUnreachable:
		return "unreachable (no route)"
	}
	return "failed"
}

// --- banner ----------------------------------------------------------------

func (s *session) banner() (string, string, error) {
	s.plain = &wireConn{Conn: s.raw, cap: &s.cap, tap: s.tap}
	s.reader = bufio.NewReader(s.plain)
	s.text = textproto.NewReader(s.reader)
	code, msg, err := s.readReply(220)
	if err != nil {
		var se *smtp.SMTPError
		switch {
		case errors.As(err, &se):
			return "server refused service: " + replyText(se), replyHint(err, hintBannerClosed()), err
		case isTimeout(err):
			return "connected, but no greeting within the " + s.budget + " timeout", hintBannerTimeout(s.o.Port), err
		default:
			return "connection closed before the greeting (" + err.Error() + ")", hintBannerClosed(), err
		}
	}
	first, _, _ := strings.Cut(msg, "\n")
	s.res.Banner = first
	detail := fmt.Sprintf("%d %s", code, first)
	if isMaskedBanner(first) {
		s.res.BannerMasked = true
		return detail + " (masked by a firewall)", hintBannerMasked(), nil
	}
	return detail, "", nil
}

// readReply reads one (multi-line) reply from the plaintext stream and
// turns an unexpected code into an *smtp.SMTPError, as go-smtp would.
func (s *session) readReply(expect int) (int, string, error) {
	code, msg, err := s.text.ReadResponse(expect)
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return code, msg, toSMTPError(pe)
	}
	return code, msg, err
}

func (s *session) writeCmd(format string, args ...any) error {
	_, err := fmt.Fprintf(s.plain, format+"\r\n", args...)
	return err
}

// toSMTPError mirrors go-smtp's (unexported) conversion, so errors from
// the plaintext part look like errors from the go-smtp part.
func toSMTPError(pe *textproto.Error) *smtp.SMTPError {
	se := &smtp.SMTPError{Code: pe.Code, Message: pe.Msg}
	first, rest, ok := strings.Cut(pe.Msg, " ")
	if !ok {
		return se
	}
	parts := strings.Split(first, ".")
	if len(parts) != 3 {
		return se
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return se
		}
		ec[i] = n
	}
	se.EnhancedCode = ec
	se.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return se
}

// --- ehlo ------------------------------------------------------------------

func (s *session) sayEHLO() (string, string, error) {
	s.ehloName = s.o.EHLOName
	if s.ehloName == "" {
		s.ehloName = defaultEHLOName(s.raw.LocalAddr())
	}
	if err := s.writeCmd("EHLO %s", s.ehloName); err != nil {
		return "", "", err
	}
	_, msg, err := s.readReply(250)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return "EHLO " + s.ehloName + " rejected: " + replyText(se), replyHint(err, hintEHLORejected(s.ehloName)), err
		}
		return "no reply to EHLO (" + err.Error() + ")", hintEHLONoReply(), err
	}
	s.ehlo = parseEHLO(msg)
	s.res.Extensions = s.ehlo.keywords
	s.res.SizeLimit = sizeLimit(s.ehlo.ext)
	_, s.res.StartTLS = s.ehlo.ext["STARTTLS"]
	detail := "as " + s.ehloName + ": " + describeEHLO(s.ehlo)
	if s.ehlo.masked {
		return detail + " (extensions masked by a firewall)", hintBannerMasked(), nil
	}
	return detail, "", nil
}

// defaultEHLOName is the local host name when it is fully qualified, else
// the address literal of our egress address: both are valid EHLO
// arguments (RFC 5321 4.1.4), a bare NetBIOS-style name is not.
func defaultEHLOName(local net.Addr) string {
	if h := localFQDN(); strings.Contains(strings.Trim(h, "."), ".") && validHostname(h) {
		return strings.TrimSuffix(h, ".")
	}
	if ta, ok := local.(*net.TCPAddr); ok {
		if ta.IP.To4() != nil {
			return "[" + ta.IP.String() + "]"
		}
		return "[IPv6:" + ta.IP.String() + "]"
	}
	return "localhost"
}

// --- starttls --------------------------------------------------------------

func (s *session) startTLS() (string, string, error) {
	if !s.res.StartTLS {
		masked := s.res.BannerMasked || s.ehlo.masked
		if s.dialect == DialectExchangeServer && s.o.User != "" {
			// BasicAuthRequireTLS: Exchange fails at the login, not here.
			s.noTLS = true
			return "STARTTLS not offered (Exchange will refuse to log in: see auth)", hintNoSTARTTLS(masked), nil
		}
		return "STARTTLS not offered", hintNoSTARTTLS(masked), errors.New("server does not offer STARTTLS")
	}
	if err := s.writeCmd("STARTTLS"); err != nil {
		return "", "", err
	}
	code, msg, err := s.readReply(220)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return "STARTTLS refused: " + replyText(se), replyHint(err, hintNoSTARTTLS(false)), err
		}
		return "no reply to STARTTLS (" + err.Error() + ")", hintTLSHandshake(), err
	}
	s.tlsAgreed = true
	// Anything already buffered was sent before the handshake: accepting
	// it would let a man in the middle inject replies (CVE-2011-0411).
	if s.reader.Buffered() > 0 {
		return "data after the STARTTLS reply", hintSTARTTLSInjection(), errors.New("server sent data before the TLS handshake")
	}
	first, _, _ := strings.Cut(msg, "\n")
	return fmt.Sprintf("%d %s", code, first), "", nil
}

// --- tls -------------------------------------------------------------------

func (s *session) serverName() string {
	if s.o.TLSServerName != "" {
		return s.o.TLSServerName
	}
	return strings.Trim(s.o.Host, "[]")
}

func (s *session) handshake() (string, string, error) {
	roots := s.o.RootCAs
	if roots == nil && s.o.CAFile != "" {
		var err error
		if roots, err = LoadRoots(s.o.CAFile); err != nil {
			return "cannot load --ca-file", "Check the path and that the file holds PEM certificates.", err
		}
	}
	name := s.serverName()
	var (
		info       *TLSInfo
		verifyHint string
		versionErr error
	)
	// The SNI: Go omits it for IP literals; the Exchange Server dialect
	// sends none at all, as Exchange does (see sni.go).
	sni := name
	if s.dialect == DialectExchangeServer {
		sni = ""
	}
	cfg := &tls.Config{
		ServerName: sni,
		// Accept old versions in the handshake only to name them in the
		// result; VerifyConnection aborts below TLS 1.2 before any
		// application data is sent.
		MinVersion: tls.VersionTLS10,
		// We verify ourselves in VerifyConnection, to keep the chain
		// details and tell "untrusted" from "wrong name".
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			now := time.Now()
			info = describeTLS(cs, now)
			info.ServerName = name
			info.SNI = sni != "" && net.ParseIP(sni) == nil
			if cs.Version < tls.VersionTLS12 {
				versionErr = fmt.Errorf("server negotiated %s; TLS 1.2 or newer is required", info.Version)
				return versionErr
			}
			verifyHint = judgePeer(info, cs.PeerCertificates, roots, name, now)
			if !info.Verified {
				if !s.o.InsecureSkipVerify {
					return errors.New(info.VerifyError)
				}
			}
			return nil
		},
	}
	s.tlsConn = tls.Client(s.raw, cfg)
	err := s.tlsConn.HandshakeContext(s.ctx)
	s.res.TLS = info
	sniOnly := false
	if info != nil && !info.Verified && versionErr == nil && sni == "" && net.ParseIP(name) == nil && s.res.RemoteAddr != "" {
		// Would the name as SNI have given a certificate that verifies?
		if with, e := s.certWithSNI(name, roots); e == nil {
			info.WithSNI = with
			sniOnly = with.Verified
		} else {
			s.tap.note("second handshake with SNI %s failed: %v", name, e)
		}
	}
	if info != nil && !info.Verified && versionErr == nil && s.o.User != "" && s.dialect == DialectExchangeServer {
		s.predicted = ExchangeCertValidation
	}
	switch {
	case versionErr != nil:
		return info.Version + " " + info.Cipher, hintTLSVersion(info.Version), versionErr
	case sniOnly && !s.o.InsecureSkipVerify:
		return info.Version + ", " + sniDetail(info, info.WithSNI, name), hintSNI(name),
			fmt.Errorf("certificate verification failed without SNI: %s", info.VerifyError)
	case info != nil && !info.Verified && !s.o.InsecureSkipVerify:
		return info.Version + ", certificate not trusted: " + info.VerifyError, verifyHint, fmt.Errorf("certificate verification failed: %s", info.VerifyError)
	case err != nil:
		return "handshake failed: " + err.Error(), hintTLSHandshake(), err
	}
	s.tlsState = s.tlsConn.ConnectionState()
	s.tap.note("TLS started: %s %s, certificate %s, issuer %s, %s", info.Version, info.Cipher, info.Subject, info.Issuer, verifiedWord(info))
	expires, _, _ := strings.Cut(info.NotAfter, "T")
	detail := fmt.Sprintf("%s %s; certificate %s (SANs %s) from %s, expires %s (%d days), %s",
		info.Version, info.Cipher, info.Subject, strings.Join(info.SANs, ", "), info.Issuer, expires, info.DaysLeft, verifiedWord(info))
	// Loopback is exempt: no Exchange connector's smart host is this
	// machine's loopback; there it is relaywiz's lab or a test peer.
	if ip := net.ParseIP(strings.Trim(s.o.Host, "[]")); ip != nil && !ip.IsLoopback() && s.o.TLSServerName == "" &&
		s.dialect == DialectExchangeServer && s.o.User != "" {
		// What relaywiz verified is not what Exchange will: it compares
		// the certificate with "[a.b.c.d]", which nothing can match.
		s.predicted = ExchangeCertValidation
		return detail + "; but Exchange checks the certificate against the smart host [" + ip.String() + "], which no certificate can name",
			hintIPSmartHost(ip.String()), errors.New("an IP-address smart host never matches a certificate for Exchange (BasicAuthRequireTLS)")
	}
	switch {
	case !info.Verified && sniOnly:
		return detail, hintSNI(name) + " " + hintTLSSkipped(), nil
	case !info.Verified:
		return detail, hintTLSSkipped(), nil
	case info.DaysLeft < 30:
		return detail, hintTLSExpiresSoon(info.DaysLeft), nil
	}
	return detail, "", nil
}

func verifiedWord(info *TLSInfo) string {
	if info.Verified {
		return "verified for " + info.ServerName
	}
	return "NOT verified (" + info.VerifyError + ")"
}

// --- ehlo_tls --------------------------------------------------------------

// syntheticGreeting is what go-smtp's Client reads as the "greeting" of the
// TLS session (see wireConn). It never touches the network.
const syntheticGreeting = "220 relaywiz: session continues after STARTTLS\r\n"

func (s *session) sayEHLOAgain() (string, string, error) {
	s.secure = &wireConn{Conn: s.tlsConn, cap: &s.cap, tap: s.tap, tls: true, greeting: []byte(syntheticGreeting)}
	// The server's post-handshake tickets arrive now: ACK them at once
	// (see ackpolicy.go). Dial switches this off before handing over.
	s.secure.afterWrite = ackAtOnce(s.raw)
	rec := &replyRecorder{}
	s.secure.record = rec
	s.client = smtp.NewClient(s.secure)
	err := s.client.Hello(s.ehloName)
	s.secure.record = nil
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return "EHLO after TLS rejected: " + replyText(se), replyHint(err, hintEHLOTLS()), err
		}
		return "no reply to EHLO after TLS (" + err.Error() + ")", hintEHLOTLS(), err
	}
	info := parseEHLO(rec.message())
	s.ehloTLS = info
	s.res.ExtensionsTLS = info.keywords
	s.res.AuthMechanisms = authMechanisms(info.ext)
	s.res.AuthLoginLine = info.authLogin
	if n := sizeLimit(info.ext); n > 0 {
		s.res.SizeLimit = n
	}
	return describeEHLO(info), "", nil
}

// --- auth ------------------------------------------------------------------

// ErrUnverifiedServer is the auth stage's error when credentials were given
// but the server's certificate was not verified (InsecureSkipVerify): they
// are never sent to a server whose identity is unproven.
var ErrUnverifiedServer = errors.New("credentials not sent: the server's certificate was not verified")

func (s *session) auth() (string, string, error) {
	if s.noTLS {
		// Exchange Server with BasicAuthRequireTLS never logs in without
		// TLS: this is where its attempt ends.
		s.res.Auth, s.predicted = AuthUnavailable, ExchangeRequireSTARTTLS
		return "Exchange will not log in: the server offers no STARTTLS, and the connector authenticates only after TLS (BasicAuthRequireTLS)",
			hintNoSTARTTLS(s.res.BannerMasked || s.ehlo.masked), errors.New("no STARTTLS: Exchange refuses basic authentication without it")
	}
	if s.o.Password == nil {
		// A login that was asked for and could not run is not a pass.
		s.notRun = true
		s.res.Auth = AuthSkipped
		if s.dialect == DialectExchangeServer {
			s.predicted = ExchangeNoCredentials
		}
		return "not run: no password for " + s.o.User + " (not stored, or the keyring is unavailable)",
			"Store the password with 'relaywiz creds set', or pass it with --password-stdin; a connector without its password fails the same way.",
			errors.New("AUTH was asked for but no password was available")
	}
	// Belt and braces: the stage order already guarantees TLS, but a
	// credential must never leave in plaintext whatever changes later.
	if s.tlsConn == nil || s.client == nil {
		s.res.Auth = AuthSkipped
		return "not attempted without TLS", "", errors.New("refusing to send credentials without TLS")
	}
	// With InsecureSkipVerify the peer is whoever presented a certificate:
	// a man in the middle would get the password in the clear. Skipping
	// verification is for looking at a server, never for logging in to it.
	if s.res.TLS == nil || !s.res.TLS.Verified {
		s.res.Auth = AuthSkipped
		return "not attempted: the certificate was not verified", hintAuthUnverified(), ErrUnverifiedServer
	}
	if s.dialect == DialectExchangeServer {
		return s.authLikeExchange()
	}
	mech := chooseMechanism(s.res.AuthMechanisms)
	if mech == "" {
		s.res.Auth = AuthUnavailable
		offered := "no AUTH offered"
		if len(s.res.AuthMechanisms) > 0 {
			offered = "AUTH " + strings.Join(s.res.AuthMechanisms, " ") + " offered, neither LOGIN nor PLAIN"
		}
		return offered, hintAuthNotOffered(s.res.AuthMechanisms), errors.New("no usable AUTH mechanism: " + offered)
	}
	err := s.client.Auth(saslClient(mech, s.o.User, s.o.Password))
	if err != nil {
		status, detail, hint := classifyAuthError(err)
		s.res.Auth = status
		s.credsRejected = isCredentialRejection(err)
		return mech + " as " + s.o.User + ": " + detail, hint, err
	}
	s.res.Auth = AuthOK
	s.res.AuthMechanism = mech
	return "accepted (" + mech + " as " + s.o.User + ")", "", nil
}

// validHostname reports whether h is a syntactically valid DNS host name.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
