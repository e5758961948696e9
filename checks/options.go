package checks

import (
	"context"
	"crypto/x509"
	"net"
	"time"
)

// Resolver is the part of *net.Resolver a session needs. Tests inject a
// fake so that no public name is ever looked up; nil means
// net.DefaultResolver.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// DialContextFunc opens the TCP connection (net.Dialer.DialContext has this
// shape). Tests and the benchmark inject a delay proxy here; nil means a
// plain net.Dialer.
type DialContextFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DefaultDialTimeout bounds Dial when DialOptions.Timeout is zero and the
// context has no deadline: an SMTP client must never wait forever.
const DefaultDialTimeout = 30 * time.Second

// DialOptions configure one session to one port of the smart host.
type DialOptions struct {
	Host string // DNS name or IP literal of the smart host
	Port int    // 25, 587, ...

	// Dialect is the client relaywiz speaks as (zero: DefaultDialect,
	// Exchange Server's send connector).
	Dialect Dialect

	// EHLOName is the name we introduce ourselves with. Empty: the local
	// host name when it is fully qualified, else the address literal of the
	// local (egress) address, e.g. "[192.0.2.10]" (RFC 5321 4.1.4).
	EHLOName string

	// TLSServerName is the name the certificate must carry and the SNI we
	// send. Empty: Host. Set it when connecting by IP address or through
	// an alias the certificate does not name.
	TLSServerName string
	// RootCAs, when set, is the complete trust store. Otherwise the
	// system roots are used, plus the PEM certificates in CAFile.
	RootCAs *x509.CertPool
	CAFile  string
	// InsecureSkipVerify continues past an untrusted or mismatched
	// certificate. The result still reports verified=false and why, and
	// credentials are then never sent: the auth stage fails with
	// ErrUnverifiedServer instead.
	InsecureSkipVerify bool

	// User and Password: AUTH is attempted only when both are set, and only
	// after TLS is up with a verified certificate. LOGIN is used when offered (that is what Exchange's
	// send connector sends), otherwise PLAIN.
	User     string
	Password []byte

	// Timeout bounds the whole session up to "ready for MAIL FROM" (every
	// stage from dns to auth). Zero: the context's deadline, or
	// DefaultDialTimeout when it has none.
	Timeout time.Duration
	// CommandTimeout and SubmissionTimeout apply to the returned client
	// after Dial (zero keeps go-smtp's RFC 5321 defaults, 5 and 12 min).
	CommandTimeout    time.Duration
	SubmissionTimeout time.Duration

	Resolver    Resolver
	DialContext DialContextFunc

	// Transcript, when set, receives every line sent and received with
	// AUTH payloads redacted and message content summarised. It is called
	// from the goroutine doing the I/O.
	Transcript func(TranscriptLine)
	// Progress, when set, receives a StageStarted and a StageFinished event
	// for every stage.
	Progress func(Event)

	gate *authGate // Run: one login per run across the ports
}

// Options configure Run: one session per port, all ports side by side.
type Options struct {
	Host  string
	Ports []int // default 25 and 587; DialectExchangeOnline probes 25 only

	// Dialect is the client relaywiz speaks as (zero: DefaultDialect).
	Dialect Dialect
	// AuthPort is the connector's port: with credentials it logs in first,
	// and the other ports only learn its outcome (one login per run, so a
	// wrong password never counts twice against a lockout policy). Zero:
	// the first port ready to log in leads.
	AuthPort int

	EHLOName           string
	TLSServerName      string
	RootCAs            *x509.CertPool
	CAFile             string
	InsecureSkipVerify bool // never together with AUTH: see DialOptions

	// User enables the auth stage. Password nil with a User set records
	// auth "skipped" (the caller found no password to use).
	User     string
	Password []byte

	// Timeout bounds each port's whole probe (default 10s). A port that
	// accepts TCP and never greets costs exactly this long.
	Timeout time.Duration

	Resolver    Resolver
	DialContext DialContextFunc

	// Transcript and Progress are called from several goroutines (one per
	// port) but never concurrently: Run serialises them.
	Transcript func(TranscriptLine)
	Progress   func(Event)
}

// DefaultPorts are the smart-host ports an Exchange connector can use:
// 25 (often blocked outbound) and 587 (submission).
var DefaultPorts = []int{25, 587}

// DefaultCheckTimeout is Run's per-port budget when Options.Timeout is zero.
const DefaultCheckTimeout = 10 * time.Second
