package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/exchange"
	"relaywiz/files"
	"relaywiz/steps"
)

func exportFixture(name string) string {
	return filepath.Join("..", "..", "audit", "testdata", "export", filepath.FromSlash(name)+".json")
}

// The CLI gives the fixtures' verdicts: exit status, the detected
// scenario, the finding and its object (the full table is
// audit.TestExportFixtures; these prove the wiring).
func TestAuditExportExitCodesAndFindings(t *testing.T) {
	for _, c := range []struct {
		file        string
		args        []string
		exit        int
		scenario    string
		code, objct string
	}{
		{"onprem/pams-onprem", nil, exitOK, "pams-onprem", "scenario-detected", "Zivver PAMS"},
		{"online/cryptshare-online", nil, exitOK, "cryptshare-online", "scenario-detected", "Cryptshare CMG - M365 to CMG"},
		{"online/codetwo-online", nil, exitOK, "codetwo-online", "scenario-detected", "CodeTwo Outbound Connector"},
		{"onprem/rule-disabled", nil, exitFailure, "pams-onprem", "rule-disabled", "Zivver PAMS"},
		{"online/allow-list-missing-gateway", nil, exitFailure, "cryptshare-online", "allow-list-missing-gateway", "Default"},
		{"online/label-form", nil, exitFailure, "relay-online", "condition-label-form", "Zivver Custom Relay - label"},
		{"onprem/subject-word", []string{"--scenario", "relay-onprem", "--trigger", "subject=Vertrouwelijk"}, exitFailure, "relay-onprem",
			"condition-trigger-missing", "Zivver Custom Relay - subject"},
		{"onprem/tls-not-validated", nil, exitOK, "pams-onprem", "tls-not-validated", "Zivver PAMS"},
	} {
		t.Run(c.file, func(t *testing.T) {
			args := append([]string{"--export", exportFixture(c.file), "--json"}, c.args...)
			code, out, errb := runAuditCLI(t, args...)
			if code != c.exit {
				t.Fatalf("exit %d, want %d: %s%s", code, c.exit, errb, out)
			}
			var rep struct {
				Platform string `json:"platform"`
				Scenario string `json:"scenario"`
				Messages []struct {
					Intent, Verdict string
					OK              bool
					Route           []struct{ Kind, Name, Detail string }
				} `json:"messages"`
				Findings []struct{ Severity, Code, Object, Message, Fix string } `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if rep.Scenario != c.scenario || len(rep.Messages) == 0 || rep.Platform == "" {
				t.Errorf("scenario %q, %d messages, platform %q", rep.Scenario, len(rep.Messages), rep.Platform)
			}
			found := false
			for _, f := range rep.Findings {
				found = found || f.Code == c.code && f.Object == c.objct
			}
			if !found {
				t.Errorf("no finding %s naming %q: %+v", c.code, c.objct, rep.Findings)
			}
		})
	}
}

func TestAuditExportTextSaysWhatItDetected(t *testing.T) {
	code, out, errb := runAuditCLI(t, "--export", exportFixture("online/relay-online-subject"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"Export: ", `organisation "Contoso", Exchange Online, exported 2026-11-30 14:02 UTC`,
		"scenario relay-online (Zivver Custom Relay, Exchange Online), detected: outbound connector \"Zivver Custom Relay\"", "Verdict: provider"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Names in the export are other people's text: an escape sequence in a
// rule name must not reach the terminal.
func TestAuditExportEscapesNamesFromTheFile(t *testing.T) {
	b, err := os.ReadFile(exportFixture("onprem/rule-disabled"))
	if err != nil {
		t.Fatal(err)
	}
	evil := strings.ReplaceAll(string(b), `"Zivver PAMS"`, `"Zivver PAMS\u001b[2J\u001b]0;pwned\u0007"`)
	path := filepath.Join(t.TempDir(), "evil.json")
	if err := os.WriteFile(path, []byte(evil), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errb := runAuditCLI(t, "--export", path)
	if code != exitFailure {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Error("a control character from the export reached the terminal")
	}
	if !strings.Contains(out, `Zivver PAMS\x1b[2J`) {
		t.Errorf("the escaped name is not shown:\n%.2000s", out)
	}
}

func TestAuditExportBadFilesAreExit64(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(exportFixture("onprem/pams-onprem"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := make([]byte, files.MaxExportBytes+1)
	for i := range big {
		big[i] = ' '
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"--export", filepath.Join(dir, "nope.json")}, "relaywiz: --export " + filepath.Join(dir, "nope.json") + ": no such file"},
		{"truncated", []string{"--export", write("cut.json", full[:len(full)/3])}, "incomplete"},
		{"foreign", []string{"--export", write("other.json", []byte(`{"value":[{"Name":"x"}]}`))}, "not a relaywiz export"},
		{"too large", []string{"--export", write("big.json", big)}, "larger than 32 MiB"},
		{"newer", []string{"--export", write("v2.json", []byte(`{"relaywizExport":2,"platform":"onprem"}`))}, "version 2"},
		{"nothing known", []string{"--export", write("empty-org.json", []byte(`{"relaywizExport":1,"platform":"onprem","sendConnectors":[{"Name":"Internet","AddressSpaces":["SMTP:*;1"]}]}`))}, "relaywiz: --export " + filepath.Join(dir, "empty-org.json") + ": the Exchange Server (on-premises) export has none"},
		{"platform mismatch", []string{"--export", exportFixture("onprem/pams-onprem"), "--scenario", "pams-online"}, "is for Exchange Online"},
		{"neighbours", []string{"--export", exportFixture("onprem/pams-onprem"), "--with-neighbours"}, "--with-neighbours:"},
		{"bad message", []string{"--export", exportFixture("onprem/pams-onprem"), "--message", "colour=blue"}, "--message:"},
		{"answer without scenario", []string{"--export", exportFixture("onprem/pams-onprem"), "--trigger", "subject=Secure"}, "--trigger only count with --scenario"},
		{"bad scenario answer", []string{"--export", exportFixture("onprem/pams-onprem"), "--scenario", "relay-onprem", "--trigger", "label=x"}, "trigger"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errb := runAuditCLI(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 64: %s", code, errb)
			}
			if !strings.Contains(errb, c.want) {
				t.Errorf("stderr %q does not say %q", errb, c.want)
			}
		})
	}
}

// The export script and the reader agree on the version of the contract.
func TestExportVersionsAgree(t *testing.T) {
	if steps.ExportVersion != exchange.ExportVersion {
		t.Fatalf("export.ps1 writes version %d, the reader reads %d", steps.ExportVersion, exchange.ExportVersion)
	}
}

// --message works on an export too; its intent comes from the scenario.
func TestAuditExportExtraMessage(t *testing.T) {
	code, out, errb := runAuditCLI(t, "--export", exportFixture("online/pams-online"), "--json",
		"--message", "to=x@example.org header='zivver-relay: zivver-message-info'", "--message", "to=y@example.org subject=Lunch")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var rep struct {
		Messages []struct {
			Label, Intent, Verdict string
			OK                     bool
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	n := len(rep.Messages)
	if n < 2 || rep.Messages[n-2].Intent != "provider" || rep.Messages[n-2].Verdict != "provider" ||
		rep.Messages[n-1].Intent != "not-provider" || rep.Messages[n-1].Verdict != "direct" {
		t.Errorf("messages %+v", rep.Messages)
	}
}
