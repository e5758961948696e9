package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"relaywiz/troubleshoot"
)

// doctor --export: the live org's audit joins the one ordered list. The
// smart host is the in-process fake, which passes, so what fails is the
// Exchange side alone.
func TestDoctorExportAddsTheOrgsFindings(t *testing.T) {
	port, ca := startCheckFake(t)
	base := []string{"--host", "127.0.0.1", "--port", fmt.Sprint(port), "--alt-ports", "", "--tls-server-name", "fake.relaywiz.test", "--ca-file", ca}

	code, doc, errs := runDoctorJSON(t, "", append(base, "--export", exportFixture("onprem/rule-disabled"))...)
	if code != exitFailure {
		t.Fatalf("exit %d: %s %+v", code, errs, doc.Findings)
	}
	first := doc.Findings[0]
	if first.Severity != troubleshoot.SevFail || first.Setting != troubleshoot.SettingRule || !strings.Contains(first.Detail, "Zivver PAMS") ||
		!strings.Contains(first.Fix, "Enable-TransportRule") {
		t.Errorf("first finding is not the disabled rule: %+v", first)
	}
	var withAudit struct {
		Audit *struct {
			Scenario string `json:"scenario"`
		} `json:"audit"`
	}
	_, out, _ := runDoctorRaw(t, append(base, "--export", exportFixture("onprem/rule-disabled"))...)
	if err := json.Unmarshal([]byte(out), &withAudit); err != nil || withAudit.Audit == nil || withAudit.Audit.Scenario != "pams-onprem" {
		t.Errorf("no audit in the JSON (%v): %.300s", err, out)
	}

	code, doc, errs = runDoctorJSON(t, "", append(base, "--export", exportFixture("online/pams-online"))...)
	if code != exitOK {
		t.Fatalf("correct export: exit %d: %s %+v", code, errs, doc.Findings)
	}
	ok := false
	for _, f := range doc.Findings {
		ok = ok || f.Setting == troubleshoot.SettingExchange && f.Severity == troubleshoot.SevOK
	}
	if !ok {
		t.Errorf("no OK finding for the correct org: %+v", doc.Findings)
	}

	code, _, errs = runDoctorJSON(t, "", append(base, "--export", "/nonexistent/export.json")...)
	if code != exitUsage || !strings.Contains(errs, "no such file") {
		t.Errorf("missing export: exit %d %q", code, errs)
	}
}

func runDoctorRaw(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	isolateProfile(t)
	a, out, errb := troubleTestApp(strings.NewReader(""), nil)
	code := run(t.Context(), a, append([]string{"doctor", "--json"}, args...))
	return code, out.String(), errb.String()
}
