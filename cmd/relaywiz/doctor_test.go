package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"relaywiz/files"
	"relaywiz/steps"
	"relaywiz/troubleshoot"
)

type doctorJSON struct {
	Findings []troubleshoot.Finding `json:"findings"`
	Check    json.RawMessage        `json:"check"`
	DNS      json.RawMessage        `json:"dns"`
	Send     json.RawMessage        `json:"send"`
	Headers  json.RawMessage        `json:"headers"`
}

// isolateProfile points the user configuration directory at an empty temp
// dir, so a profile on the developer's machine never leaks into a test.
func isolateProfile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	return dir
}

func runDoctorJSON(t *testing.T, stdin string, args ...string) (int, doctorJSON, string) {
	t.Helper()
	isolateProfile(t)
	a, out, errb := troubleTestApp(strings.NewReader(stdin), nil)
	code := run(context.Background(), a, append([]string{"doctor", "--json"}, args...))
	var doc doctorJSON
	if code != exitUsage {
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("stdout is not JSON (%v):\n%s\n%s", err, out, errb)
		}
	}
	return code, doc, errb.String()
}

// freeLoopbackPort returns a port on host where nothing listens.
func freeLoopbackPort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// In-process fake smart host (check_fake_test.go): fast coverage of the
// command without the real peers. The fake's CA is not passed, so the
// certificate is untrusted and that must be the first finding.
func TestDoctorFakeUntrustedCA(t *testing.T) {
	port, ca := startCheckFake(t)
	code, doc, errs := runDoctorJSON(t, "", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--alt-ports", "", "--tls-server-name", "fake.relaywiz.test")
	if code != exitFailure || len(doc.Findings) == 0 || doc.Findings[0].Setting != troubleshoot.SettingCAFile {
		t.Fatalf("exit %d findings %+v %s", code, doc.Findings, errs)
	}
	// With the CA it passes; no user means no AUTH test and no failure.
	code, doc, errs = runDoctorJSON(t, "", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--alt-ports", "", "--tls-server-name", "fake.relaywiz.test", "--ca-file", ca)
	if code != exitOK {
		t.Fatalf("exit %d findings %+v %s", code, doc.Findings, errs)
	}
	if string(doc.Send) != "null" || string(doc.Headers) != "null" || !strings.HasPrefix(string(doc.DNS), "[") {
		t.Errorf("JSON shape: send %s headers %s dns %s", doc.Send, doc.Headers, doc.DNS)
	}
}

func TestDoctorMissingPasswordIsAFinding(t *testing.T) {
	port, ca := startCheckFake(t)
	code, doc, _ := runDoctorJSON(t, "", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--alt-ports", "",
		"--tls-server-name", "fake.relaywiz.test", "--ca-file", ca, "--user", "relay@fake.test")
	if code != exitFailure || doc.Findings[0].Setting != troubleshoot.SettingPassword || !strings.Contains(doc.Findings[0].Fix, "relaywiz creds set") {
		t.Fatalf("exit %d findings %+v", code, doc.Findings)
	}
}

func TestDoctorHumanReport(t *testing.T) {
	isolateProfile(t)
	port, _ := startCheckFake(t)
	a, out, _ := troubleTestApp(nil, nil)
	code := run(context.Background(), a, []string{"doctor", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--alt-ports", "",
		"--tls-server-name", "fake.relaywiz.test", "--headers", corpus("direct-unsecured.eml")})
	if code != exitFailure {
		t.Fatalf("exit %d\n%s", code, out)
	}
	got := out.String()
	for _, want := range []string{"FOUND:", " 1. ✗ [ca-file]", "fix:", "[transport-rule] headers:"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	// Under the findings, the probe's stage list in check's layout: the
	// failed certificate stage with its mark, name, timing and hint.
	probe := strings.Index(got, "Probe (as 'relaywiz check'):")
	if probe < strings.Index(got, "[transport-rule]") || !regexp.MustCompile(`(?m)^  ✗ tls +\d+(\.\d)? ms  .*\n    hint: \S`).MatchString(got[max(probe, 0):]) {
		t.Errorf("no stage list in check's layout after the findings:\n%s", got)
	}
	if strings.Index(got, "[ca-file]") > strings.Index(got, "[transport-rule]") {
		t.Errorf("probe failure must come before the header finding:\n%s", got)
	}
}

func TestDoctorBadInput(t *testing.T) {
	isolateProfile(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--smart-host", "bad host"}, "--smart-host"},
		{[]string{"--host", "bad host"}, "--smart-host"}, // the old name still works
		{[]string{"--port", "0"}, "--port"},
		{[]string{"--ports", "70000"}, "--ports"},
		{[]string{"--alt-ports", "70000"}, "--ports"},
		{[]string{"--ca-file", "/nonexistent.pem"}, "--ca-file"},
		{[]string{"--trigger", "pams"}, "--send-to"},
		{[]string{"--send-to", "a@example.org", "--trigger", "bogus"}, "--trigger"},
		{[]string{"--headers", "/nonexistent.eml"}, "--headers"},
		{[]string{"--provider-host", "a b"}, "--provider-host"},
		{[]string{"--headers", "-", "--password-stdin", "--user", "u"}, "both read stdin"},
		{[]string{"--send"}, "--send"},
		{[]string{"--profile", "/nonexistent/profile.json"}, "--profile"},
		{[]string{"--trigger-label", "Confidential"}, "--trigger-label"},
	} {
		a, _, errb := troubleTestApp(nil, nil)
		if code := run(context.Background(), a, append([]string{"doctor"}, c.args...)); code != exitUsage {
			t.Errorf("%v: exit %d", c.args, code)
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errb, c.want)
		}
	}
}

// The saved profile supplies host, port, CA, TLS name, user and triggers;
// the default profile location is used when --profile is not given, and
// flags win over it.
func TestDoctorUsesProfile(t *testing.T) {
	port, ca := startCheckFake(t)
	cfg := isolateProfile(t)
	in := steps.Defaults(steps.RelayOnPrem)
	in.Port = port
	in.Triggers = []steps.Trigger{{Kind: steps.TriggerLabel, Value: "3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e"}}
	prof := files.Profile{Steps: in, SmartHost: files.SmartHostProfile{
		Host: "127.0.0.1", Ports: []int{port}, CAFile: ca, TLSServerName: "fake.relaywiz.test", User: "relay@fake.test",
	}}
	path, err := files.DefaultProfilePath()
	if err != nil || !strings.HasPrefix(path, cfg) {
		t.Fatalf("profile path %q (%v) not under the test config dir", path, err)
	}
	if err := files.SaveProfile(path, prof); err != nil {
		t.Fatal(err)
	}
	// A message with the profile's label that went out directly: only with
	// the profile's label trigger is that a failure (else a warning).
	label := filepath.Join(t.TempDir(), "direct-label.eml")
	msg := "Received: from EX01.corp.example.org (EX01.corp.example.org [203.0.113.10]) by mx1.recipient.example with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\n" +
		"msip_labels: MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Enabled=true; MSIP_Label_3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e_Name=Vertrouwelijk\n\n"
	if err := os.WriteFile(label, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"doctor", "--json", "--alt-ports", "", "--headers", label},                    // default location
		{"doctor", "--json", "--alt-ports", "", "--headers", label, "--profile", path}, // explicit
	} {
		a, out, errb := troubleTestApp(strings.NewReader(fakePass+"\n"), nil)
		a.defaultProfile = files.DefaultProfilePath // under the test's config dir
		code := run(context.Background(), a, append(args, "--password-stdin", "--provider-host", "127.0.0.1"))
		var doc doctorJSON
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%v: %v\n%s%s", args, err, out, errb)
		}
		var check struct {
			Host  string `json:"host"`
			Ports []struct {
				Port int    `json:"port"`
				Auth string `json:"auth"`
			} `json:"ports"`
		}
		_ = json.Unmarshal(doc.Check, &check)
		if check.Host != "127.0.0.1" || len(check.Ports) != 1 || check.Ports[0].Port != port || check.Ports[0].Auth != "ok" {
			t.Errorf("%v: probe did not use the profile: %s", args, doc.Check)
		}
		if code != exitFailure || doc.Findings[0].Setting != troubleshoot.SettingRule || !strings.Contains(doc.Findings[0].Title, "Vertrouwelijk") {
			t.Errorf("%v: exit %d first finding %+v", args, code, doc.Findings)
		}
	}
	// A flag wins over the profile.
	code, doc, _ := runDoctorJSON(t, "", "--profile", path, "--port", fmt.Sprint(freeLoopbackPort(t, "127.0.0.1")), "--alt-ports", fmt.Sprint(port), "--user", "")
	if code != exitFailure || doc.Findings[0].Setting != troubleshoot.SettingPort {
		t.Errorf("--port over profile: exit %d %+v", code, doc.Findings)
	}
}

