package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"relaywiz/checks"
)

// Exchange Online has no port to choose: send, relay and doctor with --as
// exchange-online and no --port use 25. They used to refuse their own
// default ("--port 587: ... use --port 25", exit 64) although the admin
// gave no --port; a --port other than 25 that was given is still refused.
func TestOnlineDialectDefaultsToPort25(t *testing.T) {
	parse := func(args ...string) (int, error) {
		var u upstreamFlags
		cmd := &cobra.Command{Use: "x"}
		u.add(cmd)
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		cfg, err := u.parse()
		return cfg.Port, err
	}
	if port, err := parse("--as", "exchange-online", "--smart-host", "smtp.example.com"); err != nil || port != checks.OnlinePort {
		t.Errorf("send/relay --as exchange-online without --port: port %d, err %v; want 25", port, err)
	}
	if _, err := parse("--as", "exchange-online", "--smart-host", "smtp.example.com", "--port", "587"); err == nil || !strings.Contains(err.Error(), "--port 587") {
		t.Errorf("send/relay --as exchange-online --port 587: err %v, want it refused", err)
	}
	if port, err := parse("--smart-host", "smtp.example.com"); err != nil || port != 587 {
		t.Errorf("send/relay default dialect: port %d, err %v; want 587", port, err)
	}

	doctor := func(given bool) (*doctorOptions, error) {
		o := &doctorOptions{host: "smtp.example.com", port: 587, as: "exchange-online", timeout: time.Second,
			changed: func(name string) bool { return given && name == "port" }}
		return o, o.validate()
	}
	if o, err := doctor(false); err != nil || o.port != checks.OnlinePort {
		t.Errorf("doctor --as exchange-online without --port: port %d, err %v; want 25", o.port, err)
	}
	if _, err := doctor(true); err == nil {
		t.Error("doctor --as exchange-online --port 587 was not refused")
	}
}
