//go:build linux && winebox

package wine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"relaywiz/testpeers"
)

// The environment .ci/windows/test.sh prepares: RELAYWIZ_WINE_EXE is the
// relaywiz.exe under test, RELAYWIZ_LINUX_EXE the same commit built for
// Linux (the reference for byte comparisons), WINEPREFIX the throwaway
// prefix with the ProcessPrng shim.
type wineEnv struct {
	wine, exe, linux, prefix string
}

func requireWine(t *testing.T) wineEnv {
	t.Helper()
	w := wineEnv{
		wine:   testpeers.RequireTool(t, "wine64"),
		exe:    os.Getenv("RELAYWIZ_WINE_EXE"),
		linux:  os.Getenv("RELAYWIZ_LINUX_EXE"),
		prefix: os.Getenv("WINEPREFIX"),
	}
	home, _ := os.UserHomeDir()
	switch {
	case w.exe == "" || w.linux == "" || w.prefix == "":
		msg := "Wine black-box environment (RELAYWIZ_WINE_EXE, RELAYWIZ_LINUX_EXE, WINEPREFIX) not set: run `make test-windows`"
		if testpeers.InCI() {
			t.Fatal("integration peer missing under CI: " + msg)
		}
		t.Skip(msg)
	case w.prefix == filepath.Join(home, ".wine"):
		t.Fatal("WINEPREFIX is the user's own prefix; the tests only run in a throwaway one")
	}
	return w
}