// --alt-ports takes the same list syntax as check and the wizard: spaces
// as well as commas, duplicates dropped.
func TestDoctorAltPortsSameSyntaxAsCheck(t *testing.T) {
	port, ca := startCheckFake(t)
	closed := freeLoopbackPort(t, "127.0.0.1")
	code, doc, errs := runDoctorJSON(t, "", "--host", "127.0.0.1", "--port", fmt.Sprint(closed), "--alt-ports", fmt.Sprintf("%d %d", port, port),
		"--tls-server-name", "fake.relaywiz.test", "--ca-file", ca)
	if code != exitFailure || len(doc.Findings) == 0 || doc.Findings[0].Setting != troubleshoot.SettingPort {
		t.Fatalf("exit %d findings %+v %s", code, doc.Findings, errs)
	}
	code, _, errs = runDoctorJSON(t, "", "--alt-ports", "25,smtp")
	// --alt-ports is the old name of --ports: the message names the new one
	if code != exitUsage || !strings.Contains(errs, "--ports") || !strings.Contains(errs, `"smtp"`) {
		t.Fatalf("exit %d stderr %q", code, errs)
	}
}

// Regression (trust defect 2): with "ports to test" 2525, 587 and the
// connector on 587, doctor probed 2525 and reported "port 2525 is wrong",
// exit 1. It judges the connector's port; the others are alternatives.
func TestDoctorJudgesTheConnectorsPortFromTheProfile(t *testing.T) {
	port, ca := startCheckFake(t)
	closed := freeLoopbackPort(t, "127.0.0.1")
	in := steps.Defaults(steps.RelayOnPrem)
	in.Port = port
	prof := files.Profile{Steps: in, SmartHost: files.SmartHostProfile{
		Host: "127.0.0.1", Ports: []int{closed, port}, CAFile: ca, TLSServerName: "fake.relaywiz.test",
	}}
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := files.SaveProfile(path, prof); err != nil {
		t.Fatal(err)
	}
	// The old code took the first "port to test" (the closed one).
	code, doc, errs := runDoctorJSON(t, "", "--profile", path, "--alt-ports", "")
	if code != exitOK || !strings.Contains(string(doc.Check), fmt.Sprintf(`"port": %d`, port)) || strings.Contains(string(doc.Check), fmt.Sprintf(`"port": %d`, closed)) {
		t.Fatalf("exit %d check %s findings %+v %s", code, doc.Check, doc.Findings, errs)
	}
	// A failing alternative is information, not a failure.
	code, doc, errs = runDoctorJSON(t, "", "--profile", path, "--alt-ports", fmt.Sprint(closed))
	if code != exitOK {
		t.Fatalf("exit %d findings %+v %s", code, doc.Findings, errs)
	}
	var check struct {
		Ports []struct {
			Port int  `json:"port"`
			OK   bool `json:"ok"`
		} `json:"ports"`
	}
	_ = json.Unmarshal(doc.Check, &check)
	if len(check.Ports) != 2 || check.Ports[0].Port != port || !check.Ports[0].OK || check.Ports[1].Port != closed {
		t.Errorf("want the connector's port %d first (and passing), %d as the alternative: %s", port, closed, doc.Check)
	}
	for _, f := range doc.Findings {
		if f.Severity == troubleshoot.SevFail {
			t.Errorf("an alternative port is information, not a failure: %+v", f)
		}
	}
}

