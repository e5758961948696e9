//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"relaywiz/creds"
	"relaywiz/testpeers"
)

// These tests run the real relaywiz binary, one process per command, as an
// admin would: against the real Secret Service that `make test` starts,
// and against machines with no session bus or no keyring at all.

// TestCredsIntegrationBinary builds relaywiz once (into the test's temp
// dir, removed afterwards) and runs every binary-level scenario on it.
func TestCredsIntegrationBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "relaywiz")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("SurvivesNewProcessAndLeavesNoTrace", func(t *testing.T) { testCredsSurvivesNewProcess(t, bin) })
	t.Run("StoredPasswordAuthenticatesEndToEnd", func(t *testing.T) { testCredsStoredPasswordEndToEnd(t, bin) })
	t.Run("TerminalPromptDoesNotEcho", func(t *testing.T) { testCredsTerminalPrompt(t, bin) })
	t.Run("NoSessionBus", func(t *testing.T) { testCredsNoSessionBus(t, bin) })
	t.Run("NoSecretServiceProvider", func(t *testing.T) { testCredsNoProvider(t, bin) })
}

// credsSandbox is where one test lets relaywiz write: its own HOME, TMPDIR
// and XDG directories, so the scan below sees everything it wrote.
type credsSandbox struct {
	bin  string
	dirs []string
	env  []string
}

func newCredsSandbox(t *testing.T, bin string) *credsSandbox {
	sb := &credsSandbox{bin: bin}
	base := t.TempDir()
	vars := map[string]string{}
	for _, name := range []string{"HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"} {
		d := filepath.Join(base, strings.ToLower(name))
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		vars[name] = d
		sb.dirs = append(sb.dirs, d)
	}
	for _, kv := range os.Environ() {
		if _, ok := vars[strings.SplitN(kv, "=", 2)[0]]; !ok {
			sb.env = append(sb.env, kv)
		}
	}
	for k, v := range vars {
		sb.env = append(sb.env, k+"="+v)
	}
	return sb
}

type credsRun struct {
	code           int
	stdout, stderr string
}

// run starts the binary with env and stdin and gives it at most bound to
// finish: a keyring call that hangs shows up as a failure, not a stuck test.
func (sb *credsSandbox) run(t *testing.T, env []string, stdin string, args ...string) credsRun {
	t.Helper()
	bound := 2*creds.DefaultTimeout + 5*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, sb.bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("relaywiz %s hung: killed after %s\nstderr: %s", strings.Join(args, " "), bound, errb.String())
	}
	r := credsRun{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running relaywiz: %v", err)
	}
	return r
}

// credsSecretForms are the ways a secret could leak into a file: as is, and
// in the encodings SMTP AUTH and go-keyring's macOS backend use.
func credsSecretForms(user, secret string) []string {
	b64 := base64.StdEncoding.EncodeToString
	return []string{
		secret,
		b64([]byte(secret)),
		hex.EncodeToString([]byte(secret)),
		b64([]byte("\x00" + user + "\x00" + secret)), // AUTH PLAIN
	}
}

// scanForSecret fails if any file under dirs contains a form of secret.
func scanForSecret(t *testing.T, forms []string, dirs ...string) (files int) {
	t.Helper()
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("cannot read %s for the scan: %v", p, err)
				return nil
			}
			files++
			for _, f := range forms {
				if bytes.Contains(b, []byte(f)) {
					t.Errorf("the secret (%d-byte form) is in %s", len(f), p)
				}
			}
			return nil
		})
	}
	return files
}

func credsUniqueKey() (host, user, secret string) {
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	return "it-" + id + ".relaywiz.test", "user-" + id + "@example.test", "Pw-" + id + "-zQ!"
}

func credsSecretToolLookup(t *testing.T, host, user string) (string, bool) {
	t.Helper()
	out, err := exec.Command(testpeers.RequireTool(t, "secret-tool"), "lookup", "service", "relaywiz/"+host, "username", user).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(out) == 0 {
		return "", false
	}
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out), true
}

