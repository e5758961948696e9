package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"relaywiz/files"
	"relaywiz/steps"
)

func stepsTestApp() (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &app{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
	}, &out, &errb
}

func runStepsCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, out, errb := stepsTestApp()
	code := run(context.Background(), a, append([]string{"steps"}, args...))
	return code, out.String(), errb.String()
}

func TestStepsHelpListsScenariosOneLineEach(t *testing.T) {
	code, out, _ := runStepsCLI(t, "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, s := range steps.Scenarios() {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, string(s.ID)) && strings.Contains(line, s.Title) {
				found = true
			}
		}
		if !found {
			t.Errorf("--help has no line with %s and its title", s.ID)
		}
	}
	// The usage line says what holds: the saved profile can give the
	// scenario, and without --out or --format steps prints the checklist.
	if !strings.Contains(out, "relaywiz steps [--scenario ID | --profile FILE] [flags] [--out DIR | --format FORMAT]") {
		t.Errorf("usage line claims --scenario and --out/--format are required:\n%s", out)
	}
	for _, want := range []string{"Examples:", "relaywiz steps --scenario pams-onprem --out", "--force", "UTF-16LE", "BOM", "--check-dns"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
}

func TestStepsDefaultsAloneWriteEverything(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, out, errb := runStepsCLI(t, "--scenario", "pams-onprem", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, name := range []string{"checklist.md", "apply.ps1", "undo.ps1", "verify.ps1", "export.ps1", "pams.reg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s not written: %v", name, err)
		}
		switch filepath.Ext(name) {
		case ".ps1":
			if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) || !bytes.Contains(b, []byte("\r\n")) {
				t.Errorf("%s: not UTF-8 with BOM and CRLF", name)
			}
		case ".reg":
			if !bytes.HasPrefix(b, []byte{0xFF, 0xFE, 'W', 0}) {
				t.Errorf("%s: not UTF-16LE with BOM", name)
			}
		}
		if !strings.Contains(out, name) {
			t.Errorf("summary does not list %s", name)
		}
	}
	if !strings.Contains(out, "Exchange Management Shell") || !strings.Contains(out, "pams.reg") {
		t.Errorf("summary does not say what to do next: %s", out)
	}
}

// Every scenario works from the command line with the values it cannot
// default.
func TestStepsEveryScenario(t *testing.T) {
	extra := map[steps.ScenarioID][]string{
		steps.CryptshareOnPrem: {"--gateway-ip", "192.0.2.25", "--connector", "Internet"},
		steps.CryptshareOnline: {"--gateway-ip", "203.0.113.25"},
		steps.CodeTwoOnline:    {"--connector", "Mimecast Outbound", "--addon-rule", "CodeTwo Exchange Rule"},
		steps.RelayOnline:      {"--trigger", "subject=Secure", "--trigger", "label=0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10", "--trigger", "sender=app@example.com"},
		steps.RelayOnPrem:      {"--trigger", "sender=app@example.com"},
	}
	for _, s := range steps.Scenarios() {
		t.Run(string(s.ID), func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--scenario", string(s.ID), "--out", dir}, extra[s.ID]...)
			code, _, errb := runStepsCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb)
			}
			_, err := os.Stat(filepath.Join(dir, "pams.reg"))
			if s.EmitsReg != (err == nil) {
				t.Errorf("pams.reg written = %v, want %v", err == nil, s.EmitsReg)
			}
		})
	}
}