// An Exchange Online scenario's profile makes doctor probe as Exchange
// Online: port 25 only, no AUTH, even with a user name in the profile.
func TestDoctorOnlineProfileProbesAsExchangeOnline(t *testing.T) {
	in := steps.Defaults(steps.RelayOnline)
	prof := files.Profile{Steps: in, SmartHost: files.SmartHostProfile{Host: "127.0.0.1", Ports: []int{587}, User: "relay@fake.test"}}
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := files.SaveProfile(path, prof); err != nil {
		t.Fatal(err)
	}
	_, doc, errs := runDoctorJSON(t, "", "--profile", path, "--alt-ports", "", "--timeout", "2s")
	var check struct {
		As    string `json:"as"`
		Ports []struct {
			Port int    `json:"port"`
			Auth string `json:"auth"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(doc.Check, &check); err != nil {
		t.Fatalf("%v: %s %s", err, doc.Check, errs)
	}
	if check.As != "exchange-online" || len(check.Ports) != 1 || check.Ports[0].Port != 25 || check.Ports[0].Auth != "skipped" {
		t.Errorf("check %s", doc.Check)
	}
}

// One output family: the count of problems is in plain English ("1
// problem", "2 problems"), not "problem(s)".
func TestDoctorCountsProblemsInWords(t *testing.T) {
	a, out, _ := troubleTestApp(nil, nil)
	st := newTroubleStyles(a)
	fail := troubleshoot.Finding{Severity: troubleshoot.SevFail, Title: "x"}
	for n, want := range map[int]string{1: "FOUND: 1 problem;", 2: "FOUND: 2 problems;"} {
		out.Reset()
		fs := make([]troubleshoot.Finding, n)
		for i := range fs {
			fs[i] = fail
		}
		renderDoctor(out, st, doctorOptions{host: "smtp.example.com", port: 587}, fs)
		if !strings.Contains(out.String(), want) {
			t.Errorf("%d failures: report lacks %q:\n%s", n, want, out)
		}
	}
}
