package creds

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// The raw errors below are what go-keyring/godbus report in each situation
// (see go-stack.md §2, verified on Debian 12).
func TestTranslateTellsAPersonWhatHappenedAndWhatToDo(t *testing.T) {
	cases := []struct {
		name   string
		goos   string
		raw    error
		reason Reason
		hint   string // a phrase the fix must contain
	}{
		{"no bus, no dbus-launch", "linux", errors.New(`exec: "dbus-launch": executable file not found in $PATH`), ReasonNoSessionBus, "dbus-run-session"},
		{"preflight", "linux", errors.New(errNoSessionBusText + ": DBUS_SESSION_BUS_ADDRESS is not set"), ReasonNoSessionBus, "gnome-keyring-daemon --unlock"},
		{"stale bus address", "linux", errors.New("dial unix /run/user/0/bus: connect: no such file or directory"), ReasonNoSessionBus, "dbus-run-session"},
		{"no provider", "linux", errors.New("The name org.freedesktop.secrets was not provided by any .service files"), ReasonNoProvider, "apt-get install gnome-keyring"},
		{"locked default", "linux", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), ReasonLocked, "gnome-keyring-daemon --unlock"},
		{"docker prompter", "linux", errors.New("SystemPrompter exited with status 1"), ReasonLocked, "seahorse"},
		{"no collection", "linux", errors.New("No such interface 'org.freedesktop.Secret.Collection' on object at path /org/freedesktop/secrets/collection/login"), ReasonLocked, "unlock"},
		{"timeout", "linux", errTimedOut, ReasonTimeout, "unlock prompt"},
		{"dbus no reply", "linux", errors.New("org.freedesktop.DBus.Error.NoReply: Did not receive a reply"), ReasonTimeout, "dbus-run-session"},
		{"too large windows", "windows", keyring.ErrSetDataTooBig, ReasonTooLarge, "pasted the password"},
		{"too large darwin", "darwin", keyring.ErrSetDataTooBig, ReasonTooLarge, "pasted the password"},
		{"keychain prompt timeout", "darwin", errTimedOut, ReasonTimeout, "security unlock-keychain"},
		{"unsupported", "plan9", keyring.ErrUnsupportedPlatform, ReasonUnsupported, "--password-stdin"},
		{"anything else", "windows", errors.New("Element not found."), ReasonFailed, "Credential Manager"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := translate("read", c.goos, 5*time.Second, c.raw)
			var ue *UnavailableError
			if !errors.As(err, &ue) {
				t.Fatalf("translate(%v) = %v (%T), want *UnavailableError", c.raw, err, err)
			}
			if ue.Reason != c.reason {
				t.Errorf("reason = %s, want %s", ue.Reason, c.reason)
			}
			if !strings.Contains(ue.Hint, c.hint) {
				t.Errorf("hint lacks %q:\n%s", c.hint, ue.Hint)
			}
			if !strings.Contains(ue.Hint, "--password-stdin") {
				t.Errorf("hint does not offer the one-run way forward:\n%s", ue.Hint)
			}
			if !errors.Is(err, c.raw) {
				t.Errorf("the raw cause is not kept for errors.Is")
			}
			if ue.Error() == "" || ue.Detail == "" {
				t.Errorf("empty message")
			}
		})
	}
}

func TestTranslateNotFoundAndPassThrough(t *testing.T) {
	if err := translate("read", "linux", time.Second, keyring.ErrNotFound); err != ErrNotFound {
		t.Fatalf("go-keyring's ErrNotFound became %v", err)
	}
	if err := translate("read", "linux", time.Second, nil); err != nil {
		t.Fatalf("nil became %v", err)
	}
	ue := &UnavailableError{Reason: ReasonLocked, Detail: "x"}
	if err := translate("read", "linux", time.Second, ue); err != ue {
		t.Fatalf("an already translated error was rewrapped: %v", err)
	}
}

// The keyring recipe's commands fit an 80-column terminal on lines of
// their own (indented four spaces), so no renderer has to wrap them.
func TestHeadlessRecipeCommandsFit(t *testing.T) {
	cmds := 0
	for _, l := range strings.Split(headlessRecipe, "\n") {
		if !strings.HasPrefix(l, "    ") {
			continue
		}
		cmds++
		if len(l) > 76 {
			t.Errorf("command line of %d columns: %q", len(l), l)
		}
	}
	if cmds < 3 {
		t.Errorf("want the commands on lines of their own, found %d", cmds)
	}
}
