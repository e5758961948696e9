package checks

import (
	"fmt"
	"strings"
)

// Dialect is the SMTP client relaywiz impersonates. A green check is a
// promise about what the Exchange connector will do, so by default every
// probe, the relay's upstream and `send` speak exactly as Exchange Server's
// send connector does; the generic dialect is for smoke tests of any server.
type Dialect string

const (
	// DialectExchangeServer: an Exchange Server 2016/2019 send connector
	// with SmartHostAuthMechanism BasicAuthRequireTLS. Bare AUTH LOGIN
	// (two 334 prompts, no initial response, never PLAIN), only when the
	// EHLO reply has an "AUTH ... LOGIN" line; no SNI in the handshake;
	// the certificate must match the smart-host name; BDAT when CHUNKING is
	// offered.
	DialectExchangeServer Dialect = "exchange-server"
	// DialectExchangeOnline: an Exchange Online outbound connector. Port 25
	// only, STARTTLS, certificate validated, never AUTH (it has no
	// credentials to send).
	DialectExchangeOnline Dialect = "exchange-online"
	// DialectGeneric: relaywiz's efficient client (initial responses,
	// PLAIN when LOGIN is missing, SNI), for smoke tests of any server.
	DialectGeneric Dialect = "generic"
)

// DefaultDialect is what every command speaks unless told otherwise.
const DefaultDialect = DialectExchangeServer

// Dialects lists the dialects in the order help texts show them.
func Dialects() []Dialect {
	return []Dialect{DialectExchangeServer, DialectExchangeOnline, DialectGeneric}
}

// ParseDialect reads a --as value; "" is the default.
func ParseDialect(s string) (Dialect, error) {
	switch d := Dialect(strings.ToLower(strings.TrimSpace(s))); d {
	case "":
		return DefaultDialect, nil
	case DialectExchangeServer, DialectExchangeOnline, DialectGeneric:
		return d, nil
	}
	return "", fmt.Errorf("%q is not a dialect; use exchange-server, exchange-online or generic", s)
}

// orDefault maps the zero value to DefaultDialect, so a zero Options or
// DialOptions speaks like Exchange Server.
func (d Dialect) orDefault() Dialect {
	if d == "" {
		return DefaultDialect
	}
	return d
}

// Exchange reports whether the dialect is one of Exchange's.
func (d Dialect) Exchange() bool {
	d = d.orDefault()
	return d == DialectExchangeServer || d == DialectExchangeOnline
}

// Authenticates reports whether this client can log in at all: Exchange
// Online's outbound connector has no credentials to send.
func (d Dialect) Authenticates() bool { return d.orDefault() != DialectExchangeOnline }

// OnlinePort is the only port an Exchange Online outbound connector uses:
// New-OutboundConnector has no port parameter.
const OnlinePort = 25

// Describe is one line per dialect for help texts and the README.
func (d Dialect) Describe() string {
	switch d.orDefault() {
	case DialectExchangeServer:
		return "an Exchange Server send connector with BasicAuthRequireTLS: bare AUTH LOGIN answered by position (two 334 prompts, " +
			"never PLAIN, no initial response), only if EHLO after TLS has an \"AUTH ... LOGIN\" line; TLS without SNI; " +
			"certificate must match the smart-host name; EHLO again after STARTTLS; one BDAT <n> LAST when CHUNKING is offered"
	case DialectExchangeOnline:
		return "an Exchange Online outbound connector: port 25 only, STARTTLS, certificate validated, never AUTH " +
			"(the provider recognises the tenant by SPF); one BDAT <n> LAST when CHUNKING is offered"
	}
	return "relaywiz's efficient client for any server: AUTH with initial response, LOGIN else PLAIN, SNI, DATA"
}

// OnlineVantageNote says what a port-25 probe for the Exchange Online
// dialect can and cannot prove: it runs from wherever relaywiz runs, while
// Exchange Online connects from Microsoft's network.
const OnlineVantageNote = "This port-25 check runs from your network, not Microsoft's: a blocked port 25 here proves nothing " +
	"about Exchange Online's path to the smart host (many networks block outbound 25); a pass shows the server and its certificate as Exchange Online will see them."