// The password set by one process is in the Secret Service (read back by
// libsecret's secret-tool, which no relaywiz code wrote), is found by the
// next process, is gone after delete, and never reaches a file.
func testCredsSurvivesNewProcess(t *testing.T, bin string) {
	testpeers.RequireKeyring(t)
	testpeers.RequireTool(t, "secret-tool")
	sb := newCredsSandbox(t, bin)
	host, user, secret := credsUniqueKey()
	key := []string{"--host", host, "--user", user}
	t.Cleanup(func() {
		exec.Command("secret-tool", "clear", "service", "relaywiz/"+host, "username", user).Run()
	})

	r := sb.run(t, sb.env, secret+"\n", append([]string{"creds", "set", "--password-stdin"}, key...)...)
	if r.code != 0 {
		t.Fatalf("creds set: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "relaywiz/"+host) {
		t.Errorf("creds set does not say where: %q", r.stdout)
	}
	if got, ok := credsSecretToolLookup(t, host, user); !ok || got != secret {
		t.Fatalf("secret-tool lookup after set = %q, %v", got, ok)
	}

	r = sb.run(t, sb.env, "", append([]string{"creds", "status"}, key...)...)
	if r.code != exitCredsStored || !strings.HasPrefix(r.stdout, "stored:") {
		t.Fatalf("creds status in a new process: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	transcript := r.stdout + r.stderr

	r = sb.run(t, sb.env, "", append([]string{"creds", "delete"}, key...)...)
	if r.code != 0 {
		t.Fatalf("creds delete: exit %d %q", r.code, r.stderr)
	}
	transcript += r.stdout + r.stderr
	if _, ok := credsSecretToolLookup(t, host, user); ok {
		t.Fatal("secret-tool still finds the item after creds delete")
	}
	r = sb.run(t, sb.env, "", append([]string{"creds", "status"}, key...)...)
	if r.code != exitCredsNotStored {
		t.Fatalf("creds status after delete: exit %d %q", r.code, r.stdout)
	}

	forms := credsSecretForms(user, secret)
	for _, f := range forms {
		if strings.Contains(transcript, f) {
			t.Fatal("the secret appeared in relaywiz's output")
		}
	}
	scanForSecret(t, forms, sb.dirs...)
	// The keyring daemon's own files hold the secret encrypted, never plain.
	if home := os.Getenv("HOME"); home != "" {
		if kr := filepath.Join(home, ".local", "share", "keyrings"); credsDirExists(kr) {
			scanForSecret(t, forms, kr)
		}
	}
}

// The whole round as an admin runs it, one process per command: store the
// smart host's password in the real keyring, prove it with creds test
// --verbose against the real MTA (the transcript shows AUTH redacted), then
// delete it; nothing anywhere on disk holds the password.
func testCredsStoredPasswordEndToEnd(t *testing.T, bin string) {
	testpeers.RequireKeyring(t)
	mta := testpeers.RequireMTA(t)
	sb := newCredsSandbox(t, bin)
	// This entry (relaywiz/<MTA host>, MTA user) is the one real users of
	// the lab would have too; other suites should use memory stores or
	// --password-stdin rather than this keyring entry.
	key := []string{"--host", mta.Host, "--user", mta.User}
	t.Cleanup(func() {
		exec.Command("secret-tool", "clear", "service", "relaywiz/"+mta.Host, "username", mta.User).Run()
	})

	r := sb.run(t, sb.env, mta.Password+"\n", append([]string{"creds", "set", "--password-stdin"}, key...)...)
	if r.code != 0 {
		t.Fatalf("creds set: exit %d %s", r.code, r.stderr)
	}
	r = sb.run(t, sb.env, "", append([]string{"creds", "test", "--verbose", "--ca-file", mta.CAFile, "--tls-server-name", mta.ServerName,
		"--port", strconv.Itoa(mta.Port587)}, key...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "235") || !strings.Contains(r.stdout, "<redacted>") ||
		!strings.Contains(r.stdout, "relaywiz/"+mta.Host) {
		t.Fatalf("creds test with the stored password: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	transcript := r.stdout + r.stderr
	r = sb.run(t, sb.env, "", append([]string{"creds", "delete"}, key...)...)
	if r.code != 0 {
		t.Fatalf("creds delete: exit %d %s", r.code, r.stderr)
	}
	r = sb.run(t, sb.env, "", append([]string{"creds", "test", "--ca-file", mta.CAFile, "--tls-server-name", mta.ServerName}, key...)...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "no password stored") {
		t.Fatalf("creds test after delete: exit %d, want %d\n%s", r.code, exitFailure, r.stderr)
	}

	forms := credsSecretForms(mta.User, mta.Password)
	for _, f := range forms {
		if strings.Contains(transcript, f) {
			t.Fatalf("the password (%d-byte form) is in the --verbose output:\n%s", len(f), transcript)
		}
	}
	if n := scanForSecret(t, forms, sb.dirs...); n > 0 {
		t.Logf("scanned %d files relaywiz wrote", n)
	}
}

// creds set on a terminal prompts twice, and nothing typed is echoed.
// tmux plays the admin: it waits for each prompt before typing.
func testCredsTerminalPrompt(t *testing.T, bin string) {
	testpeers.RequireKeyring(t)
	tmux := testpeers.RequireTool(t, "tmux")
	testpeers.RequireTool(t, "secret-tool")
	host, user, secret := credsUniqueKey()
	t.Cleanup(func() {
		exec.Command("secret-tool", "clear", "service", "relaywiz/"+host, "username", user).Run()
	})
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm := func(args ...string) string {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	shell := bin + " creds set --host " + host + " --user " + user + `; echo "EXIT=$?"; sleep 60`
	tm("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", shell)
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })

	waitFor := func(s string) string {
		t.Helper()
		deadline := time.Now().Add(2*creds.DefaultTimeout + 10*time.Second)
		for {
			screen := tm("capture-pane", "-p", "-t", "0")
			if strings.Contains(screen, s) {
				return screen
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q on the screen:\n%s", s, screen)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("(not echoed):")
	tm("send-keys", "-t", "0", "-l", secret)
	tm("send-keys", "-t", "0", "Enter")
	waitFor("Again, to confirm:")
	tm("send-keys", "-t", "0", "-l", secret)
	tm("send-keys", "-t", "0", "Enter")
	// Stored, then the login test is offered; this host is made up, so no.
	waitFor("now? [Y/n]")
	tm("send-keys", "-t", "0", "-l", "n")
	tm("send-keys", "-t", "0", "Enter")
	screen := waitFor("EXIT=")
	if !strings.Contains(screen, "EXIT=0") || !strings.Contains(screen, "Stored the password") {
		t.Fatalf("creds set on a terminal failed:\n%s", screen)
	}
	if strings.Contains(screen, secret) {
		t.Fatalf("the password was echoed:\n%s", screen)
	}
	if got, ok := credsSecretToolLookup(t, host, user); !ok || got != secret {
		t.Fatalf("secret-tool lookup = %q, %v", got, ok)
	}
}

// With no session bus relaywiz says so at once and never launches one:
// godbus's fallback `exec dbus-launch` would leave a dbus-daemon and a
// gnome-keyring-daemon running after relaywiz exits.
func testCredsNoSessionBus(t *testing.T, bin string) {
	testpeers.RequireTool(t, "pgrep")
	sb := newCredsSandbox(t, bin)
	host, user, secret := credsUniqueKey()
	key := []string{"--host", host, "--user", user}

	emptyBin := t.TempDir() // a PATH without dbus-launch (or anything else)
	tripwireBin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "dbus-launch-ran")
	os.WriteFile(filepath.Join(tripwireBin, "dbus-launch"), []byte("#!/bin/sh\ntouch '"+marker+"'\nexit 1\n"), 0o755)

	noBus := func(path string, extra ...string) []string {
		var env []string
		for _, kv := range sb.env {
			switch strings.SplitN(kv, "=", 2)[0] {
			case "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "PATH":
				continue
			}
			env = append(env, kv)
		}
		return append(env, append([]string{"XDG_RUNTIME_DIR=" + t.TempDir(), "PATH=" + path}, extra...)...)
	}
	before := credsBusDaemons(t)

	for _, c := range []struct {
		name string
		env  []string
	}{
		{"no dbus-launch on PATH", noBus(emptyBin)},
		{"dbus-launch on PATH is never run", noBus(tripwireBin)},
		{"autolaunch: address", noBus(tripwireBin, "DBUS_SESSION_BUS_ADDRESS=autolaunch:")},
		{"stale bus address", noBus(tripwireBin, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "gone"))},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sb.run(t, c.env, "", append([]string{"creds", "status"}, key...)...)
			if r.code != exitCredsUnavailable {
				t.Fatalf("status: exit %d, want %d\n%s%s", r.code, exitCredsUnavailable, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "no D-Bus session bus") || !strings.Contains(r.stderr, "dbus-run-session") ||
				!strings.Contains(r.stderr, "--password-stdin") {
				t.Errorf("unclear message:\n%s%s", r.stdout, r.stderr)
			}
			r = sb.run(t, c.env, secret+"\n", append([]string{"creds", "set", "--password-stdin"}, key...)...)
			if r.code != exitUnavailable || !strings.Contains(r.stderr, "no D-Bus session bus") {
				t.Fatalf("set: exit %d, want %d\n%s", r.code, exitUnavailable, r.stderr)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("relaywiz ran dbus-launch")
	}
	// Only daemons that inherited this test's sandbox HOME can be relaywiz's
	// doing: other suites on the machine may start their own meanwhile.
	for _, pid := range credsBusDaemons(t) {
		if slices.Contains(before, pid) {
			continue
		}
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if bytes.Contains(env, []byte("\x00HOME="+sb.dirs[0]+"\x00")) || bytes.HasPrefix(env, []byte("HOME="+sb.dirs[0]+"\x00")) {
			t.Errorf("relaywiz left a bus or keyring daemon behind: pid %d", pid)
		}
	}
	scanForSecret(t, credsSecretForms(user, secret), sb.dirs...)
}

// A session bus with no Secret Service provider on it (no gnome-keyring,
// no KeePassXC) gets its own explanation.
func testCredsNoProvider(t *testing.T, bin string) {
	runSession := testpeers.RequireTool(t, "dbus-run-session")
	testpeers.RequireTool(t, "dbus-daemon")
	sb := newCredsSandbox(t, bin)
	dir := t.TempDir()
	conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=` + filepath.Join(dir, "bus") + `</listen>
  <servicedir>` + filepath.Join(dir, "services") + `</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`
	os.Mkdir(filepath.Join(dir, "services"), 0o700)
	os.WriteFile(filepath.Join(dir, "session.conf"), []byte(conf), 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 2*creds.DefaultTimeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, runSession, "--config-file="+filepath.Join(dir, "session.conf"), "--",
		bin, "creds", "status", "--host", "h.relaywiz.test", "--user", "u")
	cmd.Env = sb.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hung: %s", errb.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitCredsUnavailable {
		t.Fatalf("exit: %v, want %d\n%s%s", err, exitCredsUnavailable, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "no Secret Service provider") || !strings.Contains(errb.String(), "apt-get install gnome-keyring") {
		t.Errorf("unclear message:\n%s%s", out.String(), errb.String())
	}
}

// credsBusDaemons lists live (not zombie) dbus-daemon and
// gnome-keyring-daemon processes.
func credsBusDaemons(t *testing.T) []int {
	t.Helper()
	var pids []int
	for _, name := range []string{"dbus-daemon", "gnome-keyring-d"} {
		out, _ := exec.Command("pgrep", "-x", name).Output() // exit 1: none
		for _, f := range strings.Fields(string(out)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			stat, err := os.ReadFile("/proc/" + f + "/stat")
			if err != nil {
				continue // gone meanwhile
			}
			// The state follows the parenthesised command name.
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
			pids = append(pids, pid)
		}
	}
	return pids
}

func credsDirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
