package main

import (
	"context"
	"os"
	"path/filepath"
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

// A profile written for an on-premises connector carries its user name;
// --as exchange-online then takes none from it (Exchange Online logs in
// nowhere). check, send, relay and doctor used to refuse "--user", a flag
// the admin never gave and so could not drop; a --user typed is still
// refused.
func TestOnlineDialectIgnoresTheProfilesUser(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(prof, []byte(`{"version":1,"steps":{"scenario":"pams-onprem","smartHost":"smtp.example.com","port":587},`+
		`"smartHost":{"host":"smtp.example.com","ports":[587],"user":"relay@corp.example"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _, _ := checkTestApp("", nil, nil)

	var u upstreamFlags
	cmd := &cobra.Command{Use: "x"}
	u.add(cmd)
	if err := cmd.ParseFlags([]string{"--profile", prof, "--as", "exchange-online"}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.fromProfile(a, cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	if cfg, err := u.parse(); err != nil || cfg.User != "" || cfg.Port != checks.OnlinePort {
		t.Errorf("send/relay --profile (on-prem) --as exchange-online: user %q port %d, err %v", cfg.User, cfg.Port, err)
	}

	var o checkOptions
	ccmd := newCheckCmd(a)
	if err := ccmd.ParseFlags([]string{"--profile", prof, "--as", "exchange-online"}); err != nil {
		t.Fatal(err)
	}
	o.profile, o.as, o.ports = prof, "exchange-online", "25"
	if err := o.applyProfile(a, ccmd.Flags()); err != nil || o.user != "" {
		t.Errorf("check --profile (on-prem) --as exchange-online: user %q, err %v", o.user, err)
	}

	d := &doctorOptions{profile: prof, as: "exchange-online", changed: func(name string) bool { return name == "as" || name == "profile" }}
	if _, err := d.applyProfile(a); err != nil || d.user != "" {
		t.Errorf("doctor --profile (on-prem) --as exchange-online: user %q, err %v", d.user, err)
	}

	a, _, errb := checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--profile", prof, "--as", "exchange-online", "--user", "typed@corp.example"}); code != exitUsage || !strings.Contains(errb.String(), "--user") {
		t.Errorf("a typed --user: exit %d %s", code, errb)
	}
}
