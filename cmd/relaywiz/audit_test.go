package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/files"
	"relaywiz/steps"
)

func runAuditCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, out, errb := stepsTestApp()
	code := run(context.Background(), a, append([]string{"audit"}, args...))
	return code, out.String(), errb.String()
}

// requiredArgs are the answers a scenario has no default for.
func requiredArgs(id steps.ScenarioID) []string {
	switch id {
	case steps.CryptshareOnPrem:
		return []string{"--gateway-ip", "192.0.2.25"}
	case steps.CryptshareOnline:
		return []string{"--gateway-ip", "203.0.113.25"}
	case steps.CodeTwoOnline:
		return []string{"--connector", "Mimecast Outbound", "--addon-rule", "CodeTwo Exchange Rule"}
	}
	return nil
}

// Acceptance: `relaywiz audit --scenario X` exits 0 for every scenario's
// defaults and for each trigger kind the scenario accepts.
func TestAuditExitsZeroForEveryScenarioAndTrigger(t *testing.T) {
	samples := map[steps.TriggerKind]string{
		steps.TriggerSubject: "subject=Secure", steps.TriggerLabel: "label=0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10",
		steps.TriggerSender: "sender=invoices@corp.example",
	}
	for _, s := range steps.Scenarios() {
		args := append([]string{"--scenario", string(s.ID)}, requiredArgs(s.ID)...)
		runs := [][]string{args}
		for _, k := range s.TriggerKinds {
			runs = append(runs, append(append([]string(nil), args...), "--trigger", samples[k]))
		}
		for _, a := range runs {
			code, out, errb := runAuditCLI(t, a...)
			if code != exitOK {
				t.Errorf("relaywiz audit %s: exit %d\n%s%s", strings.Join(a, " "), code, out, errb)
				continue
			}
			if !strings.Contains(out, "the route holds") || !strings.Contains(out, "┌") || !strings.Contains(out, "modelled") {
				t.Errorf("relaywiz audit %s: no verdict line or no route picture:\n%s", strings.Join(a, " "), out)
			}
		}
	}
}

