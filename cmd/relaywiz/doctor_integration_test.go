package main

// `relaywiz doctor` end to end against the real Postfix + Dovecot SASL smart
// host (testpeers): one deliberately broken setting at a time, and the first
// finding must name that setting.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaywiz/testpeers"
	"relaywiz/troubleshoot"
)

func mtaDoctorArgs(m testpeers.MTA, port int, withCA bool, extra ...string) []string {
	args := []string{"--host", m.Host, "--port", fmt.Sprint(port), "--alt-ports", fmt.Sprintf("%d,%d", m.Port25, m.Port587),
		"--tls-server-name", m.ServerName, "--user", m.User, "--password-stdin", "--timeout", "10s"}
	if withCA {
		args = append(args, "--ca-file", m.CAFile)
	}
	return append(args, extra...)
}

func TestDoctorRealMTA(t *testing.T) {
	m := testpeers.RequireMTA(t)
	cases := []struct {
		name     string
		password string
		port     int
		withCA   bool
		setting  string // "" = everything works
	}{
		{"all settings right", m.Password, m.Port587, true, ""},
		{"wrong password", "definitely-not-the-password", m.Port587, true, troubleshoot.SettingPassword},
		{"wrong port", m.Password, freeLoopbackPort(t, m.Host), true, troubleshoot.SettingPort},
		{"untrusted CA", m.Password, m.Port587, false, troubleshoot.SettingCAFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, doc, errs := runDoctorJSON(t, c.password+"\n", mtaDoctorArgs(m, c.port, c.withCA)...)
			if strings.Contains(fmt.Sprint(doc)+errs, m.Password) {
				t.Fatal("password leaked into the output")
			}
			if c.setting == "" {
				if code != exitOK {
					t.Fatalf("exit %d, findings %+v %s", code, doc.Findings, errs)
				}
				if len(doc.Findings) == 0 || !strings.Contains(doc.Findings[0].Title, "AUTH as "+m.User) {
					t.Errorf("findings %+v", doc.Findings)
				}
				return
			}
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			if len(doc.Findings) == 0 || doc.Findings[0].Setting != c.setting || doc.Findings[0].Severity != troubleshoot.SevFail {
				t.Fatalf("first finding %+v, want setting %q\nall: %+v", doc.Findings[0], c.setting, doc.Findings)
			}
			if c.setting == troubleshoot.SettingPort && !strings.Contains(doc.Findings[0].Fix, fmt.Sprint(m.Port25)) && !strings.Contains(doc.Findings[0].Fix, fmt.Sprint(m.Port587)) {
				t.Errorf("port fix does not name a working port: %+v", doc.Findings[0])
			}
		})
	}
}

// The full round trip: doctor sends a PAMS-marked test message through the
// embedded relay to the real MTA, which delivers it to the sink Maildir;
// the delivered headers then go through `relaywiz headers` with the MTA as
// the "provider". The hop into it must show ESMTPSA over TLS.
func TestDoctorRealMTASendThenHeaders(t *testing.T) {
	m := testpeers.RequireMTA(t)
	local := fmt.Sprintf("doctor-%d", time.Now().UnixNano())
	rcpt := local + "@" + m.SinkDomain
	code, doc, errs := runDoctorJSON(t, m.Password+"\n", mtaDoctorArgs(m, m.Port587, true, "--send-to", rcpt, "--trigger", "pams")...)
	if code != exitOK || !strings.Contains(string(doc.Send), `"accepted": true`) {
		t.Fatalf("exit %d send %s findings %+v %s", code, doc.Send, doc.Findings, errs)
	}
	var delivered string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(m.MaildirFor(local), "*"))
		if len(files) > 0 {
			delivered = files[0]
			break
		}
	}
	if delivered == "" {
		t.Fatalf("message for %s not delivered to %s", rcpt, m.MaildirFor(local))
	}
	a, out, errb := troubleTestApp(nil, nil)
	code = run(t.Context(), a, []string{"headers", "--json", "--provider-host", m.ServerName, delivered})
	raw, _ := os.ReadFile(delivered)
	if code != exitOK {
		t.Fatalf("headers exit %d\n%s\n%s\n--- message ---\n%s", code, out, errb, raw)
	}
	if !strings.Contains(out.String(), `"with": "ESMTPSA"`) || !strings.Contains(out.String(), `"zivver_relay"`) {
		t.Errorf("hop into the MTA not seen as ESMTPSA with the PAMS marker:\n%s", out)
	}
}
