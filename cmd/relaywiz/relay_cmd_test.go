package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"relaywiz/creds"
	"relaywiz/relay"
)

// lockedBuffer is a bytes.Buffer safe to read while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func relayTestApp(stdin string, store creds.Store) (*app, *lockedBuffer, *lockedBuffer) {
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	if store == nil {
		store = creds.NewMemory()
	}
	return &app{
		stdin:  strings.NewReader(stdin),
		stdout: out,
		stderr: errb,
		getenv: func(string) string { return "" },
		store:  func() creds.Store { return store },
	}, out, errb
}

func startCmdLab(t *testing.T) *relay.Lab {
	t.Helper()
	lab, err := relay.StartLab(context.Background(), relay.LabOptions{Listen: "127.0.0.1:0", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestRelayCmdBadInputIsUsageError(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"relay", "--listen", "0.0.0.0:2525", "--upstream", "127.0.0.1:2587"}, "--allow-remote"},
		{[]string{"relay", "--listen", "192.0.2.7:2525", "--upstream", "127.0.0.1:2587"}, "loopback"},
		{[]string{"relay", "--listen", "0.0.0.0:2525", "--allow-remote", "--upstream", "127.0.0.1:2587"}, "--client-user"},
		{[]string{"relay", "--client-user", "x", "--upstream", "127.0.0.1:2587"}, "--allow-remote"},
		{[]string{"relay"}, "--smart-host"},
		{[]string{"relay", "--smart-host", "bad host"}, "--smart-host"},
		{[]string{"relay", "--smart-host", "127.0.0.1", "--port", "0"}, "--port"},
		{[]string{"relay", "--smart-host", "127.0.0.1", "--upstream", "127.0.0.1:2587"}, "not both"},
		{[]string{"relay", "--host", "bad host"}, "--smart-host"}, // the old name of --smart-host
		{[]string{"relay", "--upstream", "smtp.example.com:0"}, "--upstream"},
		{[]string{"relay", "--upstream", "smtp.example.com:x"}, "--upstream"},
		{[]string{"relay", "--upstream", "127.0.0.1:2587", "--ca-file", "/nonexistent/ca.pem"}, "--ca-file"},
		{[]string{"relay", "--upstream", "127.0.0.1:2587", "--max-size-mb", "0"}, "--max-size-mb"},
		{[]string{"send", "--upstream", "127.0.0.1:2587"}, "--to"},
		{[]string{"send", "--upstream", "127.0.0.1:2587", "--to", "x@example.org", "--trigger", "label"}, "--trigger"},
		{[]string{"send", "--upstream", "127.0.0.1:2587", "--to", "x@example.org", "--header", "Subject: x"}, "--header"},
		{[]string{"send", "--upstream", "127.0.0.1:2587", "--to", "x@example.org", "--header", "NoColon"}, "--header"},
		{[]string{"send", "--upstream", "127.0.0.1:2587", "--to", "not-an-address"}, "--to"},
		{[]string{"send", "--upstream", "127.0.0.1:2587", "--to", "x@example.org", "--from", "nobody"}, "--from"},
		{[]string{"send", "--upstream", "127.0.0.1:2587", "--to", "x@example.org", "--attach-mb", "-1"}, "--attach-mb"},
		{[]string{"lab", "--listen", "0.0.0.0:2587"}, "--listen"},
	}
	for _, c := range cases {
		a, _, errb := relayTestApp("", nil)
		code := run(context.Background(), a, c.args)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 64 naming %s", c.args, code, errb, c.want)
		}
	}
}

func labArgs(lab *relay.Lab) []string {
	host, port, _ := net.SplitHostPort(lab.Addr)
	return []string{"--smart-host", host, "--port", port, "--ca-file", lab.CAFile, "--user", lab.User}
}

