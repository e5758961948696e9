package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"relaywiz/creds"
)

// Where a password came from, as returned by app.password.
const (
	passwordFromStdin   = "stdin"
	passwordFromKeyring = "keyring"
)

// maxPasswordLen bounds --password-stdin: far above any SMTP password, and
// small enough that a mistakenly piped file is refused rather than sent.
const maxPasswordLen = 8 << 10

// password obtains the SMTP password for user on host, for any command
// that authenticates (check, creds test, relay, send, doctor):
//
//   - fromStdin (--password-stdin): the first line of stdin, trailing CR/LF
//     removed; an empty line is a usage error (exit 64).
//   - otherwise the OS keyring via a.store.
//
// When the keyring has no password, or cannot be used, the error is a
// *passwordMissingError: the caller skips AUTH and prints its Note (and,
// when KeyringUnavailable, its Hint). Invalid host/user come back as usage
// errors naming --smart-host/--user; a cancelled ctx as ctx.Err().
//
// The caller owns secret and must creds.Zero it when done; never log it or
// keep it in a long-lived struct.
func (a *app) password(ctx context.Context, host, user string, fromStdin bool) (secret []byte, source string, err error) {
	if err := credsKeyError(host, user); err != nil {
		return nil, "", err
	}
	if fromStdin {
		secret, err := readPasswordLine(a.stdin)
		if err != nil {
			return nil, "", err
		}
		return secret, passwordFromStdin, nil
	}
	secret, err = a.store().Get(ctx, host, user)
	switch {
	case err == nil:
		return secret, passwordFromKeyring, nil
	case ctx.Err() != nil:
		return nil, "", ctx.Err()
	case errors.Is(err, creds.ErrNotFound):
		return nil, "", &passwordMissingError{Host: host, User: user, Cause: err}
	default:
		var ue *creds.UnavailableError
		if !errors.As(err, &ue) {
			ue = &creds.UnavailableError{Op: "read", Reason: creds.ReasonFailed, Detail: err.Error(), Err: err}
		}
		return nil, "", &passwordMissingError{Host: host, User: user, Cause: ue}
	}
}

// passwordMissingError means "no password for this run": nothing stored
// (Cause is creds.ErrNotFound) or the keyring unusable (Cause is a
// *creds.UnavailableError). It is not a failure of the command itself.
type passwordMissingError struct {
	Host, User string
	Cause      error
}

func (e *passwordMissingError) Error() string { return e.Note() }
func (e *passwordMissingError) Unwrap() error { return e.Cause }

// KeyringUnavailable tells "keyring unavailable" from "not stored" (the
// JSON "auth" field: "unavailable" vs "skipped").
func (e *passwordMissingError) KeyringUnavailable() bool {
	var ue *creds.UnavailableError
	return errors.As(e.Cause, &ue)
}

// Note is one line for a report: AUTH was skipped, why, and the way on.
func (e *passwordMissingError) Note() string {
	var ue *creds.UnavailableError
	if errors.As(e.Cause, &ue) {
		return fmt.Sprintf("AUTH skipped: %v. Pass the password with --password-stdin for this run.", ue)
	}
	return fmt.Sprintf("AUTH skipped: no password stored for %s on %s. Store it with 'relaywiz creds set --smart-host %s --user %s', or pass it with --password-stdin.",
		e.User, e.Host, e.Host, e.User)
}

// Hint is the keyring's fix when it is unavailable, "" otherwise.
func (e *passwordMissingError) Hint() string {
	var ue *creds.UnavailableError
	if errors.As(e.Cause, &ue) {
		return ue.Hint
	}
	return ""
}

// credsKeyError checks host and user, naming the flag at fault (exit 64).
func credsKeyError(host, user string) error {
	err := creds.ValidateKey(host, user)
	var ke *creds.InvalidKeyError
	if errors.As(err, &ke) {
		field := ke.Field
		if field == "host" {
			field = flagSmartHost // the keyring's "host" is the smart host
		}
		return usageErrorf("--%s: %s", field, ke.Msg)
	}
	return err
}

// readPasswordLine reads the first line of r for --password-stdin. It
// reads byte by byte so nothing after the line is consumed, and grows its
// buffer by hand so no stale partial copy of the secret is left behind.
func readPasswordLine(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 128)
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			if len(buf) == maxPasswordLen {
				creds.Zero(buf)
				return nil, usageErrorf("--password-stdin: the first line of stdin is longer than %d bytes; pipe the password only, on one line", maxPasswordLen)
			}
			if len(buf) == cap(buf) {
				bigger := make([]byte, len(buf), 2*cap(buf))
				copy(bigger, buf)
				creds.Zero(buf)
				buf = bigger
			}
			buf = append(buf, one[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			creds.Zero(buf)
			return nil, fmt.Errorf("--password-stdin: reading stdin: %w", err)
		}
	}
	for len(buf) > 0 && buf[len(buf)-1] == '\r' {
		buf[len(buf)-1] = 0
		buf = buf[:len(buf)-1]
	}
	if len(buf) == 0 {
		return nil, usageErrorf("--password-stdin: stdin held no password (the first line is empty); pipe the password followed by a newline")
	}
	return buf, nil
}
