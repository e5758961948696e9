package relay

import (
	"context"
	"crypto/x509"
	"net"
	"strconv"
	"time"

	"relaywiz/checks"
)

// UpstreamConfig says how to reach and log in to the smart host.
type UpstreamConfig struct {
	Host string
	Port int
	// TLSServerName overrides the name the certificate must carry (needed
	// when Host is an IP address).
	TLSServerName string
	// CAFile adds PEM roots to the system roots (e.g. the lab's CA);
	// RootCAs, when set, replaces the trust store entirely.
	CAFile  string
	RootCAs *x509.CertPool
	// User and Password enable AUTH (LOGIN when offered, else PLAIN), only
	// ever after TLS. Without User no AUTH is attempted (IP-authorised
	// smart hosts such as some gateways).
	User     string
	Password []byte
	EHLOName string
	// Dialect is the client the relay speaks as upstream (zero: Exchange
	// Server's send connector: bare AUTH LOGIN, no SNI, BDAT when CHUNKING
	// is offered).
	Dialect checks.Dialect
	// Timeout bounds each dial (TLS + AUTH); zero: the relay's
	// UpstreamTimeout applies through the context.
	Timeout time.Duration

	// Resolver and DialContext are for tests (no real DNS, delay proxies).
	Resolver    checks.Resolver
	DialContext checks.DialContextFunc
}

// Name is "host:port", as shown in replies and logs.
func (c UpstreamConfig) Name() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// NewUpstreamDialer returns the production dialer: checks.Dial, the same
// session code `relaywiz check` runs, so the relay does exactly what the
// check proved (STARTTLS required, certificate verified, AUTH after TLS).
func NewUpstreamDialer(c UpstreamConfig) UpstreamDialer {
	return func(ctx context.Context, h DialHooks) (*checks.Conn, error) {
		o := checks.DialOptions{
			Host:          c.Host,
			Port:          c.Port,
			Dialect:       c.Dialect,
			EHLOName:      c.EHLOName,
			TLSServerName: c.TLSServerName,
			RootCAs:       c.RootCAs,
			CAFile:        c.CAFile,
			User:          c.User,
			Password:      c.Password,
			Timeout:       c.Timeout,
			Resolver:      c.Resolver,
			DialContext:   c.DialContext,
			Progress:      h.Progress,
		}
		if h.Transcript != nil {
			o.Transcript = func(l checks.TranscriptLine) { h.Transcript(l.String()) }
		}
		return checks.Dial(ctx, o)
	}
}