// winPath is a Unix path as the Windows process sees it (Wine's Z: drive).
func winPath(p string) string { return "Z:" + strings.ReplaceAll(p, "/", `\`) }

// cDrive maps C:\dir\... in the prefix back to the Unix path.
func (w wineEnv) cDrive(rel string) string {
	return filepath.Join(w.prefix, "drive_c", filepath.FromSlash(rel))
}

// run starts relaywiz.exe under Wine, one process per call.
func (w wineEnv) run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runProg(t, w.wine, stdin, append([]string{w.exe}, args...)...)
}

func runProg(t *testing.T, prog, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("%s %s: %v (ctx %v)\nstderr: %s", filepath.Base(prog), strings.Join(args, " "), err, ctx.Err(), errb.String())
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

func unique() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkReport is the part of `check --json` the tests read.
type checkReport struct {
	OK    bool `json:"ok"`
	Ports []struct {
		Port     int    `json:"port"`
		OK       bool   `json:"ok"`
		Auth     string `json:"auth"`
		AuthNote string `json:"auth_note"`
		TLS      *struct {
			Version  string `json:"version"`
			Verified bool   `json:"verified"`
		} `json:"tls"`
	} `json:"ports"`
}

func (w wineEnv) check(t *testing.T, m testpeers.MTA, stdin string, extra ...string) (checkReport, string, int) {
	t.Helper()
	args := append([]string{"check", "--smart-host", m.Host, "--tls-server-name", m.ServerName,
		"--ca-file", winPath(m.CAFile), "--json"}, extra...)
	out, errs, code := w.run(t, stdin, args...)
	var r checkReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("check --json under Wine: not JSON (%v), exit %d:\n%s\nstderr: %s", err, code, out, errs)
	}
	return r, out + errs, code
}

func TestWineVersion(t *testing.T) {
	w := requireWine(t)
	out, _, code := w.run(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "relaywiz ") || !strings.Contains(out, "windows/amd64)") {
		t.Fatalf("--version under Wine: exit %d, %q", code, out)
	}
}

// check against the real Postfix smart host: both ports, STARTTLS with the
// certificate verified against the test CA, AUTH LOGIN over Winsock.
func TestWineCheckTLSAndAuth(t *testing.T) {
	w := requireWine(t)
	m := testpeers.RequireMTA(t)
	r, all, code := w.check(t, m, m.Password+"\n", "--user", m.User, "--password-stdin")
	if code != 0 || !r.OK || len(r.Ports) != 2 {
		t.Fatalf("check under Wine: exit %d, ok %v, %d ports:\n%s", code, r.OK, len(r.Ports), all)
	}
	// One login per run (as on Linux): the first port ready logs in, the
	// other says the password was already accepted there.
	logins := 0
	for _, p := range r.Ports {
		if !p.OK || p.TLS == nil || !p.TLS.Verified {
			t.Errorf("port %d: ok %v, tls %+v; want TLS verified", p.Port, p.OK, p.TLS)
		}
		switch {
		case p.Auth == "ok":
			logins++
		case p.Auth == "skipped" && strings.Contains(p.AuthNote, "accepted on port"):
		default:
			t.Errorf("port %d: auth %q note %q; want ok, or not repeated after a login on the other port", p.Port, p.Auth, p.AuthNote)
		}
	}
	if logins != 1 {
		t.Errorf("%d logins across the ports, want exactly one", logins)
	}
	if strings.Contains(all, m.Password) {
		t.Fatal("the password appears in check's output")
	}
	// A wrong password is refused with the documented exit status.
	_, _, code = w.check(t, m, "wrong-"+m.Password+"\n", "--ports", "587", "--user", m.User, "--password-stdin")
	if code != 28 {
		t.Fatalf("check with a wrong password under Wine: exit %d, want 28", code)
	}
}

// creds in Wine's Credential Manager: stored by one process, found by a
// second, used by a third (check reads it and Postfix accepts the login:
// the secret came back intact), removed by a fourth.
func TestWineCredsRoundTripInCredentialManager(t *testing.T) {
	w := requireWine(t)
	m := testpeers.RequireMTA(t)
	key := []string{"--smart-host", m.Host, "--user", m.User}
	w.run(t, "", append([]string{"creds", "delete"}, key...)...)
	t.Cleanup(func() { w.run(t, "", append([]string{"creds", "delete"}, key...)...) })

	if _, _, code := w.run(t, "", append([]string{"creds", "status"}, key...)...); code != 1 {
		t.Fatalf("creds status before set: exit %d, want 1 (not stored)", code)
	}
	out, errs, code := w.run(t, m.Password+"\n", append([]string{"creds", "set", "--password-stdin"}, key...)...)
	if code != 0 || !strings.Contains(out+errs, "Credential Manager") {
		t.Fatalf("creds set: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, m.Password) {
		t.Fatal("creds set printed the password")
	}
	if out, _, code := w.run(t, "", append([]string{"creds", "status"}, key...)...); code != 0 || !strings.Contains(out, "relaywiz/"+m.Host+":"+m.User) {
		t.Fatalf("creds status after set (a second process): exit %d, %q", code, out)
	}
	r, all, code := w.check(t, m, "", "--ports", "587", "--user", m.User)
	if code != 0 || len(r.Ports) != 1 || r.Ports[0].Auth != "ok" {
		t.Fatalf("check with the password from Credential Manager: exit %d\n%s", code, all)
	}
	if _, _, code := w.run(t, "", append([]string{"creds", "delete"}, key...)...); code != 0 {
		t.Fatalf("creds delete: exit %d", code)
	}
	if _, _, code := w.run(t, "", append([]string{"creds", "status"}, key...)...); code != 1 {
		t.Fatalf("creds status after delete: exit %d, want 1", code)
	}
	if r, all, _ := w.check(t, m, "", "--ports", "587", "--user", m.User); len(r.Ports) != 1 || r.Ports[0].Auth != "skipped" {
		t.Fatalf("check after delete: auth should be skipped (nothing stored):\n%s", all)
	}
}

// steps --out C:\... writes the files Windows tools expect (UTF-8 BOM + CRLF
// for .ps1, UTF-16LE BOM + CRLF for .reg), byte for byte what the Linux
// build writes.
func TestWineStepsOutEncodings(t *testing.T) {
	w := requireWine(t)
	dir := "relaywiz-steps-" + unique()
	t.Cleanup(func() { os.RemoveAll(w.cDrive(dir)) })
	out, errs, code := w.run(t, "", "steps", "--scenario", "pams-onprem", "--out", `C:\`+dir+`\pams`)
	if code != 0 {
		t.Fatalf("steps --out under Wine: exit %d\n%s%s", code, out, errs)
	}
	ref := t.TempDir()
	if _, errs, code := runProg(t, w.linux, "", "steps", "--scenario", "pams-onprem", "--out", ref); code != 0 {
		t.Fatalf("reference steps --out (Linux): exit %d: %s", code, errs)
	}
	for _, name := range []string{"checklist.md", "apply.ps1", "undo.ps1", "verify.ps1", "pams.reg"} {
		got, err := os.ReadFile(filepath.Join(w.cDrive(dir), "pams", name))
		if err != nil {
			t.Fatalf("%s not written under Wine: %v", name, err)
		}
		want, err := os.ReadFile(filepath.Join(ref, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: Wine wrote %d bytes that differ from the Linux build's %d", name, len(got), len(want))
		}
		switch {
		case strings.HasSuffix(name, ".ps1"):
			if !bytes.HasPrefix(got, []byte("\xef\xbb\xbf")) || bytes.Count(got, []byte("\n")) != bytes.Count(got, []byte("\r\n")) {
				t.Errorf("%s: want a UTF-8 BOM and CRLF line ends only", name)
			}
		case name == "pams.reg":
			if !bytes.HasPrefix(got, []byte{0xff, 0xfe}) || !bytes.Contains(got, []byte("\r\x00\n\x00")) ||
				!bytes.HasPrefix(got[2:], []byte("W\x00i\x00n\x00d\x00o\x00w\x00s\x00")) {
				t.Errorf("pams.reg: want UTF-16LE with BOM and CRLF, starting %q", got[:min(len(got), 24)])
			}
		}
	}
}

// send through the embedded relay on Winsock to the real smart host; the
// message lands in the sink Maildir, and headers (run under Wine on that
// very file) reads its route the same way the Linux build does.
func TestWineSendThenHeaders(t *testing.T) {
	w := requireWine(t)
	m := testpeers.RequireMTA(t)
	local := "wine-" + unique()
	subject := "relaywiz wine " + local
	out, errs, code := w.run(t, m.Password+"\n", "send", "--upstream", m.Addr587(), "--tls-server-name", m.ServerName,
		"--ca-file", winPath(m.CAFile), "--user", m.User, "--password-stdin",
		"--to", local+"@"+m.SinkDomain, "--subject", subject)
	if code != 0 {
		t.Fatalf("send under Wine: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, m.Password) {
		t.Fatal("send printed the password")
	}
	var eml string
	for deadline := time.Now().Add(30 * time.Second); eml == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(m.MaildirFor(local), "*")); len(files) > 0 {
			eml = files[0]
		}
	}
	if eml == "" {
		t.Fatalf("no message in %s after send reported success:\n%s%s", m.MaildirFor(local), out, errs)
	}
	data, err := os.ReadFile(eml)
	if err != nil || !bytes.Contains(data, []byte("Subject: "+subject)) {
		t.Fatalf("delivered message lacks the subject (%v)", err)
	}

	args := []string{"headers", "--json", "--provider-host", m.ServerName}
	got, gerrs, gcode := w.run(t, "", append(args, winPath(eml))...)
	want, _, wcode := runProg(t, w.linux, "", append(args, eml)...)
	if gcode != wcode || got != want {
		t.Fatalf("headers under Wine: exit %d, Linux build: exit %d; outputs differ:\nwine:  %s%s\nlinux: %s", gcode, wcode, got, gerrs, want)
	}
	if !strings.Contains(got, m.ServerName) {
		t.Fatalf("headers did not find the smart host's hop:\n%s", got)
	}
}

// The wizard starts in a Wine console inside tmux and draws its first
// screen; ctrl+c ends it. What this can and cannot prove is written down in
// README (Development → Windows under Wine).
func TestWineWizardFirstScreen(t *testing.T) {
	w := requireWine(t)
	tmux := testpeers.RequireTool(t, "tmux")
	sock := "relaywiz-wine-" + unique()
	tm := func(args ...string) string {
		out, _ := exec.Command(tmux, append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out)
	}
	t.Cleanup(func() { tm("kill-server") })
	profile := `C:\relaywiz-wizard-` + unique() + `\profile.json`
	// The shell around it prints relaywiz's exit status and keeps the pane
	// open, so the status can be read after the program is gone.
	cmdline := "env TERM=xterm-256color WINEDEBUG=-all WINEPREFIX='" + w.prefix + "' '" + w.wine + "' '" + w.exe +
		"' --profile '" + profile + "'; echo relaywiz-exit=$?; sleep 600"
	tm("new-session", "-d", "-s", "wiz", "-x", "100", "-y", "30", cmdline)

	screen := ""
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		screen = tm("capture-pane", "-p", "-t", "wiz")
		if strings.Contains(screen, "ctrl+c quit") {
			break
		}
	}
	for _, want := range []string{"Where should sensitive mail leave Exchange?", "> Zivver PAMS, Exchange on-premises",
		"Cryptshare Mail Gateway, Microsoft 365", "Pick this when:", "ctrl+c quit"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("first screen in the Wine console lacks %q:\n%s", want, screen)
		}
	}
	if !strings.Contains(screen, "Step 1 of 8") {
		// Known Wine console behaviour, documented: a full-height frame
		// scrolls the top line away in Wine's tty console.
		t.Logf("header line not on the Wine console (scrolled away); first screen otherwise complete")
	}
	// ctrl+c is tried, and what happened is logged, but not judged: in
	// Wine's tty console it quits with 130 in most runs and is not delivered
	// at all in others (flaky, also with a fresh wineserver), which says
	// nothing about Windows. Quitting is tested on Linux (tui/tmux_test.go);
	// README lists this under what Wine's console cannot tell.
	exited := regexp.MustCompile(`relaywiz-exit=(\d+)`)
	tm("send-keys", "-t", "wiz", "C-c")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if m := exited.FindStringSubmatch(tm("capture-pane", "-p", "-t", "wiz")); m != nil {
			t.Logf("Wine console: the wizard ended on ctrl+c with exit status %s", m[1])
			return
		}
	}
	t.Logf("Wine console: ctrl+c did not reach the wizard within 5 s (known Wine console flakiness; the pane is killed)")
}