func TestSendCmdToLab(t *testing.T) {
	lab := startCmdLab(t)
	a, out, errb := relayTestApp(lab.Password+"\n", nil)
	args := append([]string{"send", "--password-stdin", "--to", "ext@example.org", "--trigger", "pams"}, labArgs(lab)...)
	if code := run(context.Background(), a, args); code != 0 {
		t.Fatalf("send to lab: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	files, _ := filepath.Glob(filepath.Join(lab.Dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("lab holds %d messages", len(files))
	}
	id := strings.TrimSuffix(filepath.Base(files[0]), ".eml")
	o := out.String()
	for _, want := range []string{"Accepted by " + lab.Addr, "queue id    " + id, "auth", "tls", "password from stdin"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	eml, _ := os.ReadFile(files[0])
	if !bytes.Contains(eml, []byte("\r\nzivver-relay: zivver-message-info\r\n")) {
		t.Error("--trigger pams header missing from the delivered message")
	}
	if strings.Contains(o+errb.String(), lab.Password) {
		t.Error("the password appears in the output")
	}
}

func TestSendCmdPasswordFromKeyringAndFailures(t *testing.T) {
	lab := startCmdLab(t)
	host, _, _ := net.SplitHostPort(lab.Addr)

	// Nothing stored, no terminal: say how to store it.
	a, out, errb := relayTestApp("", nil)
	code := run(context.Background(), a, append([]string{"send", "--to", "ext@example.org"}, labArgs(lab)...))
	if code != exitFailure || !strings.Contains(errb.String(), "relaywiz creds set --smart-host "+host+" --user "+lab.User) {
		t.Errorf("no stored password: exit %d, stderr %q", code, errb)
	}

	// Stored in the keyring: used without --password-stdin.
	store := creds.NewMemory()
	if err := store.Set(context.Background(), host, lab.User, []byte(lab.Password)); err != nil {
		t.Fatal(err)
	}
	a, out, errb = relayTestApp("", store)
	if code := run(context.Background(), a, append([]string{"send", "--to", "ext@example.org"}, labArgs(lab)...)); code != 0 {
		t.Fatalf("keyring password: exit %d\n%s\n%s", code, out, errb)
	}
	if !strings.Contains(out.String(), "password from keyring") {
		t.Errorf("output does not say where the password came from:\n%s", out)
	}

	// Wrong password: refused at MAIL FROM, exit 28 like `check`.
	a, out, _ = relayTestApp("wrong\n", nil)
	code = run(context.Background(), a, append([]string{"send", "--password-stdin", "--to", "ext@example.org"}, labArgs(lab)...))
	if code != 28 || !strings.Contains(out.String(), "NOT delivered (failed at mail, smart host stage auth)") || !strings.Contains(out.String(), "hint:") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}

	// Untrusted certificate (no --ca-file): exit 29.
	a, out, _ = relayTestApp(lab.Password+"\n", nil)
	code = run(context.Background(), a, []string{"send", "--password-stdin", "--to", "ext@example.org", "--upstream", lab.Addr, "--user", lab.User})
	if code != 29 {
		t.Errorf("untrusted certificate: exit %d, want 29\n%s", code, out)
	}

	// Bigger than --max-size-mb: refused at MAIL FROM (exit 23), nothing stored.
	a, out, _ = relayTestApp(lab.Password+"\n", nil)
	code = run(context.Background(), a, append([]string{"send", "--password-stdin", "--to", "ext@example.org", "--attach-mb", "2", "--max-size-mb", "1"}, labArgs(lab)...))
	if code != 23 || !strings.Contains(out.String(), "552") {
		t.Errorf("oversize: exit %d, want 23 with 552\n%s", code, out)
	}
	// The hint blames relaywiz's own limit and gives the encoded size, not Exchange.
	if o := out.String(); !strings.Contains(o, "--max-size-mb 1") || !strings.Contains(o, "2.7 MB once encoded") || strings.Contains(o, "Get-TransportConfig") {
		t.Errorf("oversize hint must name --max-size-mb and the encoded size:\n%s", o)
	}
	if n := lab.Received(); n != 1 {
		t.Errorf("lab received %d messages, want only the keyring one", n)
	}
}

// runRelayCmd runs `relaywiz relay` in-process on a free port and returns
// its address once it listens.
func runRelayCmd(t *testing.T, stdin string, args ...string) (addr string, out, errb *lockedBuffer, done <-chan int, cancel context.CancelFunc) {
	t.Helper()
	a, out, errb := relayTestApp(stdin, nil)
	addr, done, cancel = startRelayCmd(t, a, errb, args...)
	return addr, out, errb, done, cancel
}

// startRelayCmd is runRelayCmd with the caller's app.
func startRelayCmd(t *testing.T, a *app, errb *lockedBuffer, args ...string) (addr string, done <-chan int, cancel context.CancelFunc) {
	t.Helper()
	addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan int, 1)
	go func() { ch <- run(ctx, a, append([]string{"relay", "--listen", addr}, args...)) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "listening on") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("relay did not start: %s", errb)
		}
		select {
		case code := <-ch:
			t.Fatalf("relay exited %d: %s", code, errb)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Cleanup(cancel)
	return addr, ch, cancel
}