func TestStepsBadInputIsUsageError(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		field string
	}{
		{[]string{}, "scenario"},
		{[]string{"--scenario", "pams"}, "scenario"},
		{[]string{"--scenario", "pams-onprem", "--port", "2525"}, "port"},
		{[]string{"--scenario", "pams-onprem", "--port", "abc"}, "--port"},
		{[]string{"--scenario", "pams-onprem", "--max-size-mb", "0"}, "max-size-mb"},
		{[]string{"--scenario", "pams-onprem", "--max-size-mb", "151"}, "max-size-mb"},
		{[]string{"--scenario", "pams-onprem", "--smart-host", "smtp zivver.com"}, "smart-host"},
		{[]string{"--scenario", "pams-onprem", "--placeholder-domain", "not a domain"}, "placeholder-domain"},
		{[]string{"--scenario", "pams-onprem", "--contact-alias", "re lay"}, "contact-alias"},
		{[]string{"--scenario", "pams-onprem", "--name", strings.Repeat("n", 65)}, "name"},
		{[]string{"--scenario", "pams-onprem", "--source-server", "EX 01"}, "source-server"},
		{[]string{"--scenario", "pams-onprem", "--trigger", "subject=Secure"}, "trigger"},
		{[]string{"--scenario", "pams-onprem", "--test-recipient", "nobody"}, "test-recipient"},
		{[]string{"--scenario", "relay-onprem", "--trigger", "label=0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10"}, "trigger"},
		{[]string{"--scenario", "relay-online", "--trigger", "label=nope"}, "trigger"},
		{[]string{"--scenario", "relay-online", "--trigger", "colour=red"}, "trigger"},
		{[]string{"--scenario", "relay-online", "--trigger", "Secure"}, "trigger"},
		{[]string{"--scenario", "relay-online", "--trigger", "sender=not-an-address"}, "trigger"},
		{[]string{"--scenario", "relay-online", "--port", "587"}, "port"},
		{[]string{"--scenario", "cryptshare-online"}, "gateway-ip"},
		{[]string{"--scenario", "cryptshare-online", "--gateway-ip", "2001:db8::1"}, "gateway-ip"},
		{[]string{"--scenario", "cryptshare-online", "--gateway-ip", "10.0.0.1"}, "gateway-ip"},
		{[]string{"--scenario", "codetwo-online", "--connector", "X"}, "addon-rule"},
		{[]string{"--scenario", "pams-onprem", "--format", "yaml"}, "format"},
		{[]string{"--scenario", "relay-online", "--format", "reg"}, "format"},
		{[]string{"--scenario", "pams-onprem", "--format", "apply", "--out", "x"}, "format"},
		{[]string{"--scenario", "pams-onprem", "--force"}, "force"},
		{[]string{"--scenario", "pams-onprem", "--profile", "/nonexistent/profile.json"}, "profile"},
		{[]string{"--scenario", "pams-onprem", "extra"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			args := tc.args
			if tc.field != "format" && tc.field != "force" { // those cases choose --out/--format themselves
				args = append(args, "--out", filepath.Join(dir, "out"))
			}
			code, out, errb := runStepsCLI(t, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errb)
			}
			if !strings.Contains(errb, tc.field) {
				t.Errorf("message does not name %q: %q", tc.field, errb)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Error("files were written despite the error")
			}
		})
	}
}

func TestStepsRefusesToReplaceWithoutForce(t *testing.T) {
	dir := t.TempDir()
	if code, _, errb := runStepsCLI(t, "--scenario", "pams-onprem", "--out", dir); code != exitOK {
		t.Fatalf("first run: %d %s", code, errb)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "apply.ps1"))

	// Same answers: nothing to replace, success.
	if code, out, _ := runStepsCLI(t, "--scenario", "pams-onprem", "--out", dir); code != exitOK || !strings.Contains(out, "unchanged") {
		t.Fatalf("same answers: exit %d, %s", code, out)
	}

	code, _, errb := runStepsCLI(t, "--scenario", "pams-onprem", "--max-size-mb", "40", "--out", dir)
	if code == exitOK {
		t.Fatal("changed answers replaced files without --force")
	}
	for _, want := range []string{"--force", "-$MaxMessageSize", "+$MaxMessageSize", "'40MB'", "nothing was written"} {
		if !strings.Contains(errb, want) {
			t.Errorf("stderr does not show %q:\n%s", want, errb)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, "apply.ps1"))
	if !bytes.Equal(before, after) {
		t.Fatal("apply.ps1 changed without --force")
	}

	code, out, errb := runStepsCLI(t, "--scenario", "pams-onprem", "--max-size-mb", "40", "--out", dir, "--force")
	if code != exitOK {
		t.Fatalf("--force: exit %d %s", code, errb)
	}
	if !strings.Contains(out, "replaced") {
		t.Errorf("summary: %s", out)
	}
	after, _ = os.ReadFile(filepath.Join(dir, "apply.ps1"))
	if !bytes.Contains(after, []byte("'40MB'")) {
		t.Error("apply.ps1 not replaced with --force")
	}
}

