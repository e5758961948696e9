package main

// `relaywiz check` against the real Postfix + Dovecot SASL smart host that
// `make test` starts (testpeers.RequireMTA: skipped locally without it,
// failing under CI).

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"relaywiz/checks"
	"relaywiz/testpeers"
)

func mtaCheckArgs(m testpeers.MTA, extra ...string) []string {
	return append([]string{"check", "--host", m.Host, "--ports", fmt.Sprintf("%d,%d", m.Port25, m.Port587),
		"--tls-server-name", m.ServerName, "--ca-file", m.CAFile}, extra...)
}

func TestCheckRealMTAFullSuccessWithAuth(t *testing.T) {
	m := testpeers.RequireMTA(t)
	a, out, errb := checkTestApp(m.Password+"\n", nil, nil)
	code := run(context.Background(), a, mtaCheckArgs(m, "--user", m.User, "--password-stdin", "--json"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	var rep checks.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Ports) != 2 {
		t.Fatalf("%d ports", len(rep.Ports))
	}
	// One login per run: the first port ready logs in, the other only
	// learns that the password was accepted (it is never tried twice).
	logins := 0
	for _, p := range rep.Ports {
		switch {
		case p.Auth == checks.AuthOK && len(p.Stages) == 8:
			logins++
		case p.Auth == checks.AuthSkipped && len(p.Stages) == 7 && strings.Contains(p.AuthNote, "accepted on port"):
		default:
			t.Errorf("port %d: auth %q note %q stages %d", p.Port, p.Auth, p.AuthNote, len(p.Stages))
		}
		if !p.OK || p.TLS == nil || !p.TLS.Verified || !p.StartTLS {
			t.Errorf("port %d: ok %v auth %q tls %+v stages %d", p.Port, p.OK, p.Auth, p.TLS, len(p.Stages))
		}
		// Postfix offers AUTH only after TLS: ehlo before TLS must not list it.
		if strings.Contains(p.Stages[3].Detail, "AUTH") || !strings.Contains(p.Stages[6].Detail, "LOGIN") {
			t.Errorf("port %d: ehlo %q / ehlo_tls %q", p.Port, p.Stages[3].Detail, p.Stages[6].Detail)
		}
	}
	if logins != 1 {
		t.Errorf("%d logins in one run, want exactly 1", logins)
	}
	if strings.Contains(out.String()+errb.String(), m.Password) {
		t.Fatal("password in output")
	}
}

func TestCheckRealMTAWrongPassword(t *testing.T) {
	m := testpeers.RequireMTA(t)
	a, out, errb := checkTestApp("definitely-wrong\n", nil, nil)
	code := run(context.Background(), a, mtaCheckArgs(m, "--user", m.User, "--password-stdin", "--ports", fmt.Sprint(m.Port587)))
	if code != 28 {
		t.Fatalf("exit %d, want 28\n%s\n%s", code, out, errb)
	}
	if !strings.Contains(out.String(), "✗ auth") || !strings.Contains(out.String(), "535") || !strings.Contains(out.String(), "hint:") {
		t.Errorf("no auth failure with hint:\n%s", out)
	}
}

func TestCheckRealMTAWrongServerName(t *testing.T) {
	m := testpeers.RequireMTA(t)
	a, out, errb := checkTestApp("", nil, nil)
	args := mtaCheckArgs(m, "--json")
	for i, v := range args {
		if v == m.ServerName {
			args[i] = "wrong.relaywiz.test"
		}
	}
	code := run(context.Background(), a, args)
	if code != 29 {
		t.Fatalf("exit %d, want 29\n%s\n%s", code, out, errb)
	}
	var rep checks.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Ports {
		f, failed := p.FailedStage()
		if !failed || f.Name != checks.StageTLS {
			t.Fatalf("port %d: failed stage %+v", p.Port, f)
		}
		if !strings.Contains(f.Hint, "wrong.relaywiz.test") || !strings.Contains(f.Hint, m.ServerName) || !strings.Contains(f.Hint, "mismatch") {
			t.Errorf("hint does not name the mismatch: %q", f.Hint)
		}
		// Only the name is wrong: the chain itself is trusted via --ca-file.
		if p.TLS == nil || p.TLS.Verified || p.TLS.VerifyError == "" || strings.Contains(p.TLS.VerifyError, "unknown authority") {
			t.Errorf("tls %+v", p.TLS)
		}
	}
}

func TestCheckRealMTAClosedPortRefused(t *testing.T) {
	m := testpeers.RequireMTA(t)
	l, err := net.Listen("tcp", net.JoinHostPort(m.Host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	a, out, errb := checkTestApp("", nil, nil)
	code := run(context.Background(), a, mtaCheckArgs(m, "--ports", fmt.Sprintf("%d,%d", m.Port587, closed)))
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errb)
	}
	if !strings.Contains(out.String(), "refused") || !strings.Contains(out.String(), fmt.Sprintf("%s port %d  passed", m.Host, m.Port587)) {
		t.Errorf("want port %d passed and %d refused:\n%s", m.Port587, closed, out)
	}
}