// The JSON shape of the issue: platform, messages with message, intent,
// verdict, ok and route, and findings.
func TestAuditJSONShape(t *testing.T) {
	code, out, _ := runAuditCLI(t, "--scenario", "pams-online", "--json", "--with-neighbours")
	if code != exitFailure {
		t.Fatalf("exit %d: the default-priority rule below a stop-processing neighbour must fail", code)
	}
	var doc struct {
		Platform string `json:"platform"`
		Messages []struct {
			Message map[string]any `json:"message"`
			Intent  string         `json:"intent"`
			Verdict string         `json:"verdict"`
			OK      *bool          `json:"ok"`
			Route   []struct {
				Kind, Name, Detail string
			} `json:"route"`
		} `json:"messages"`
		Findings []struct {
			Severity, Code, Object, Message, Fix string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Platform != "online" || len(doc.Messages) != 3 || len(doc.Findings) == 0 {
		t.Fatalf("shape: %+v", doc)
	}
	m := doc.Messages[0]
	if m.Intent != "provider" || m.Verdict != "direct" || m.OK == nil || *m.OK || m.Message["from"] == nil {
		t.Fatalf("first message: %+v", m)
	}
	f := doc.Findings[0]
	if f.Severity != "fail" || f.Code != "stop-rule-above" || f.Object != "Company signature (stop processing)" || f.Fix == "" {
		t.Fatalf("first finding: %+v", f)
	}
	code, out, _ = runAuditCLI(t, "--scenario", "pams-online", "--json")
	if !strings.Contains(out, `"findings": []`) {
		t.Errorf("no findings must be an empty list, not null:\n%s", out)
	}
	if code != exitOK || !strings.Contains(out, `"kind": "connector"`) || !strings.Contains(out, `"kind": "rule"`) || !strings.Contains(out, `"kind": "hop"`) {
		t.Fatalf("exit %d, route kinds missing:\n%s", code, out)
	}
}

// --message adds a message; its intent comes from the scenario's triggers.
// A message the plan sends where it should not makes the audit fail.
func TestAuditMessageSpec(t *testing.T) {
	code, out, _ := runAuditCLI(t, "--scenario", "pams-onprem", "--message",
		"from=carol@corp.example to=b@example.org subject='Quarterly figures' header='zivver-relay: zivver-message-info' via=outlook")
	if code != exitOK || !strings.Contains(out, "given with --message") || !strings.Contains(out, "b@example.org") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The Custom Relay subject rule of Zivver's manual has no recipient
	// scope: on-premises its redirect sends internal mail with the word to
	// Zivver too. The audit says so.
	code, out, _ = runAuditCLI(t, "--scenario", "relay-onprem", "--message", "to=bob@corp.example subject='Secure: salaries'")
	if code != exitFailure || !strings.Contains(out, "internal-leaves") {
		t.Fatalf("exit %d, want 1 with internal-leaves:\n%s", code, out)
	}
}

func TestAuditBadInputIs64(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--scenario", "nope"},
		{"--scenario", "cryptshare-onprem"}, // --gateway-ip missing
		{"--scenario", "pams-onprem", "--message", "subject=x"},
		{"--scenario", "pams-onprem", "--message", "to=a@b.example via=carrier-pigeon"},
		{"--scenario", "pams-onprem", "--message", "to=a@b.example subject='unclosed"},
		{"--scenario", "pams-onprem", "--trigger", "subject=x"},
	} {
		code, _, errb := runAuditCLI(t, args...)
		if code != exitUsage || errb == "" {
			t.Errorf("audit %v: exit %d, stderr %q; want 64 with a message", args, code, errb)
		}
	}
}

// Text from --message reaches the terminal escaped.
func TestAuditEscapesMessageText(t *testing.T) {
	_, out, _ := runAuditCLI(t, "--scenario", "pams-onprem", "--message", "to=a@example.org subject='\x1b[31mred'")
	if strings.Contains(out, "\x1b") {
		t.Fatal("an escape sequence from --message reached the output")
	}
}

// steps --out prints the route under the file list.
func TestStepsPrintsTheRouteUnderTheFiles(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runStepsCLI(t, "--scenario", "pams-onprem", "--out", dir)
	files := strings.Index(out, "verify.ps1")
	route := strings.Index(out, "Where the mail goes")
	if code != exitOK || files < 0 || route < files || !strings.Contains(out, `connector "Zivver PAMS"`) || !strings.Contains(out, "the route holds") {
		t.Fatalf("exit %d, the route is not under the file list:\n%s", code, out)
	}
	// --format prints the artifact alone, nothing after it.
	_, out, _ = runStepsCLI(t, "--scenario", "pams-onprem", "--format", "apply")
	if strings.Contains(out, "Where the mail goes") {
		t.Fatal("--format output must be the artifact only")
	}
}

// --profile: the wizard's saved answers, as steps reads them.
func TestAuditReadsTheProfile(t *testing.T) {
	in := steps.Defaults(steps.RelayOnline)
	in.Triggers = []steps.Trigger{{Kind: steps.TriggerLabel, Value: "0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10"}}
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := files.SaveProfile(path, files.Profile{Steps: in}); err != nil {
		t.Fatal(err)
	}
	code, out, errb := runAuditCLI(t, "--profile", path)
	if code != exitOK || !strings.Contains(out, "triggered: label=0f4c5a7e") || !strings.Contains(out, "Zivver Custom Relay - label") {
		t.Fatalf("exit %d\n%s%s", code, out, errb)
	}
	if code, _, _ := runAuditCLI(t, "--profile", filepath.Join(t.TempDir(), "missing.json")); code != exitUsage {
		t.Fatalf("missing profile: exit %d, want 64", code)
	}
}

// The usage line says what holds: the saved profile (or --profile) can
// give the scenario, as for steps.
func TestAuditHelpUsageLine(t *testing.T) {
	code, out, _ := runAuditCLI(t, "--help")
	if code != exitOK || !strings.Contains(out, "relaywiz audit [--scenario ID | --profile FILE] [the steps flags] [--export FILE]") {
		t.Errorf("exit %d, usage line:\n%.600s", code, out[strings.Index(out, "Usage:"):])
	}
}
