package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"relaywiz/creds"
)

func TestCheckBadInputIsUsageError(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--smart-host", "bad host"}, "--smart-host"},
		{[]string{"--smart-host", "smtp..example.com"}, "--smart-host"},
		{[]string{"--smart-host", "smtp.zivver.com:587"}, "--smart-host"},
		{[]string{"--smart-host", ""}, "--smart-host"},
		{[]string{"--host", "bad host"}, "--smart-host"}, // the old name is read as the new one
		{[]string{"--ports", "0"}, "--ports"},
		{[]string{"--ports", "70000"}, "--ports"},
		{[]string{"--ports", "25,smtp"}, "--ports"},
		{[]string{"--ports", "25,,587"}, "--ports"},
		{[]string{"--ports", "garbage"}, "--ports"},
		{[]string{"--ca-file", filepath.Join(t.TempDir(), "missing.pem")}, "--ca-file"},
		{[]string{"--ca-file", notPEM}, "--ca-file"},
		{[]string{"--timeout", "0s"}, "--timeout"},
		{[]string{"--timeout", "soon"}, "--timeout"},
		{[]string{"--password-stdin"}, "--password-stdin"},
		{[]string{"--ehlo", "exch 01"}, "--ehlo"},
		{[]string{"--tls-server-name", "not a name"}, "--tls-server-name"},
		{[]string{"extra-arg"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			a, out, errb := checkTestApp("", nil, nil)
			code := run(context.Background(), a, append([]string{"check"}, tc.args...))
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errb)
			}
			if !strings.Contains(errb.String(), tc.flag) {
				t.Errorf("message does not name %s: %q", tc.flag, errb)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty on usage error: %q", out)
			}
		})
	}
}

func TestCheckJSONDocumentShape(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp(fakePass+"\n", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port),
		"--ca-file", ca, "--user", fakeUser, "--password-stdin", "--json"})
	if code != 0 {
		t.Fatalf("exit %d; stdout %s stderr %s", code, out, errb)
	}
	// Exactly one JSON document and nothing else on stdout.
	dec := json.NewDecoder(strings.NewReader(out.String()))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one document on stdout:\n%s", out)
	}
	assertKeys(t, "report", doc, "host", "as", "ok", "ms", "ports")
	if doc["as"] != "exchange-server" {
		t.Errorf(`"as" = %v, want "exchange-server" (the default dialect)`, doc["as"])
	}
	ports := doc["ports"].([]any)
	p := ports[0].(map[string]any)
	assertKeys(t, "port", p, "port", "ok", "stages", "starttls", "tls", "auth_mechanisms", "size_limit", "auth")
	assertKeys(t, "tls", p["tls"].(map[string]any), "version", "cipher", "verified", "verify_error", "subject", "sans", "issuer", "not_after", "days_left", "sni")
	for _, s := range p["stages"].([]any) {
		assertKeys(t, "stage", s.(map[string]any), "name", "ok", "ms", "detail", "hint")
	}
	if doc["ok"] != true || p["auth"] != "ok" || p["port"] != float64(port) || p["starttls"] != true || p["tls"].(map[string]any)["sni"] != false {
		t.Errorf("unexpected values: %s", out)
	}
	if strings.Contains(out.String()+errb.String(), fakePass) {
		t.Fatal("the password appears in the output")
	}
}

func assertKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s keys %v, want %v", what, got, want)
	}
}

func TestCheckHumanOutputPlainWhenNotATerminal(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--verbose"})
	if code != 0 {
		t.Fatalf("exit %d; %s %s", code, out, errb)
	}
	for _, want := range []string{"✓ dns", "✓ ehlo_tls", "skipped (no --user given)", "OK:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "\x1b[") || strings.Contains(errb.String(), "\x1b[") {
		t.Errorf("ANSI escapes without a terminal:\n%q", out.String())
	}
	// --verbose: the transcript goes to stderr, never to stdout.
	if !strings.Contains(errb.String(), "-> STARTTLS") || !strings.Contains(errb.String(), "~> EHLO") || strings.Contains(out.String(), "-> STARTTLS") {
		t.Errorf("transcript not on stderr:\nstderr %s\nstdout %s", errb, out)
	}
}

func TestCheckColourOnTerminalButNotWithNO_COLOR(t *testing.T) {
	port, ca := startCheckFake(t)
	for _, noColor := range []bool{false, true} {
		env := map[string]string{}
		if noColor {
			env["NO_COLOR"] = "1"
		}
		a, out, _ := checkTestApp("", nil, env)
		a.stdoutTTY = true
		run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca})
		if has := strings.Contains(out.String(), "\x1b["); has == noColor {
			t.Errorf("NO_COLOR=%v: colour escapes present=%v\n%q", noColor, has, out.String())
		}
	}
}

