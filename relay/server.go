package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// Relay defaults.
const (
	DefaultListen          = "127.0.0.1:2525"
	DefaultMaxSessions     = 20
	DefaultMaxRecipients   = 100
	DefaultReadTimeout     = 5 * time.Minute // per command line, per idle stretch, per read of content (deadlines.go)
	DefaultWriteTimeout    = 2 * time.Minute
	DefaultUpstreamTimeout = 20 * time.Second // below the 30 s most clients wait for a reply to MAIL
	DefaultUpstreamIdle    = 30 * time.Second // well under the 5 min RFC 5321 server timeout
	DefaultUpstreamPool    = 2
	// DefaultUpstreamCommandTimeout bounds each upstream command after the
	// dial (MAIL, RCPT, DATA, a block of the content): the client waits 5
	// minutes for its reply to MAIL and RCPT (RFC 5321 4.5.3.2).
	DefaultUpstreamCommandTimeout = 2 * time.Minute
	// DefaultUpstreamDataTimeout bounds the wait for the smart host's reply
	// to the end of the message. The client waits 10 minutes for it; ours
	// (451, fate unknown) must reach it well before.
	DefaultUpstreamDataTimeout = 5 * time.Minute
)

// Options configure the relay.
type Options struct {
	// Listen is HOST:PORT; loopback only unless AllowRemote. "…:0" picks a
	// free port (see Server.Addr).
	Listen      string
	AllowRemote bool
	// ClientUser/ClientPassword: the credentials clients must AUTH with.
	// Required with AllowRemote (then every client must authenticate, over
	// TLS); ignored otherwise.
	ClientUser     string
	ClientPassword string
	// ClientTLS is offered with STARTTLS in remote mode. Nil: a throwaway
	// certificate is generated (see Server.TLSFingerprint).
	ClientTLS *tls.Config

	// Upstream opens the smart host connection; UpstreamName ("host:port")
	// names it in replies and logs.
	Upstream     UpstreamDialer
	UpstreamName string
	// UpstreamTimeout bounds opening the upstream connection (TLS + AUTH).
	UpstreamTimeout time.Duration
	// UpstreamIdle is how long an authenticated upstream connection is
	// kept for the next client session (default 30 s; negative: never).
	UpstreamIdle time.Duration
	// UpstreamPool is how many idle upstream connections are kept (default 2).
	UpstreamPool int
	// UpstreamCommandTimeout and UpstreamDataTimeout bound the upstream
	// steps after the dial (defaults DefaultUpstreamCommandTimeout and
	// DefaultUpstreamDataTimeout).
	UpstreamCommandTimeout time.Duration
	UpstreamDataTimeout    time.Duration

	MaxMessageBytes int64         // default 50 MB; advertised as SIZE
	MaxSessions     int           // concurrent client connections; default 20
	MaxRecipients   int           // per message; default 100
	ReadTimeout     time.Duration // see deadlines.go
	WriteTimeout    time.Duration
	// StressIdleTimeout is the idle deadline between transactions while
	// sessions are near MaxSessions (default 10 s, as Postfix).
	StressIdleTimeout time.Duration
	// AuthFailureDelay is the pause after the first failed client AUTH in
	// remote mode; each further failure waits one more such step. After
	// MaxAuthFailures the connection is closed. Defaults 1 s and 3.
	AuthFailureDelay time.Duration
	MaxAuthFailures  int
	Hostname         string // our name in the greeting

	// Log gets one line per client connection (text, or JSON with JSONLog).
	Log     io.Writer
	JSONLog bool
	// Transcript, if set, gets both legs of every session, AUTH redacted
	// and message bodies summarised (--verbose).
	Transcript io.Writer
	// OnSession is called once per client connection after it closed, on
	// that connection's goroutine: it must not block or call Close.
	OnSession func(SessionRecord)
	// OnMessage is called once per message that got its final reply:
	// accepted or refused by the smart host, or refused by the relay
	// (e.g. the upstream connection failed at MAIL FROM, 552 over the size
	// limit). A transaction the client abandoned (RSET, QUIT, hang-up) has
	// no final reply and is not reported here, only in the session record.
	// It runs on a session goroutine just before the client is sent the
	// reply: it must not block or call Close (see Drain).
	OnMessage func(MessageRecord)
	// OnUpstreamProgress gets the upstream dial's stage events.
	OnUpstreamProgress func(checks.Event)
}

// RemoteListenHint is the relay's advice for a non-loopback listen address.
const RemoteListenHint = "the relay listens on loopback only so it never becomes an open relay: use 127.0.0.1, or add --allow-remote (clients must then STARTTLS and authenticate)"

// Server is a running relay.
type Server struct {
	opts        Options
	smtp        *smtp.Server
	listener    net.Listener
	ctx         context.Context
	cancel      context.CancelFunc
	nextID      atomic.Int64
	logMu       sync.Mutex
	transcript  *lineSink
	requireAuth bool
	pool        *upstreamPool
	fingerprint string
	done        chan struct{}
	serveErr    error
	closeOnce   sync.Once
	draining    atomic.Bool
	capl        *capListener
	live        liveConns
}

