package checks

// The result types double as the JSON document of `relaywiz check --json`;
// fields tagged "-" are for Go callers (TUI, doctor) only, so the JSON
// keeps exactly the documented shape.

// StageResult is one timed stage of one port.
type StageResult struct {
	Name   Stage   `json:"name"`
	OK     bool    `json:"ok"`
	Ms     float64 `json:"ms"`
	Detail string  `json:"detail"`
	Hint   string  `json:"hint"`
	// ExchangeError is the text Exchange's queue will show for this
	// failure when the connector meets the same server (Exchange dialects
	// only; see exchange_errors.go).
	ExchangeError string `json:"exchange_error,omitempty"`
	// NotRun marks a stage that was asked for but could not run (AUTH
	// without a password): it is a failure, shown as "not run".
	NotRun bool `json:"not_run,omitempty"`
	// Warning marks a stage that passed but whose Hint warns (certificate
	// expiring soon, banner masked by a firewall, verification skipped).
	Warning bool  `json:"warning,omitempty"`
	Err     error `json:"-"`
}

// AuthStatus is the outcome of the auth stage.
type AuthStatus string

const (
	AuthOK          AuthStatus = "ok"          // credentials accepted (235)
	AuthFailed      AuthStatus = "failed"      // credentials rejected (535 & co.) or the exchange broke
	AuthSkipped     AuthStatus = "skipped"     // no user or no password given, an earlier stage failed, or the certificate was not verified
	AuthUnavailable AuthStatus = "unavailable" // no usable mechanism offered, or temporary failure (454)
)

// TLSInfo describes the negotiated TLS session and the peer's certificate.
type TLSInfo struct {
	Version     string   `json:"version"` // "TLS1.3"
	Cipher      string   `json:"cipher"`
	Verified    bool     `json:"verified"` // chain trusted AND name matches
	VerifyError string   `json:"verify_error"`
	Subject     string   `json:"subject"`
	SANs        []string `json:"sans"`
	Issuer      string   `json:"issuer"`
	NotAfter    string   `json:"not_after"` // RFC 3339
	DaysLeft    int      `json:"days_left"`
	// SNI: the handshake sent a server name. The Exchange Server dialect
	// sends none, as Exchange does (INFERRED, see README "Dialects").
	SNI bool `json:"sni"`
	// WithSNI is the certificate presented when the name is sent as SNI,
	// fetched only when the one without SNI did not verify.
	WithSNI *TLSInfo `json:"with_sni,omitempty"`

	ServerName string     `json:"-"` // the name verified against
	HostnameOK bool       `json:"-"`
	ChainOK    bool       `json:"-"`
	Chain      []CertInfo `json:"-"` // as sent by the server, leaf first
}

// CertInfo is one certificate of the chain the server sent.
type CertInfo struct {
	Subject, Issuer string
	SANs            []string
	NotAfter        string
}

// PortResult is everything learned about one port.
type PortResult struct {
	Port           int           `json:"port"`
	OK             bool          `json:"ok"`
	Stages         []StageResult `json:"stages"`
	StartTLS       bool          `json:"starttls"`
	TLS            *TLSInfo      `json:"tls"`
	AuthMechanisms []string      `json:"auth_mechanisms"`
	SizeLimit      int64         `json:"size_limit"`
	Auth           AuthStatus    `json:"auth"`
	// AuthNote says why a port did not log in although credentials were
	// given: another port logged in first (one login per run), or the
	// password was already refused there.
	AuthNote string `json:"auth_note,omitempty"`

	Addresses     []string `json:"-"` // resolved addresses
	RemoteAddr    string   `json:"-"` // the address connected to
	LocalAddr     string   `json:"-"` // our egress address
	Banner        string   `json:"-"`
	BannerMasked  bool     `json:"-"` // */X masking: firewall SMTP inspection
	Extensions    []string `json:"-"` // EHLO keywords before TLS
	ExtensionsTLS []string `json:"-"` // EHLO keywords after TLS
	AuthMechanism string   `json:"-"` // the mechanism used
	// AuthLoginLine: the EHLO reply after TLS has a line whose first word
	// is exactly AUTH and which lists LOGIN, the only form Exchange
	// authenticates to.
	AuthLoginLine bool `json:"-"`
}

// FailedStage returns the first failing stage of the port, if any.
func (p PortResult) FailedStage() (StageResult, bool) {
	for _, s := range p.Stages {
		if !s.OK {
			return s, true
		}
	}
	return StageResult{}, false
}

// Report is the result of Run, and the `check --json` document.
type Report struct {
	Host  string       `json:"host"`
	As    Dialect      `json:"as"` // the dialect spoken
	OK    bool         `json:"ok"`
	Ms    float64      `json:"ms"`
	Ports []PortResult `json:"ports"`
}

// FirstFailure returns the failing stage that decides the exit status: the
// earliest in stage order across all ports (ties: the port listed first).
func (r Report) FirstFailure() (port int, st StageResult, ok bool) {
	best := -1
	for _, p := range r.Ports {
		if s, failed := p.FailedStage(); failed {
			if i := s.Name.Index(); best < 0 || i < best {
				best, port, st, ok = i, p.Port, s, true
			}
		}
	}
	return port, st, ok
}

// ExitCode is 0 when every port passed every stage, otherwise the exit
// code of the first failing stage in stage order (see Stage.ExitCode).
func (r Report) ExitCode() int {
	if _, st, failed := r.FirstFailure(); failed {
		return st.Name.ExitCode()
	}
	if r.Unverified() {
		// --insecure-skip-verify got past a certificate Exchange would
		// refuse: that is a tls failure, not a pass.
		return StageTLS.ExitCode()
	}
	if !r.OK {
		return 1
	}
	return 0
}

// Unverified reports whether a port got past TLS with a certificate that
// was not verified (InsecureSkipVerify): never a pass for a connector that
// validates certificates.
func (r Report) Unverified() bool {
	for _, p := range r.Ports {
		if p.TLS != nil && !p.TLS.Verified {
			if _, failed := p.FailedStage(); !failed {
				return true
			}
		}
	}
	return false
}

// EventKind tells Progress events apart.
type EventKind int

const (
	StageStarted  EventKind = iota // Stage is about to run
	StageFinished                  // Result holds the outcome
	PortFinished                   // PortResult holds the port's final result (Run only)
)

// Event is one progress notification, for live displays such as the TUI's
// per-port stage list.
type Event struct {
	Kind       EventKind
	Port       int
	Stage      Stage
	Result     StageResult
	PortResult *PortResult
}
