package troubleshoot

import (
	"errors"
	"testing"

	"relaywiz/audit"
)

// The export's findings keep the audit's order, come after the more
// fundamental failures of the same severity (a password that is missing
// explains more), and before warnings.
func TestDiagnoseExportOrder(t *testing.T) {
	rep := &audit.Report{Scenario: "pams-onprem", Findings: []audit.Finding{
		{Severity: "fail", Code: "rule-disabled", Object: "Zivver PAMS", Message: "rule disabled", Fix: "Enable-TransportRule"},
		{Severity: "fail", Code: "placeholder-not-authoritative", Object: "zivver.org", Message: "not authoritative"},
		{Severity: "warn", Code: "tls-not-validated", Object: "Zivver PAMS", Message: "no validation"},
		{Severity: "info", Code: "scenario-detected", Object: "Zivver PAMS", Message: "detected"},
	}}
	fs := Diagnose(DoctorInput{Host: "smtp.zivver.com", User: "u", Password: PasswordMissing, Audit: rep})
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Severity)+" "+f.Setting+" "+f.Title)
	}
	want := []string{
		"fail password no password stored for u on smtp.zivver.com",
		"fail transport-rule rule disabled",
		"fail placeholder-domain not authoritative",
		"warn send-connector no validation",
		"info exchange detected",
	}
	if len(got) != len(want) {
		t.Fatalf("findings %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
	if fs[1].Detail != "Exchange object: Zivver PAMS (audit finding rule-disabled)" {
		t.Errorf("detail %q", fs[1].Detail)
	}
	// An export without a known set-up is a warning, not a failure.
	fs = Diagnose(DoctorInput{AuditErr: errors.New("no set-up")})
	if len(fs) != 1 || fs[0].Severity != SevWarn || fs[0].Setting != SettingExchange {
		t.Errorf("%+v", fs)
	}
}
