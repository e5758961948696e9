//go:build linux

package creds

import (
	"errors"
	"os"
	"testing"
)

func TestFindSessionBus(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		files map[string]string
		want  string // "" means: no bus, refuse without calling go-keyring
	}{
		{"address set", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/b"}, nil, "unix:path=/tmp/b"},
		{"autolaunch is not an address", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}, nil, ""},
		{"xdg runtime dir bus", map[string]string{"XDG_RUNTIME_DIR": "/tmp/rt"}, map[string]string{"/tmp/rt/bus": ""}, "unix:path=/tmp/rt/bus"},
		{"xdg set but empty wins over /run/user", map[string]string{"XDG_RUNTIME_DIR": "/tmp/rt"}, map[string]string{"/run/user/1000/bus": ""}, ""},
		{"/run/user bus", nil, map[string]string{"/run/user/1000/bus": ""}, "unix:path=/run/user/1000/bus"},
		{"/run/user dbus-session", nil, map[string]string{"/run/user/1000/dbus-session": "DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-x\n"}, "unix:abstract=/tmp/dbus-x"},
		{"nothing", nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string { return c.env[k] }
			exists := func(p string) bool { _, ok := c.files[p]; return ok }
			read := func(p string) ([]byte, error) {
				if v, ok := c.files[p]; ok {
					return []byte(v), nil
				}
				return nil, os.ErrNotExist
			}
			got, err := findSessionBus(getenv, 1000, exists, read)
			if c.want == "" {
				if !errors.Is(err, errNoSessionBus) {
					t.Fatalf("got %q, %v; want the no-session-bus refusal", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