func TestCheckPasswordFromKeyring(t *testing.T) {
	port, ca := startCheckFake(t)
	store := creds.NewMemory()
	if err := store.Set(context.Background(), "127.0.0.1", fakeUser, []byte(fakePass)); err != nil {
		t.Fatal(err)
	}
	a, out, errb := checkTestApp("", store, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--user", fakeUser, "--json"})
	if code != 0 || !strings.Contains(out.String(), `"auth": "ok"`) {
		t.Fatalf("exit %d; %s %s", code, out, errb)
	}
}

// Regression (trust defect 1): --user without a password used to print no
// auth line and "OK: every stage passed", exit 0.
func TestCheckNoPasswordIsNotRunAndNotOK(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("", creds.NewMemory(), nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--user", fakeUser})
	if code != 28 {
		t.Fatalf("exit %d, want 28; %s %s", code, out, errb)
	}
	text := out.String()
	if !strings.Contains(text, "- auth") || !strings.Contains(text, "not run") || !strings.Contains(text, "creds set") || strings.Contains(text, "OK: every stage passed") {
		t.Errorf("want the auth stage shown as not run, with the fix, and no OK:\n%s", text)
	}
	if !strings.Contains(text, "454 4.7.0") {
		t.Errorf("want Exchange's error for a connector without credentials:\n%s", text)
	}
}

// On a terminal a missing password is asked for, as send does.
func TestCheckNoPasswordAsksOnATerminal(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("", creds.NewMemory(), nil)
	tty, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	a.stdin, a.stdinTTY = tty, true
	asked := 0
	old := readHidden
	readHidden = func(*os.File) ([]byte, error) { asked++; return []byte(fakePass), nil }
	defer func() { readHidden = old }()
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--user", fakeUser, "--json"})
	if code != 0 || asked != 1 || !strings.Contains(out.String(), `"auth": "ok"`) || !strings.Contains(errb.String(), "Password for "+fakeUser) {
		t.Fatalf("exit %d asked %d; %s %s", code, asked, out, errb)
	}
}

func TestCheckWrongPasswordExit28(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("not-it\n", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--user", fakeUser, "--password-stdin"})
	if code != 28 || !strings.Contains(out.String(), "hint:") || !strings.Contains(out.String(), "535") {
		t.Fatalf("exit %d; %s %s", code, out, errb)
	}
}

func TestCheckFirstFailingStageDecidesExit(t *testing.T) {
	// One port passes, one is closed: connect (2) decides.
	port, ca := startCheckFake(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	a, out, errb := checkTestApp("", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprintf("%d,%d", port, closed), "--ca-file", ca})
	if code != 2 || !strings.Contains(out.String(), "refused") || !strings.Contains(out.String(), fmt.Sprintf("Port %d works", port)) {
		t.Fatalf("exit %d; %s %s", code, out, errb)
	}
}

// --insecure-skip-verify must say that it keeps the password back.
func TestCheckHelpInsecureNeverSendsPassword(t *testing.T) {
	a, out, _ := checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	flat := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"--insecure-skip-verify", "never sends the password to an unverified server"} {
		if !strings.Contains(flat, want) {
			t.Errorf("check --help lacks %q:\n%s", want, out)
		}
	}
}

// The JSON "auth" field tells "keyring unavailable" from "nothing stored".
func TestCheckJSONAuthUnavailableWhenKeyringUnavailable(t *testing.T) {
	port, ca := startCheckFake(t)
	args := []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--user", fakeUser, "--json"}
	for _, tc := range []struct {
		name  string
		store creds.Store
		want  string
	}{
		{"keyring unavailable", failingStore{err: errLockedForTest}, "unavailable"},
		{"not stored", creds.NewMemory(), "skipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, out, errb := checkTestApp("", tc.store, nil)
			code := run(context.Background(), a, args)
			var doc struct {
				Ports []struct {
					Auth string `json:"auth"`
				} `json:"ports"`
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Ports) != 1 {
				t.Fatalf("exit %d, not the JSON document (%v): %s %s", code, err, out, errb)
			}
			if doc.Ports[0].Auth != tc.want {
				t.Errorf("auth %q, want %q", doc.Ports[0].Auth, tc.want)
			}
			if code != 28 || !strings.Contains(errb.String(), "AUTH skipped") {
				t.Errorf("exit %d, stderr %q: want 28 (AUTH asked for, not run) and the note", code, errb)
			}
		})
	}
}

// --ports takes the same list syntax as the wizard and doctor.
func TestCheckPortsSpaceSeparated(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprintf("%d %d", port, port), "--ca-file", ca, "--json"})
	if code != 0 || strings.Count(out.String(), `"port":`) != 1 {
		t.Fatalf("exit %d: %s %s", code, out, errb)
	}
	a, _, errb = checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--ports", "25,465,587,2525,26"}); code != exitUsage || !strings.Contains(errb.String(), "--ports") {
		t.Fatalf("five ports: exit %d, stderr %q", code, errb)
	}
}

