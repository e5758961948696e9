package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relaywiz/files"
	"relaywiz/steps"
	"relaywiz/testpeers"
)

// The wizard as a person meets it: the built binary in a real terminal
// (a tmux pane of 100×30), driven with send-keys and read with
// capture-pane, against the lab smart host and the real OS keyring.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// relaywizBinary builds ./cmd/relaywiz once per test run.
func relaywizBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "relaywiz-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "relaywiz")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/relaywiz").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// pane is one tmux session on a private server socket, so the test
// neither sees nor disturbs anyone else's tmux.
type pane struct {
	t      *testing.T
	tmux   string
	socket string
}

func (p *pane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.tmux, append([]string{"-L", p.socket}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (p *pane) capture() string { return p.run("capture-pane", "-p", "-t", "wiz") }

// history is the pane with its scrollback: what the wizard left on the
// terminal is longer than one screen now that the summary ends with the
// route.
func (p *pane) history() string { return p.run("capture-pane", "-p", "-S", "-", "-t", "wiz") }

// keys sends tmux key names (Enter, Down, Tab, C-c ...).
func (p *pane) keys(k ...string) { p.run(append([]string{"send-keys", "-t", "wiz"}, k...)...) }

// text types literally.
func (p *pane) text(s string) { p.run("send-keys", "-t", "wiz", "-l", s) }

// wait polls the pane until it shows every text.
func (p *pane) wait(texts ...string) string {
	p.t.Helper()
	return pollUntilShown(p.t, p.capture, texts, 30*time.Second, 100*time.Millisecond)
}

// clearField empties the focused input (readline-style ctrl+u/ctrl+k).
func (p *pane) clearField() { p.keys("C-u", "C-k") }

func TestTmuxWalkthroughLabRealKeyring(t *testing.T) {
	tmux := testpeers.RequireTool(t, "tmux")
	testpeers.RequireKeyring(t)
	secretTool := testpeers.RequireTool(t, "secret-tool")
	bin := relaywizBinary(t)

	home := fixedTempDir(t)
	cfg := filepath.Join(home, "config")
	cache := filepath.Join(home, "cache")
	work := filepath.Join(home, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	p := &pane{t: t, tmux: tmux, socket: fmt.Sprintf("relaywiz-test-%d", os.Getpid())}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", p.socket, "kill-server").Run() })

	// The environment goes on the command line: a tmux server started
	// elsewhere would not pass ours on. The keyring's session bus comes
	// from `make test` (dbus-run-session).
	env := []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + cfg, "XDG_CACHE_HOME=" + cache, "TERM=xterm-256color",
		"DBUS_SESSION_BUS_ADDRESS=" + os.Getenv("DBUS_SESSION_BUS_ADDRESS"),
	}
	if v := os.Getenv("XDG_RUNTIME_DIR"); v != "" {
		env = append(env, "XDG_RUNTIME_DIR="+v)
	}
	// A placeholder domain of the reserved .invalid TLD: with the manuals'
	// example (a real domain) the wizard would look it up in public DNS,
	// and tests never leave 127.0.0.0/8.
	in := steps.Defaults(steps.PAMSOnPrem)
	in.PlaceholderDomain = "relaywiz-test.invalid"
	if err := files.SaveProfile(filepath.Join(cfg, "relaywiz", "profile.json"), files.Profile{Steps: in}); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("cd %s && env %s %s; echo RELAYWIZ-EXIT=$?; sleep 300", work, strings.Join(env, " "), bin)
	p.run("new-session", "-d", "-s", "wiz", "-x", "100", "-y", "30", script)

	// 1 Scenario
	p.wait("Step 1 of 8 · Scenario", "> Zivver PAMS, Exchange on-premises", "Pick this when:")
	p.keys("Enter")
	// 2 Smart host: the lab
	p.wait("Step 2 of 8 · Smart host", "A lab smart host on this machine")
	p.keys("Down", "Enter")
	// 3 Connectivity
	s := p.wait("Step 3 of 8 · Connectivity", "Checked the lab smart host 127.0.0.1", "The lab answers on port")
	if !strings.Contains(s, "TLS certificate") || !strings.Contains(s, "✓") {
		t.Fatalf("no stage table:\n%s", s)
	}
	p.keys("Enter")
	// 4 Credentials: the lab's login, stored in the real keyring
	p.wait("Step 4 of 8 · Credentials", "The lab's generated login is filled in", "┃ SMTP user name")
	p.keys("Enter")
	p.wait("┃ Password")
	p.keys("Enter")
	p.wait("Login accepted by 127.0.0.1", "Stored in the OS keyring (service relaywiz/127.0.0.1, user relaywiz)")
	p.keys("Enter")
	// 5 Exchange details: the defaults
	p.wait("Step 5 of 8 · Exchange details", "Placeholder domain")
	for _, title := range []string{"Placeholder domain", "Contact alias", "Source servers", "Maximum message size", "Name prefix", "Rule priority", "Test recipient"} {
		p.wait("┃ " + title)
		if title == "Test recipient" {
			p.text("someone@example.org")
		}
		p.keys("Enter")
	}
	// 6 Exchange steps: look at two tabs, write all
	p.wait("Step 6 of 8 · Exchange steps", "[checklist.md]")
	p.keys("Tab")
	p.wait("[apply.ps1]")
	p.keys("w")
	p.wait("Folder: relaywiz-pams-onprem")
	p.keys("Enter")
	p.wait("Wrote 6 files to")
	p.keys("Enter")
	// 7 Live test through the lab
	p.wait("Step 7 of 8 · Live test", "> Through the lab smart host")
	p.keys("Enter")
	p.wait("┃ To", "someone@example.org")
	p.keys("Enter")
	p.wait("┃ From")
	p.text("admin@example.com")
	p.keys("Enter")
	p.wait("┃ Subject")
	p.keys("Enter")
	s = p.wait("Accepted by the lab smart host", "queued as")
	if strings.Contains(s, "AUTH PLAIN ") && !strings.Contains(s, "<redacted>") {
		t.Fatalf("AUTH not redacted:\n%s", s)
	}
	p.keys("Enter")
	// 8 Summary
	p.wait("Step 8 of 8 · Summary", "What relaywiz proved", "was accepted by the lab smart host",
		"Written to "+filepath.Join(work, "relaywiz-pams-onprem"))
	p.keys("Enter")
	// After the wizard: the summary stays in the terminal, exit status 0.
	p.wait("RELAYWIZ-EXIT=0")
	if s = p.history(); !strings.Contains(s, "How to undo") {
		t.Fatalf("the summary is not left on the terminal:\n%s", s)
	}

	for _, name := range []string{"checklist.md", "apply.ps1", "undo.ps1", "verify.ps1", "export.ps1", "pams.reg"} {
		if _, err := os.Stat(filepath.Join(work, "relaywiz-pams-onprem", name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	prof, err := files.LoadProfile(filepath.Join(cfg, "relaywiz", "profile.json"))
	if err != nil || prof.Steps.Scenario != "pams-onprem" || prof.TestRecipient != "someone@example.org" {
		t.Fatalf("profile: %+v, %v", prof, err)
	}
	emls, _ := filepath.Glob(filepath.Join(cache, "relaywiz", "lab", "*.eml"))
	if len(emls) != 1 {
		t.Fatalf("the lab holds %d messages, want 1", len(emls))
	}

	// The password is in the Secret Service (read back by a program that
	// is not relaywiz), and nowhere in what relaywiz wrote.
	lookup := exec.Command(secretTool, "lookup", "service", "relaywiz/127.0.0.1", "username", "relaywiz")
	secret, err := lookup.Output()
	if err != nil || len(bytes.TrimSpace(secret)) == 0 {
		t.Fatalf("secret-tool finds no password: %v", err)
	}
	t.Cleanup(func() {
		_ = exec.Command(secretTool, "clear", "service", "relaywiz/127.0.0.1", "username", "relaywiz").Run()
	})
	err = filepath.Walk(home, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, bytes.TrimSpace(secret)) {
			return fmt.Errorf("%s contains the password", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Without a terminal the wizard explains the subcommands and exits 64
// instead of waiting for keys nobody types.
func TestBinaryWithoutTerminal(t *testing.T) {
	bin := relaywizBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 64 {
		t.Fatalf("exit %v, want 64; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"needs an interactive terminal", "relaywiz check", "relaywiz steps", "relaywiz --help"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message lacks %q:\n%s", want, stderr.String())
		}
	}
}

// ctrl+c leaves the wizard with exit status 130, as every command does on
// an interrupt, and says where it stopped.
func TestTmuxCtrlCExits130(t *testing.T) {
	tmux := testpeers.RequireTool(t, "tmux")
	bin := relaywizBinary(t)
	home := fixedTempDir(t)
	p := &pane{t: t, tmux: tmux, socket: fmt.Sprintf("relaywiz-test-int-%d", os.Getpid())}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", p.socket, "kill-server").Run() })
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "TERM=xterm-256color"}
	script := fmt.Sprintf("cd %s && env %s %s; echo RELAYWIZ-EXIT=$?; sleep 300", home, strings.Join(env, " "), bin)
	p.run("new-session", "-d", "-s", "wiz", "-x", "80", "-y", "24", script)
	p.wait("Step 1 of 8 · Scenario")
	p.keys("C-c")
	p.wait("RELAYWIZ-EXIT=130", "stopped at step 1 of 8")
}
