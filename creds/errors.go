package creds

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Reason classifies why the keyring could not serve a request.
type Reason string

const (
	ReasonNoSessionBus Reason = "no-session-bus" // Linux: no D-Bus session bus to reach the Secret Service
	ReasonNoProvider   Reason = "no-provider"    // Linux: a bus, but no Secret Service on it
	ReasonLocked       Reason = "locked"         // the collection is locked (or missing) and no prompt could unlock it
	ReasonTimeout      Reason = "timeout"        // no answer in time, usually an unlock prompt nobody sees
	ReasonTooLarge     Reason = "too-large"      // the platform's keyring refuses a secret this size
	ReasonUnsupported  Reason = "unsupported"    // no keyring backend for this OS
	ReasonFailed       Reason = "failed"         // anything else the keyring reported
)

// UnavailableError is every keyring failure other than ErrNotFound, told
// for a person: Detail says what happened, Hint what to do about it. Err is
// the keyring's own error, kept for errors.Is and for --verbose output; it
// never contains the secret.
type UnavailableError struct {
	Op     string // "store", "read" or "delete"
	Reason Reason
	Detail string
	Hint   string
	Err    error
}

func (e *UnavailableError) Error() string {
	if e.Reason == ReasonTooLarge {
		return "the OS keyring refused the password: " + e.Detail
	}
	return "OS keyring unavailable: " + e.Detail
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Explain is the full message for a terminal: what happened, then the fix.
func (e *UnavailableError) Explain() string {
	if e.Hint == "" {
		return e.Error()
	}
	return e.Error() + "\n" + e.Hint
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, keyring.ErrNotFound)
}

// errNoSessionBusText is the Linux preflight's refusal (bus_linux.go),
// matched by text so translate stays platform-neutral.
const errNoSessionBusText = "no session bus"

// errTimedOut is the cause recorded in a ReasonTimeout error.
var errTimedOut = errors.New("keyring call timed out")

// oneRunHint is appended to every hint: the way forward that needs no
// keyring at all, and a reminder that nothing went to disk instead.
//
// Hints keep each prose paragraph on one line (newlines only between
// paragraphs and around command lines), so the terminal or the wizard can
// wrap them to its own width without leaving ragged half-lines.
const oneRunHint = "Meanwhile check, creds test, relay and send take the password for one run with --password-stdin " +
	"(e.g. piped from your password manager's CLI). relaywiz never falls back to keeping it in a file."

// headlessRecipe starts a session bus and an unlocked gnome-keyring for one
// shell. read -s keeps the keyring password off the screen and out of the
// shell history.
//
// The command lines are indented by four spaces and short enough for an
// 80-column terminal, the long one continued with a backslash: renderers
// print such lines verbatim, never wrapped, so what is pasted is what runs.
const headlessRecipe = `On a server without a desktop session (SSH, a service account), start a session bus and an unlocked keyring for one shell, then run relaywiz in it:
    dbus-run-session -- bash
    read -rsp 'Keyring password: ' KP
    printf '%s' "$KP" | gnome-keyring-daemon --unlock \
        --components=secrets >/dev/null
    unset KP
(The first unlock creates ~/.local/share/keyrings/login.keyring, encrypted with that password; later sessions unlock the same keyring with the same password.)`

