//go:build linux

package creds

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"relaywiz/files"
)

// errNoSessionBus is the preflight's refusal; translate maps it to
// ReasonNoSessionBus by its text.
var errNoSessionBus = errors.New(errNoSessionBusText)

// sessionBusPreflight makes sure go-keyring finds an existing session bus
// and never reaches godbus's last resort, `exec dbus-launch`: that starts a
// private dbus-daemon (which D-Bus-activates gnome-keyring-daemon), fails
// anyway on a headless machine, and leaves both daemons running after
// relaywiz exits.
//
// It settles the address the way libdbus does (and so secret-tool):
// DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus, else (as godbus
// would) /run/user/<uid>/bus or /run/user/<uid>/dbus-session. What it finds
// it exports, as godbus itself does, so godbus never searches on its own.
func sessionBusPreflight() error {
	// The dbus-session file holds one line; a bound keeps a strange file
	// there from costing memory.
	readSmall := func(p string) ([]byte, error) { return files.ReadLimited(p, 64<<10) }
	addr, err := findSessionBus(os.Getenv, os.Getuid(), fileExists, readSmall)
	if err != nil {
		return err
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != addr {
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	}
	return nil
}

func findSessionBus(getenv func(string) string, uid int, exists func(string) bool, readFile func(string) ([]byte, error)) (string, error) {
	// "autolaunch:" asks godbus to run dbus-launch: treat it as unset.
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	var looked []string
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
		p := filepath.Join(rt, "bus")
		if exists(p) {
			return "unix:path=" + p, nil
		}
		looked = append(looked, p)
	} else {
		rt := filepath.Join("/run/user", strconv.Itoa(uid))
		p := filepath.Join(rt, "bus")
		if exists(p) {
			return "unix:path=" + p, nil
		}
		looked = append(looked, p)
		ds := filepath.Join(rt, "dbus-session")
		if b, err := readFile(ds); err == nil {
			if a, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "DBUS_SESSION_BUS_ADDRESS="); ok && a != "" {
				return a, nil
			}
		}
		looked = append(looked, ds)
	}
	return "", fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set and %s does not exist", errNoSessionBus, strings.Join(looked, " / "))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
