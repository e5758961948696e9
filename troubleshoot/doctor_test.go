package troubleshoot

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"relaywiz/checks"
)

// portResult builds a port that passed every stage up to (not including)
// failAt, which fails with detail; failAt "" passes all stages.
func portResult(port int, failAt checks.Stage, detail string, err error) checks.PortResult {
	p := checks.PortResult{Port: port, OK: failAt == "", Auth: checks.AuthOK}
	for _, s := range checks.Stages() {
		if s == failAt {
			p.Stages = append(p.Stages, checks.StageResult{Name: s, OK: false, Detail: detail, Hint: "stage hint", Err: err})
			return p
		}
		p.Stages = append(p.Stages, checks.StageResult{Name: s, OK: true})
	}
	return p
}

func firstFail(t *testing.T, fs []Finding) Finding {
	t.Helper()
	if len(fs) == 0 || fs[0].Severity != SevFail {
		t.Fatalf("no failure first: %+v", fs)
	}
	return fs[0]
}

func TestDiagnoseWrongPort(t *testing.T) {
	rep := &checks.Report{Host: "smtp.provider.example", Ports: []checks.PortResult{
		portResult(2525, checks.StageConnect, "connection refused", nil),
		portResult(25, checks.StageConnect, "timeout", nil),
		portResult(587, "", "", nil),
	}}
	f := firstFail(t, Diagnose(DoctorInput{Host: rep.Host, Port: 2525, User: "u", Password: PasswordFound, Report: rep}))
	if f.Setting != SettingPort || !strings.Contains(f.Fix, "587") || strings.Contains(f.Fix, "25 ") {
		t.Errorf("got %+v", f)
	}
	// The fix names only what exists (there is no "relaywiz profile" command).
	if !strings.Contains(f.Fix, "Set-SendConnector -Port 587") || strings.Contains(f.Fix, "relaywiz profile") {
		t.Errorf("fix %q", f.Fix)
	}
	// Nothing reachable: the network, not the port.
	rep.Ports[2] = portResult(587, checks.StageConnect, "timeout", nil)
	f = firstFail(t, Diagnose(DoctorInput{Host: rep.Host, Port: 2525, Report: rep}))
	if f.Setting != SettingNetwork || !strings.Contains(f.Title, "(nor on ports 25 and 587)") {
		t.Errorf("got %+v", f)
	}
	// Only the configured port probed (doctor --ports ""): no claim about
	// alternatives that were never tried.
	rep.Ports = rep.Ports[:1]
	f = firstFail(t, Diagnose(DoctorInput{Host: rep.Host, Port: 2525, Report: rep}))
	if f.Setting != SettingNetwork || strings.Contains(f.Title, "alternative") || strings.Contains(f.Title, "nor on") {
		t.Errorf("one port probed: %+v", f)
	}
}

func TestDiagnoseCertificate(t *testing.T) {
	p := portResult(587, checks.StageTLS, "certificate not trusted", nil)
	p.TLS = &checks.TLSInfo{Issuer: "CN=Private CA", ChainOK: false, HostnameOK: true, ServerName: "smtp.provider.example"}
	rep := &checks.Report{Host: "smtp.provider.example", Ports: []checks.PortResult{p}}
	f := firstFail(t, Diagnose(DoctorInput{Host: rep.Host, Port: 587, Report: rep}))
	if f.Setting != SettingCAFile || !strings.Contains(f.Title, "CN=Private CA") {
		t.Errorf("untrusted: %+v", f)
	}
	p.TLS = &checks.TLSInfo{ChainOK: true, HostnameOK: false, ServerName: "127.0.0.2", SANs: []string{"smtp.relaywiz.test"}}
	rep.Ports[0] = p
	f = firstFail(t, Diagnose(DoctorInput{Host: "127.0.0.2", Port: 587, Report: rep}))
	if f.Setting != SettingTLSServerName || !strings.Contains(f.Title, "smtp.relaywiz.test") {
		t.Errorf("name mismatch: %+v", f)
	}
}

