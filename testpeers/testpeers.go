// Package testpeers gives integration tests the real peers that `make test`
// starts: a Postfix + Dovecot SASL smart host on loopback, a Secret Service
// keyring and the swaks client (see .ci/peers.sh, which exports the
// RELAYWIZ_* variables read here).
//
// Outside CI a missing peer skips the test, so `go test ./...` stays usable
// on a laptop. Under CI (CI=true) a missing peer fails the test: a green run
// must never hide an integration test that did not run.
package testpeers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// MTA describes the real smart host started by .ci/peers.sh.
//
// Port25 behaves like a provider's port 25: STARTTLS offered, AUTH only after
// TLS. Port587 requires TLS before anything else. Both present a certificate
// issued by CAFile for ServerName and for the IP address Host.
type MTA struct {
	Host       string // loopback address the MTA listens on, e.g. 127.0.0.2
	Port25     int
	Port587    int
	ServerName string // DNS name in the certificate, e.g. smtp.relaywiz.test
	CAFile     string // PEM of the test CA that issued the certificate
	User       string // SASL user name accepted by the MTA
	Password   string // its password (a test secret, not a real one)
	// SinkDomain is the recipient domain the MTA delivers locally;
	// a message to LOCAL@SinkDomain lands in MaildirFor(LOCAL).
	SinkDomain string
	MaildirDir string
}

// MaildirFor returns the Maildir "new" directory where mail to
// local@SinkDomain is delivered.
func (m MTA) MaildirFor(local string) string {
	return filepath.Join(m.MaildirDir, local, "new")
}

// Addr25 and Addr587 return host:port strings for dialling.
func (m MTA) Addr25() string  { return m.Host + ":" + strconv.Itoa(m.Port25) }
func (m MTA) Addr587() string { return m.Host + ":" + strconv.Itoa(m.Port587) }

// InCI reports whether the tests run under CI, where missing peers are errors.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// missing skips the test, or fails it under CI.
func missing(t testing.TB, what string) {
	t.Helper()
	if InCI() {
		t.Fatalf("integration peer missing under CI: %s (run the suite through `make test`)", what)
	}
	t.Skipf("integration peer missing: %s (run `make test` to start it)", what)
}

// RequireMTA returns the real smart host or skips/fails the test.
func RequireMTA(t testing.TB) MTA {
	t.Helper()
	get := func(k string) string { return os.Getenv("RELAYWIZ_MTA_" + k) }
	p25, err1 := strconv.Atoi(get("PORT25"))
	p587, err2 := strconv.Atoi(get("PORT587"))
	m := MTA{
		Host:       get("HOST"),
		Port25:     p25,
		Port587:    p587,
		ServerName: get("SERVERNAME"),
		CAFile:     get("CA"),
		User:       get("USER"),
		Password:   get("PASSWORD"),
		SinkDomain: get("SINKDOMAIN"),
		MaildirDir: get("MAILDIR"),
	}
	if m.Host == "" || err1 != nil || err2 != nil || m.CAFile == "" || m.User == "" {
		missing(t, "Postfix smart host (RELAYWIZ_MTA_* not set)")
	}
	if _, err := os.Stat(m.CAFile); err != nil {
		missing(t, "Postfix smart host CA file: "+err.Error())
	}
	return m
}

// RequireKeyring skips/fails unless a real, unlocked Secret Service is on
// the session bus (make test runs the suite inside dbus-run-session with
// gnome-keyring-daemon --unlock and sets RELAYWIZ_KEYRING=secret-service).
func RequireKeyring(t testing.TB) {
	t.Helper()
	if os.Getenv("RELAYWIZ_KEYRING") != "secret-service" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		missing(t, "Secret Service keyring (RELAYWIZ_KEYRING/DBUS_SESSION_BUS_ADDRESS not set)")
	}
}

// RequireTool returns the path of an external program the test drives
// (swaks, secret-tool, tmux, postfix ...), or skips/fails.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" not on PATH")
	}
	return p
}