// translate turns a raw keyring error into ErrNotFound or an
// *UnavailableError for op. goos selects the advice, so the messages of
// every platform can be tested on one machine.
func translate(op, goos string, timeout time.Duration, err error) error {
	if err == nil {
		return nil
	}
	if isNotFound(err) {
		return ErrNotFound
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return err
	}
	e := &UnavailableError{Op: op, Err: err}
	msg := err.Error()
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case errors.Is(err, errTimedOut):
		e.Reason = ReasonTimeout
		e.Detail = fmt.Sprintf("the %s did not answer within %s", keyringName(goos), timeout)
		e.Hint = timeoutHint(goos) + "\n" + oneRunHint
	case errors.Is(err, keyring.ErrSetDataTooBig):
		e.Reason = ReasonTooLarge
		e.Detail = "the password is too long for the " + keyringName(goos) + " " + sizeLimit(goos)
		e.Hint = "SMTP passwords are far shorter than that: check that you pasted the password itself, not a file or a token.\n" + oneRunHint
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		e.Reason = ReasonUnsupported
		e.Detail = "relaywiz has no keyring backend on " + goos
		e.Hint = oneRunHint
	case has("dbus-launch", "couldn't determine address of session bus", errNoSessionBusText,
		"connect: no such file or directory", "connect: connection refused", "dbus: authentication failed"):
		e.Reason = ReasonNoSessionBus
		e.Detail = "there is no D-Bus session bus to reach the Secret Service (" + strings.TrimPrefix(msg, errNoSessionBusText+": ") + ")"
		e.Hint = headlessRecipe + "\n" + oneRunHint
	case has("org.freedesktop.secrets was not provided", "ServiceUnknown", "not provided by any .service files"):
		e.Reason = ReasonNoProvider
		e.Detail = "no Secret Service provider (org.freedesktop.secrets) answers on the session bus"
		e.Hint = "Install one, e.g. 'apt-get install gnome-keyring' (Debian/Ubuntu) or enable KeePassXC's " +
			"Secret Service integration, and make sure it runs unlocked.\n" + headlessRecipe + "\n" + oneRunHint
	case has("failed to unlock", "locked", "Locked", "SystemPrompter", "prompt", "Prompt",
		"No such interface 'org.freedesktop.Secret.Collection'", "No such object"):
		e.Reason = ReasonLocked
		e.Detail = "the keyring's collection is locked (or does not exist yet) and no unlock prompt could be shown (" + msg + ")"
		e.Hint = lockedHint(goos) + "\n" + oneRunHint
	case has("NoReply", "timed out", "timeout"):
		e.Reason = ReasonTimeout
		e.Detail = "the " + keyringName(goos) + " did not answer (" + msg + ")"
		e.Hint = timeoutHint(goos) + "\n" + oneRunHint
	default:
		e.Reason = ReasonFailed
		e.Detail = "the " + keyringName(goos) + " reported: " + msg
		e.Hint = "Check that the keyring works for other programs (" + selfCheck(goos) + ").\n" + oneRunHint
	}
	return e
}

// keyringName names the backend go-keyring uses on goos.
func keyringName(goos string) string {
	switch goos {
	case "darwin":
		return "macOS Keychain"
	case "windows":
		return "Windows Credential Manager"
	default:
		return "Secret Service keyring"
	}
}

func sizeLimit(goos string) string {
	switch goos {
	case "darwin":
		return "(about 3000 bytes for host, user name and password together)"
	case "windows":
		return "(at most 2560 bytes)"
	default:
		return "(its size limit)"
	}
}

func timeoutHint(goos string) string {
	switch goos {
	case "darwin":
		return "The Keychain is probably waiting for you to allow access or unlock it in a dialog. " +
			"Answer the dialog on the Mac's screen (or unlock with 'security unlock-keychain') and retry."
	case "windows":
		return "Credential Manager is normally instant; check that the Credential Manager service (VaultSvc) is running and retry."
	default:
		return "It is most likely waiting on an unlock prompt that nobody can see (an SSH session into a desktop " +
			"login, or a locked KeePassXC). Unlock the keyring in the desktop session, or use a keyring unlocked " +
			"for this shell:\n" + headlessRecipe
	}
}

func lockedHint(goos string) string {
	switch goos {
	case "darwin":
		return "Unlock the login keychain ('security unlock-keychain login.keychain') and retry."
	case "windows":
		return "Sign in to Windows interactively as this user once, then retry."
	default:
		return "On a desktop, unlock the 'Login' keyring in Passwords and Keys (seahorse) and retry.\n" + headlessRecipe
	}
}

func selfCheck(goos string) string {
	switch goos {
	case "darwin":
		return "open Keychain Access, or run 'security find-generic-password -s relaywiz/HOST'"
	case "windows":
		return "open Credential Manager > Windows Credentials, or run 'cmdkey /list'"
	default:
		return "run 'secret-tool search service relaywiz/HOST'"
	}
}