func sendOne(t *testing.T, addr string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.SendMail("a@example.com", []string{"b@example.org"}, strings.NewReader("Subject: once\r\n\r\nbody\r\n"))
	c.Quit()
	return err
}

func TestRelayCmdOnce(t *testing.T) {
	lab := startCmdLab(t)
	addr, out, errb, done, _ := runRelayCmd(t, lab.Password+"\n", append([]string{"--once", "--password-stdin", "--json-log"}, labArgs(lab)...)...)
	if err := sendOne(t, addr); err != nil {
		t.Fatalf("send through relay --once: %v", err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("--once after an accepted message: exit %d\n%s", code, errb)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--once did not exit after the message")
	}
	if !strings.HasPrefix(out.String(), "{") || !strings.Contains(out.String(), `"accepted":true`) || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("want one JSON log line, got %q", out)
	}
	if strings.Contains(out.String()+errb.String(), lab.Password) {
		t.Error("password in output")
	}
}

func TestRelayCmdOnceFailsWithStageCode(t *testing.T) {
	lab := startCmdLab(t)
	addr, out, _, done, _ := runRelayCmd(t, "wrong-password\n", append([]string{"--once", "--password-stdin"}, labArgs(lab)...)...)
	err := sendOne(t, addr)
	var se *smtp.SMTPError
	if !asSMTP(err, &se) || se.Code != 451 || !strings.Contains(se.Message, "authentication") {
		t.Fatalf("client got %v, want 451 naming authentication", err)
	}
	select {
	case code := <-done:
		if code != 28 {
			t.Errorf("--once after an upstream auth failure: exit %d, want 28", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--once did not exit")
	}
	if !strings.Contains(out.String(), "result=failed step=mail upstream_stage=auth") {
		t.Errorf("session line: %q", out)
	}
}

func asSMTP(err error, target **smtp.SMTPError) bool {
	se, ok := err.(*smtp.SMTPError)
	if ok {
		*target = se
	}
	return ok
}

func TestLabCmdPrintsWhatSendNeeds(t *testing.T) {
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	a, out, errb := relayTestApp("", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, a, []string{"lab", "--listen", addr, "--dir", dir, "--user", "tester"}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl+C") {
		if time.Now().After(deadline) {
			t.Fatalf("lab did not start: %s %s", out, errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	o := out.String()
	ca := filepath.Join(dir, relay.LabCAFileName)
	for _, want := range []string{"listening  " + addr, "CA file    " + ca, "user       tester", "password   ", "relaywiz send --smart-host 127.0.0.1 --port " + addr[len("127.0.0.1:"):] + " --ca-file " + ca + " \\\n      --user tester"} {
		if !strings.Contains(o, want) {
			t.Errorf("lab output lacks %q:\n%s", want, o)
		}
	}
	if _, err := os.Stat(ca); err != nil {
		t.Errorf("CA file: %v", err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("lab after Ctrl+C: exit %d", code)
	}
}

// On a terminal with nothing stored, send asks for the password (hidden)
// instead of failing.
func TestSendCmdAsksForPasswordOnTerminal(t *testing.T) {
	lab := startCmdLab(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	saved := readHidden
	defer func() { readHidden = saved }()
	asked := 0
	readHidden = func(f *os.File) ([]byte, error) {
		asked++
		if f != r {
			t.Error("the prompt did not read from stdin")
		}
		return []byte(lab.Password), nil
	}
	a, out, errb := relayTestApp("", nil)
	a.stdin, a.stdinTTY = r, true
	if code := run(context.Background(), a, append([]string{"send", "--to", "ext@example.org"}, labArgs(lab)...)); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	if asked != 1 || !strings.Contains(errb.String(), "Password for relaywiz on 127.0.0.1 (not echoed)") || !strings.Contains(out.String(), "password from terminal") {
		t.Errorf("asked %d times; stderr %q", asked, errb)
	}
}
