// Package creds keeps the smart host's SMTP password in the operating
// system's keyring (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows) and nowhere else: no file, no log, no fallback.
//
// Entries are keyed by smart host and user name: service "relaywiz/<host>",
// user "<username>". Callers depend on the Store interface so the wizard and
// the commands can be tested with NewMemory, while production code uses
// NewKeyring, which bounds every keyring call by a timeout and turns the
// keyring's raw errors into an *UnavailableError a person can act on.
package creds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode"
)

// ErrNotFound means the keyring works but holds no password for this host
// and user.
var ErrNotFound = errors.New("no password stored")

// Store is where relaywiz keeps smart-host passwords.
//
// Get returns a fresh slice the caller owns: zero it (Zero) when done.
// Set does not keep secret; the caller may zero it as soon as Set returns.
type Store interface {
	Set(ctx context.Context, host, user string, secret []byte) error
	Get(ctx context.Context, host, user string) ([]byte, error)
	// Delete removes the entry; ErrNotFound when there was none.
	Delete(ctx context.Context, host, user string) error
	// Status tells whether a password is stored without handing it out.
	Status(ctx context.Context, host, user string) Status
}

// State is the answer of Store.Status.
type State int

const (
	// Zero is deliberately not a valid answer, so a forgotten assignment
	// cannot read as "not stored".
	_ State = iota
	Stored
	NotStored
	Unavailable
)

func (s State) String() string {
	switch s {
	case Stored:
		return "stored"
	case NotStored:
		return "not stored"
	case Unavailable:
		return "keyring unavailable"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status describes an entry without its secret. Err is set only when State
// is Unavailable (usually an *UnavailableError, or the context's error).
type Status struct {
	State State
	Err   error
}

// ServiceName is the keyring "service" an entry for host is filed under.
// Host names are case-insensitive, so "SMTP.Zivver.com" and
// "smtp.zivver.com" share one entry.
func ServiceName(host string) string {
	return "relaywiz/" + normalHost(host)
}

func normalHost(host string) string {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]") // "[::1]" and "::1" are one host

}

// InvalidKeyError reports a host or user name that cannot key an entry.
// Field is "host" or "user", so a command can name its flag.
type InvalidKeyError struct {
	Field string
	Msg   string
}

func (e *InvalidKeyError) Error() string { return e.Field + ": " + e.Msg }

// ValidateKey checks host and user before anything touches the keyring.
func ValidateKey(host, user string) error {
	h := normalHost(host)
	switch {
	case h == "":
		return &InvalidKeyError{"host", "is required (the smart host name, e.g. smtp.zivver.com)"}
	case strings.ContainsFunc(h, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' }):
		return &InvalidKeyError{"host", fmt.Sprintf("%q is not a host name (no spaces or slashes)", host)}
	case strings.Contains(h, ":") && net.ParseIP(h) == nil:
		// host:port would file the password under a name no other command
		// looks up; the port is a separate flag everywhere.
		return &InvalidKeyError{"host", fmt.Sprintf("%q looks like host:port; give the host name only", host)}
	case len(h) > 253:
		return &InvalidKeyError{"host", "is longer than 253 characters"}
	}
	switch {
	case strings.TrimSpace(user) == "":
		return &InvalidKeyError{"user", "is required (the SMTP user name from the provider)"}
	case user != strings.TrimSpace(user):
		return &InvalidKeyError{"user", "has leading or trailing spaces"}
	case strings.ContainsFunc(user, unicode.IsControl):
		return &InvalidKeyError{"user", "contains control characters"}
	case len(user) > 256:
		return &InvalidKeyError{"user", "is longer than 256 characters"}
	}
	return nil
}

// Zero overwrites b. Go cannot scrub strings or copies the runtime made,
// but the slices relaywiz owns should not linger with the secret in them.
func Zero(b []byte) {
	clear(b)
}
