package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A generated client password is shown only to a person: a relay run as a
// service has its stderr in the logs, so there it must come from a file.
func TestRelayCmdGeneratedClientPasswordOnlyOnTerminal(t *testing.T) {
	lab := startCmdLab(t)
	remote := []string{"--allow-remote", "--client-user", "exchange", "--password-stdin"}

	a, _, errb := relayTestApp(lab.Password+"\n", nil)
	// Bounded: a relay that wrongly starts would otherwise run forever.
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	code := run(ctx, a, append(append([]string{"relay", "--listen", "127.0.0.1:0"}, remote...), labArgs(lab)...))
	if code != exitUsage || !strings.Contains(errb.String(), "--client-password-file") {
		t.Errorf("--allow-remote, stderr not a terminal, no password file: exit %d, stderr %q; want 64 naming --client-password-file", code, errb)
	}
	if strings.Contains(errb.String(), "with password") {
		t.Errorf("a password was printed to a non-terminal stderr: %q", errb)
	}

	// On a terminal: generated and shown once.
	a, _, errb = relayTestApp(lab.Password+"\n", nil)
	a.stderrTTY = true
	_, _, cancel := startRelayCmd(t, a, errb, append(remote, labArgs(lab)...)...)
	if !regexp.MustCompile(`AUTH as "exchange" with password \S{12,} \(shown once\)`).MatchString(errb.String()) {
		t.Errorf("on a terminal the generated password is shown once: %q", errb)
	}
	cancel()

	// From a file, not a terminal: starts, prints no password.
	file := filepath.Join(t.TempDir(), "client-password")
	if err := os.WriteFile(file, []byte("a-long-client-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _, errb = relayTestApp(lab.Password+"\n", nil)
	_, _, cancel = startRelayCmd(t, a, errb, append(append(remote, "--client-password-file", file), labArgs(lab)...)...)
	if strings.Contains(errb.String(), "a-long-client-secret") || strings.Contains(errb.String(), "with password") {
		t.Errorf("the password from the file was printed: %q", errb)
	}
	cancel()
}

// CheckListenAddr gives no flag advice; each command names its own fix, and
// the lab has no --allow-remote to suggest.
func TestListenNotLoopbackAdviceFitsTheCommand(t *testing.T) {
	a, _, errb := relayTestApp("", nil)
	if code := run(context.Background(), a, []string{"lab", "--listen", "0.0.0.0:3999", "--dir", t.TempDir()}); code != exitUsage {
		t.Errorf("lab --listen 0.0.0.0: exit %d, want 64", code)
	}
	if e := errb.String(); strings.Contains(e, "--allow-remote") || !strings.Contains(e, "--listen") || !strings.Contains(e, "127.0.0.1") {
		t.Errorf("lab advice: %q (want --listen and 127.0.0.1, no --allow-remote)", e)
	}
	a, _, errb = relayTestApp("", nil)
	if code := run(context.Background(), a, []string{"relay", "--listen", "0.0.0.0:3999", "--upstream", "127.0.0.1:2587"}); code != exitUsage || !strings.Contains(errb.String(), "--allow-remote") {
		t.Errorf("relay --listen 0.0.0.0: exit %d, stderr %q; want 64 suggesting --allow-remote", code, errb)
	}
}

// The CA file is read once, when the flags are checked: the relay keeps
// working with the trust store it validated at start.
func TestRelayCmdReadsCAFileOnce(t *testing.T) {
	lab := startCmdLab(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pem, err := os.ReadFile(lab.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _, errb, done, _ := runRelayCmd(t, lab.Password+"\n", "--once", "--password-stdin", "--upstream", lab.Addr, "--ca-file", ca, "--user", lab.User)
	if err := os.Remove(ca); err != nil {
		t.Fatal(err)
	}
	if err := sendOne(t, addr); err != nil {
		t.Errorf("relay after its CA file was removed: %v", err)
	}
	if code := waitExit(t, done); code != 0 {
		t.Errorf("exit %d\n%s", code, errb)
	}
}

// Each command's --help ends with the exit statuses it uses.
func TestHelpEndsWithExitStatus(t *testing.T) {
	for cmd, codes := range map[string][]string{
		"lab":   {"0", "1", "64"},
		"relay": {"0", "1", "2", "21", "22", "23", "24", "25", "26", "28", "29", "64", "69", "130"},
		"send":  {"0", "1", "2", "21", "22", "23", "24", "25", "26", "28", "29", "64", "69", "130"},
	} {
		a, out, _ := relayTestApp("", nil)
		if code := run(context.Background(), a, []string{cmd, "--help"}); code != 0 {
			t.Fatalf("%s --help: exit %d", cmd, code)
		}
		help := out.String()
		i := strings.LastIndex(help, "\nExit status:\n")
		if i < 0 || i < strings.Index(help, "\nFlags:\n") {
			t.Errorf("%s --help does not end with an Exit status section:\n%s", cmd, help)
			continue
		}
		listed := map[string]bool{}
		for _, line := range strings.Split(help[i:], "\n") {
			for _, f := range strings.Fields(line) {
				if regexp.MustCompile(`^\d+$`).MatchString(f) {
					listed[f] = true
				}
			}
		}
		for _, c := range codes {
			if !listed[c] {
				t.Errorf("%s --help: exit status %s not listed:\n%s", cmd, c, help[i:])
			}
		}
	}
}