func TestStepsFormatPrintsOneArtifact(t *testing.T) {
	in := steps.Defaults(steps.RelayOnline)
	arts, err := steps.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"checklist", "apply", "undo", "verify"} {
		code, out, errb := runStepsCLI(t, "--scenario", "relay-online", "--format", f)
		if code != exitOK {
			t.Fatalf("%s: exit %d %s", f, code, errb)
		}
		want, _ := steps.Find(arts, f)
		if out != want.Text {
			t.Errorf("--format %s does not print the artifact's text", f)
		}
	}
	// Without --out or --format: the checklist, and a hint on stderr.
	code, out, errb := runStepsCLI(t, "--scenario", "relay-online")
	if code != exitOK || !strings.HasPrefix(out, "# ") || !strings.Contains(errb, "--out") {
		t.Errorf("default output: exit %d, stderr %q", code, errb)
	}
}

func TestStepsProfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.json")
	in := steps.Defaults(steps.RelayOnPrem)
	in.Triggers = []steps.Trigger{{Kind: steps.TriggerSender, Value: "scanner@example.com"}}
	in.Name = "From profile"
	if err := files.SaveProfile(path, files.Profile{Steps: in, TestRecipient: "me@example.net"}); err != nil {
		t.Fatal(err)
	}
	code, out, errb := runStepsCLI(t, "--profile", path, "--format", "apply", "--port", "25")
	if code != exitOK {
		t.Fatalf("exit %d %s", code, errb)
	}
	for _, want := range []string{"'From profile'", "'scanner@example.com'"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply.ps1 from the profile lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^\$Port +\= 25\b`).MatchString(out) {
		t.Error("--port 25 does not override the profile")
	}
	code, out, _ = runStepsCLI(t, "--profile", path, "--format", "checklist")
	if code != exitOK || !strings.Contains(out, "me@example.net") {
		t.Errorf("the profile's test recipient is not used (exit %d)", code)
	}
	code, _, errb = runStepsCLI(t, "--profile", path, "--scenario", "pams-onprem", "--format", "apply")
	if code != exitUsage || !strings.Contains(errb, "scenario") {
		t.Errorf("scenario mismatch: exit %d %q", code, errb)
	}
}

type fakeResolver struct {
	hosts []string
	mx    []*net.MX
	err   error
	asked []string
}

func (f *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	f.asked = append(f.asked, host)
	return f.hosts, f.err
}

func (f *fakeResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	f.asked = append(f.asked, name)
	return f.mx, f.err
}

func runStepsWithResolver(t *testing.T, r stepsResolver, args ...string) (int, string) {
	t.Helper()
	a, _, errb := stepsTestApp()
	cmd := newStepsCmdWith(a, stepsDeps{resolver: r})
	cmd.SetArgs(args)
	cmd.SetOut(a.stdout)
	cmd.SetErr(a.stderr)
	err := cmd.ExecuteContext(context.Background())
	return exitCodeOf(err), errb.String()
}

func TestStepsCheckDNS(t *testing.T) {
	notFound := &net.DNSError{Err: "no such host", Name: "zivver-relay.invalid", IsNotFound: true}
	for _, tc := range []struct {
		name string
		r    *fakeResolver
		says string
	}{
		{"exists", &fakeResolver{hosts: []string{"192.0.2.1"}, mx: []*net.MX{{Host: "mx.example.com.", Pref: 10}}}, "WARNING: --placeholder-domain zivver-relay.invalid exists in public DNS (address 192.0.2.1; mail exchanger mx.example.com)"},
		{"absent", &fakeResolver{err: notFound}, "relaywiz: --placeholder-domain zivver-relay.invalid does not exist in public DNS: good"},
		{"offline", &fakeResolver{err: errors.New("connection refused")}, "could not check zivver-relay.invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, errb := runStepsWithResolver(t, tc.r, "--scenario", "pams-onprem", "--placeholder-domain", "zivver-relay.invalid", "--check-dns", "--format", "checklist")
			if code != exitOK {
				t.Fatalf("the DNS check is advice and must not fail the command: exit %d", code)
			}
			if !strings.Contains(errb, tc.says) {
				t.Errorf("stderr %q does not say %q", errb, tc.says)
			}
			if len(tc.r.asked) == 0 || tc.r.asked[0] != "zivver-relay.invalid" {
				t.Errorf("resolver asked for %v", tc.r.asked)
			}
		})
	}
	// A placeholder the admin chose is looked up only with --check-dns.
	r := &fakeResolver{}
	if code, _ := runStepsWithResolver(t, r, "--scenario", "pams-onprem", "--placeholder-domain", "zivver-relay.invalid", "--format", "apply"); code != exitOK || len(r.asked) > 0 {
		t.Errorf("resolver used without --check-dns: %v", r.asked)
	}
	// The manuals' example domain, used unchanged, is checked on its own,
	// and the admin is warned when it exists.
	r = &fakeResolver{hosts: []string{"192.0.2.7"}}
	code, errb := runStepsWithResolver(t, r, "--scenario", "pams-onprem", "--format", "apply")
	if code != exitOK || len(r.asked) == 0 || r.asked[0] != "zivver.org" {
		t.Errorf("default placeholder not checked: exit %d, asked %v", code, r.asked)
	}
	if !strings.Contains(errb, "WARNING: --placeholder-domain zivver.org exists in public DNS (address 192.0.2.7)") {
		t.Errorf("no warning for the default placeholder: %q", errb)
	}
	// Scenarios without a placeholder domain say so.
	r = &fakeResolver{}
	_, errb = runStepsWithResolver(t, r, "--scenario", "relay-online", "--check-dns", "--format", "apply")
	if len(r.asked) > 0 || !strings.Contains(errb, "no placeholder domain") {
		t.Errorf("relay-online --check-dns: asked %v, %q", r.asked, errb)
	}
}

// The help ends with what the exit status means, as the code returns it.
func TestStepsHelpEndsWithExitStatus(t *testing.T) {
	code, out, _ := runStepsCLI(t, "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	i, j := strings.Index(out, "Exit status:"), strings.Index(out, "Usage:")
	if i < 0 || j < i {
		t.Fatalf("no Exit status section before Usage:\n%s", out)
	}
	section := out[i:j]
	for _, want := range []string{"\n  0 ", "\n  1 ", "--force", "\n  64 "} {
		if !strings.Contains(section, want) {
			t.Errorf("exit status section lacks %q:\n%s", want, section)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(section), "\n")[1:] {
		if line != "" && !strings.HasPrefix(line, " ") {
			t.Errorf("the help goes on after the exit status section: %q", line)
		}
	}
}

// Without --out or --format, steps prints the checklist and names every
// other file --out writes (export.ps1 and pams.reg included).
func TestStepsChecklistNoteNamesEveryFile(t *testing.T) {
	code, _, errb := runStepsCLI(t, "--scenario", "pams-onprem")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, name := range []string{"apply.ps1", "undo.ps1", "verify.ps1", "export.ps1", "pams.reg"} {
		if !strings.Contains(errb, name) {
			t.Errorf("the note does not name %s: %q", name, errb)
		}
	}
}