// Start validates the options, listens and serves in the background.
// Cancelling ctx stops the relay like Close.
func Start(ctx context.Context, o Options) (*Server, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Upstream == nil {
		return nil, errors.New("relay: no upstream configured (--smart-host HOST --port N)")
	}
	if o.UpstreamName == "" {
		o.UpstreamName = "smart host"
	}
	if err := CheckListenAddr(o.Listen, o.AllowRemote); err != nil {
		if errors.Is(err, ErrNotLoopback) {
			return nil, fmt.Errorf("relay: %w; %s", err, RemoteListenHint)
		}
		return nil, fmt.Errorf("relay: %w", err)
	}
	if o.AllowRemote && (o.ClientUser == "" || o.ClientPassword == "") {
		return nil, errors.New("relay: --allow-remote needs client credentials (--client-user and a client password) so the relay is never open to the network")
	}
	// Zero or negative: the documented default.
	defaultIfUnset(&o.MaxMessageBytes, DefaultMaxMessageBytes)
	defaultIfUnset(&o.MaxSessions, DefaultMaxSessions)
	defaultIfUnset(&o.MaxRecipients, DefaultMaxRecipients)
	defaultIfUnset(&o.ReadTimeout, DefaultReadTimeout)
	defaultIfUnset(&o.WriteTimeout, DefaultWriteTimeout)
	defaultIfUnset(&o.UpstreamTimeout, DefaultUpstreamTimeout)
	defaultIfUnset(&o.StressIdleTimeout, DefaultStressIdleTimeout)
	defaultIfUnset(&o.AuthFailureDelay, DefaultAuthFailureDelay)
	defaultIfUnset(&o.MaxAuthFailures, DefaultMaxAuthFailures)
	defaultIfUnset(&o.UpstreamCommandTimeout, DefaultUpstreamCommandTimeout)
	defaultIfUnset(&o.UpstreamDataTimeout, DefaultUpstreamDataTimeout)
	if o.Hostname == "" {
		o.Hostname = "relaywiz.localhost"
	}
	if o.UpstreamIdle == 0 {
		o.UpstreamIdle = DefaultUpstreamIdle
	}
	if o.UpstreamPool == 0 {
		o.UpstreamPool = DefaultUpstreamPool
	}
	poolSize := o.UpstreamPool
	if o.UpstreamIdle < 0 {
		poolSize = 0
	}

	s := &Server{opts: o, requireAuth: o.AllowRemote, done: make(chan struct{}), pool: newUpstreamPool(poolSize, o.UpstreamIdle)}
	if o.Transcript != nil {
		s.transcript = &lineSink{w: o.Transcript}
	}
	srv := smtp.NewServer(s)
	srv.Domain = o.Hostname
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = o.MaxRecipients
	// RFC 5321 4.5.3.1.6: 998 characters and CRLF a line, commands and
	// message content alike (go-smtp's default allows 2000).
	srv.MaxLineLength = maxClientLine
	srv.ReadTimeout = o.ReadTimeout
	srv.WriteTimeout = o.WriteTimeout
	srv.ErrorLog = discardLogger{}
	if o.AllowRemote {
		cfg := o.ClientTLS
		if cfg == nil {
			host, _, _ := net.SplitHostPort(o.Listen)
			pki, err := newThrowawayPKI(o.Hostname, host)
			if err != nil {
				return nil, fmt.Errorf("relay: client-side TLS certificate: %w", err)
			}
			cfg = pki.serverTLSConfig()
			s.fingerprint = pki.Fingerprint
		}
		srv.TLSConfig = cfg
	}
	s.smtp = srv

	l, err := listenLocal(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	s.listener = l
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.capl = newCapListener(l, o.MaxSessions, !o.AllowRemote)
	tl := &trackingListener{Listener: s.capl, srv: s}
	go func() {
		s.serveErr = srv.Serve(tl)
		close(s.done)
	}()
	go func() {
		select {
		case <-s.ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// Addr is the address the relay listens on (with the real port).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// TLSFingerprint is the SHA-256 of the generated client-side certificate
// in remote mode ("" otherwise).
func (s *Server) TLSFingerprint() string { return s.fingerprint }

// Close stops listening, ends open sessions (aborting unfinished upstream
// transfers without committing them) and waits for the server to stop.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		err = s.smtp.Close()
		s.cancel()
	})
	<-s.done
	// After the sessions: Logout may still have parked a connection.
	s.pool.close()
	return err
}

// Drain makes the relay take no new messages: from now on MAIL FROM is
// answered 421, while transactions already under way finish and clients
// can still read their replies and QUIT. It is how `relay --once` stops
// without cutting off the reply to the one message it relayed.
func (s *Server) Drain() { s.draining.Store(true) }

// Wait blocks until the relay stops.
func (s *Server) Wait() error {
	<-s.done
	return s.serveErr
}

// NewSession implements smtp.Backend. go-smtp calls it at EHLO/HELO, and
// again after STARTTLS; the per-connection state (log line, transcript)
// lives in the trackedConn underneath so a TLS upgrade does not split it.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	tc := trackedOf(c.Conn())
	_, isTLS := c.TLSConnectionState()
	sess := &session{srv: s, conn: tc, tls: isTLS}
	if tc != nil {
		tc.setHello(c.Hostname(), isTLS)
		sess.upTranscript = tc.upstreamTranscript()
	}
	sess.ctx, sess.cancel = context.WithCancel(s.ctx)
	return sess, nil
}

// emit writes the session line and hands the record to OnSession.
func (s *Server) emit(r SessionRecord) {
	if s.opts.Log != nil {
		line := r.textLine()
		if s.opts.JSONLog {
			line = r.jsonLine()
		}
		s.logMu.Lock()
		fmt.Fprintln(s.opts.Log, line)
		s.logMu.Unlock()
	}
	if s.opts.OnSession != nil {
		s.opts.OnSession(r)
	}
}

// defaultIfUnset replaces a zero or negative limit with its default.
func defaultIfUnset[T ~int | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