// Every diagnostic command's --help says what its exit status means.
func TestHelpHasExitStatusSection(t *testing.T) {
	for _, cmd := range []string{"check", "creds", "doctor", "headers", "explain", "steps"} {
		a, out, _ := checkTestApp("", nil, nil)
		if code := run(context.Background(), a, []string{cmd, "--help"}); code != 0 {
			t.Fatalf("%s --help: exit %d", cmd, code)
		}
		help := out.String()
		if !strings.Contains(help, "Exit status") || !strings.Contains(help, "64") {
			t.Errorf("%s --help has no exit status section:\n%s", cmd, help)
		}
	}
}

// A failing stage carries the error Exchange's queue will show.
func TestCheckJSONExchangeErrorPerFailure(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("wrong\n", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port),
		"--ca-file", ca, "--user", fakeUser, "--password-stdin", "--json"})
	var doc struct {
		As    string `json:"as"`
		Ports []struct {
			Stages []map[string]any `json:"stages"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || code != 28 || len(doc.Ports) != 1 {
		t.Fatalf("exit %d (%v): %s %s", code, err, out, errb)
	}
	st := doc.Ports[0].Stages[len(doc.Ports[0].Stages)-1]
	want := `451 4.4.0 Primary target IP address responded with: "535 5.7.8 Authentication failed"`
	if st["name"] != "auth" || st["exchange_error"] != want {
		t.Errorf("auth stage %v, want exchange_error %q", st, want)
	}
	for _, s := range doc.Ports[0].Stages[:len(doc.Ports[0].Stages)-1] {
		if _, has := s["exchange_error"]; has {
			t.Errorf("a passing stage has an exchange_error: %v", s)
		}
	}
}

// --as exchange-online refuses --user and other ports (exit 64, saying why).
func TestCheckOnlineRefusesUserAndPorts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--as", "exchange-online", "--user", "relay@example.com"}, "cannot log in"},
		{[]string{"--as", "exchange-online", "--ports", "587"}, "port 25"},
		{[]string{"--as", "exchange-2010"}, "--as"},
	} {
		a, out, errb := checkTestApp("", nil, nil)
		code := run(context.Background(), a, append([]string{"check"}, tc.args...))
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d stderr %q", tc.args, code, errb)
		}
	}
}

// Regression (trust defect 5): --insecure-skip-verify ended in "OK: every
// stage passed", exit 0.
func TestCheckInsecureSkipVerifyIsNeverOK(t *testing.T) {
	port, _ := startCheckFake(t) // no --ca-file: the certificate is untrusted
	a, out, errb := checkTestApp("", nil, nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--insecure-skip-verify"})
	if code != 29 || strings.Contains(out.String(), "OK: every stage passed") || !strings.Contains(out.String(), "NOT OK") {
		t.Fatalf("exit %d; %s %s", code, out, errb)
	}
}

func TestCheckHelpListsDialectsAndExchangeErrors(t *testing.T) {
	a, out, _ := checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"exchange-server", "exchange-online", "generic", "451 5.7.3 Require basic authentication",
		"451 5.7.3 Require STARTTLS to do basic authentication", "454 4.7.0", "454 4.7.5 Certificate validation failure", "INFERRED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check --help lacks %q", want)
		}
	}
}
