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
		{[]string{"--host", "bad host"}, "--host"},
		{[]string{"--host", "smtp..example.com"}, "--host"},
		{[]string{"--host", "smtp.zivver.com:587"}, "--host"},
		{[]string{"--host", ""}, "--host"},
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
	assertKeys(t, "report", doc, "host", "ok", "ms", "ports")
	ports := doc["ports"].([]any)
	p := ports[0].(map[string]any)
	assertKeys(t, "port", p, "port", "ok", "stages", "starttls", "tls", "auth_mechanisms", "size_limit", "auth")
	assertKeys(t, "tls", p["tls"].(map[string]any), "version", "cipher", "verified", "verify_error", "subject", "sans", "issuer", "not_after", "days_left")
	for _, s := range p["stages"].([]any) {
		assertKeys(t, "stage", s.(map[string]any), "name", "ok", "ms", "detail", "hint")
	}
	if doc["ok"] != true || p["auth"] != "ok" || p["port"] != float64(port) || p["starttls"] != true {
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

func TestCheckNoPasswordSkipsAuthWithNote(t *testing.T) {
	port, ca := startCheckFake(t)
	a, out, errb := checkTestApp("", creds.NewMemory(), nil)
	code := run(context.Background(), a, []string{"check", "--host", "127.0.0.1", "--ports", fmt.Sprint(port), "--ca-file", ca, "--user", fakeUser})
	if code != 0 {
		t.Fatalf("exit %d; %s %s", code, out, errb)
	}
	if !strings.Contains(out.String(), "AUTH skipped") || !strings.Contains(out.String(), "creds set") {
		t.Errorf("no note explaining the skipped AUTH:\n%s", out)
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
			if code != 0 || !strings.Contains(errb.String(), "AUTH skipped") {
				t.Errorf("exit %d, stderr %q: want 0 and the note", code, errb)
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