func TestDiagnoseWrongPassword(t *testing.T) {
	se := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Error: authentication failed"}
	p := portResult(587, checks.StageAuth, "535 5.7.8", fmt.Errorf("auth: %w", se))
	p.Auth = checks.AuthFailed
	rep := &checks.Report{Host: "smtp.provider.example", Ports: []checks.PortResult{p}}
	fs := Diagnose(DoctorInput{Host: rep.Host, Port: 587, User: "relay@example.com", Password: PasswordFound, Report: rep,
		DNS: []DNSFinding{{Check: DNSCheckPlaceholder, Severity: SevFail, Message: "placeholder exists"}}})
	f := firstFail(t, fs)
	if f.Setting != SettingPassword || !strings.Contains(f.Title, "535 5.7.8") || !strings.Contains(f.Fix, "relaywiz creds set --smart-host smtp.provider.example --user relay@example.com") {
		t.Errorf("got %+v", f)
	}
	// The DNS failure is listed, but after the probe's failure.
	if len(fs) < 2 || fs[1].Setting != SettingPlaceholder {
		t.Errorf("order: %+v", fs)
	}
}

func TestDiagnoseMissingPasswordAndSuccess(t *testing.T) {
	p := portResult(587, "", "", nil)
	p.Auth = checks.AuthSkipped
	rep := &checks.Report{Host: "h.example", Ports: []checks.PortResult{p}}
	f := firstFail(t, Diagnose(DoctorInput{Host: "h.example", Port: 587, User: "u", Password: PasswordMissing, PasswordNote: "store it", Report: rep}))
	if f.Setting != SettingPassword || f.Fix != "store it" {
		t.Errorf("got %+v", f)
	}
	rep.Ports[0].Auth = checks.AuthOK
	fs := Diagnose(DoctorInput{Host: "h.example", Port: 587, User: "u", Password: PasswordFound, Report: rep,
		Send: &SendOutcome{Accepted: true, Reply: "250 2.0.0 Ok: queued as ABC"}})
	for _, f := range fs {
		if f.Severity != SevOK {
			t.Errorf("unexpected finding %+v", f)
		}
	}
	if len(fs) != 2 {
		t.Errorf("want probe + send ok, got %+v", fs)
	}
}

func TestDiagnoseSendAndHeaders(t *testing.T) {
	rep := &checks.Report{Host: "h.example", Ports: []checks.PortResult{portResult(587, "", "", nil)}}
	a := Analysis{Verdict: Verdict{Reasons: []Reason{
		{Severity: SevFail, Code: CodeDirectDelivery, Message: "delivered directly"},
		{Severity: SevInfo, Code: CodeTrigger, Message: "trigger"},
	}}}
	fs := Diagnose(DoctorInput{Host: "h.example", Port: 587, Report: rep, Headers: &a,
		Send: &SendOutcome{Step: "rcpt", Reply: "554 5.7.1 <x@y>: Relay access denied", Err: errors.New("rcpt")}})
	if fs[0].Setting != SettingMessage || !strings.Contains(fs[0].Fix, "ms-Exch-SMTP-Accept-Any-Recipient") {
		t.Errorf("send finding: %+v", fs[0])
	}
	if fs[1].Setting != SettingRule || !strings.HasPrefix(fs[1].Title, "headers: ") {
		t.Errorf("header finding: %+v", fs[1])
	}
	for _, f := range fs {
		if f.Title == "headers: trigger" {
			t.Error("info reasons must not become findings")
		}
	}
}

// The first failure of the connector's port names what Exchange's queue
// will show for it (the check's exchange_error).
func TestDiagnoseNamesTheExchangeQueueError(t *testing.T) {
	p := portResult(587, checks.StageAuth, "Exchange will not log in: the server offers AUTH PLAIN, not LOGIN", nil)
	p.Auth = checks.AuthUnavailable
	want := checks.ExchangeQueueText(checks.ExchangeRequireBasicAuth)
	p.Stages[len(p.Stages)-1].ExchangeError = want
	rep := &checks.Report{Host: "smtp.provider.example", Ports: []checks.PortResult{p}}
	f := firstFail(t, Diagnose(DoctorInput{Host: rep.Host, Port: 587, User: "u", Password: PasswordFound, Report: rep}))
	if !strings.Contains(f.Detail, want) {
		t.Errorf("first finding %+v lacks %q", f, want)
	}
}
