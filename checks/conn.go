package checks

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/emersion/go-smtp"
)

// Conn is an SMTP session to the smart host that has passed every stage:
// TLS is up and verified (unless InsecureSkipVerify), and AUTH succeeded
// when credentials were given. Client is ready for Mail().
type Conn struct {
	// Client is go-smtp's client on the TLS connection. Use it for Mail,
	// Rcpt, Reset, Noop; for the message content prefer Conn.Body (the
	// same DATA for far less CPU). Note: Client.TLSConnectionState reports
	// "not TLS" because the client runs on a wrapper; use Conn.TLS.
	Client *smtp.Client
	// TLS is the negotiated TLS session.
	TLS tls.ConnectionState
	// Result holds the stages run, their timings and what was learned
	// (extensions after TLS, SIZE limit, auth mechanism used ...).
	Result PortResult

	s *session
}

// Dial opens a session to o.Host:o.Port and walks dns → connect → banner →
// ehlo → starttls → tls → ehlo_tls → auth (when User and Password are
// set). Credentials are never sent before TLS, nor to a server whose
// certificate was not verified (InsecureSkipVerify with credentials fails
// the auth stage with ErrUnverifiedServer); TLS below 1.2 and an
// unverifiable certificate (unless InsecureSkipVerify) fail the tls stage.
//
// ctx and o.Timeout bound the dial only; afterwards the connection lives
// until Quit or Close, with the client's per-command timeouts. Every
// error is a *StageError carrying the stage, the cause (an
// *smtp.SMTPError when the server replied) and a hint.
func Dial(ctx context.Context, o DialOptions) (*Conn, error) {
	s := newSession(o)
	if err := s.walk(ctx); err != nil {
		return nil, err
	}
	// The dial budget no longer applies: the session now belongs to the
	// caller, and go-smtp's per-command deadlines take over.
	s.cap.set(time.Time{})
	s.secure.afterWrite = nil
	_ = s.raw.SetDeadline(time.Time{})
	if o.CommandTimeout > 0 {
		s.client.CommandTimeout = o.CommandTimeout
	}
	if o.SubmissionTimeout > 0 {
		s.client.SubmissionTimeout = o.SubmissionTimeout
	}
	s.res.OK = true
	return &Conn{Client: s.client, TLS: s.tlsState, Result: s.res, s: s}, nil
}

// Extension reports whether the server advertised ext after TLS, and its
// parameters.
func (c *Conn) Extension(ext string) (bool, string) { return c.Client.Extension(ext) }

// MaxMessageSize returns the SIZE limit advertised after TLS (0: none).
func (c *Conn) MaxMessageSize() int64 { return c.Result.SizeLimit }

// Quit ends the session politely (QUIT, wait for 221) and closes it.
func (c *Conn) Quit() error {
	err := c.Client.Quit()
	if err != nil {
		_ = c.Client.Close()
	}
	return err
}

// Close drops the connection without QUIT (for aborting, e.g. after a
// failed DATA copy, so that no truncated message is ever committed).
func (c *Conn) Close() error { return c.Client.Close() }
