package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"relaywiz/checks"
	"relaywiz/creds"
	"relaywiz/files"
	"relaywiz/steps"
)

// saveTestProfile writes a profile and returns a defaultProfile func for
// an app, as the wizard's saved answers would be found.
func saveTestProfile(t *testing.T, p files.Profile) (string, func() (string, error)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relaywiz", "profile.json")
	if err := files.SaveProfile(path, p); err != nil {
		t.Fatal(err)
	}
	return path, func() (string, error) { return path, nil }
}

// Plain `relaywiz check` after the wizard checks the saved smart host,
// ports, CA file, certificate name and user, and says which profile it
// used; flags win over it.
func TestCheckUsesSavedProfile(t *testing.T) {
	port, ca := startCheckFake(t)
	path, def := saveTestProfile(t, files.Profile{Steps: steps.Defaults(steps.RelayOnPrem),
		SmartHost: files.SmartHostProfile{Host: "127.0.0.1", Ports: []int{port}, CAFile: ca, TLSServerName: "fake.relaywiz.test", User: fakeUser}})
	a, out, errb := checkTestApp(fakePass+"\n", nil, nil)
	a.defaultProfile = def
	if code := run(context.Background(), a, []string{"check", "--json", "--password-stdin"}); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	var rep struct {
		Host  string `json:"host"`
		Ports []struct {
			Port int    `json:"port"`
			Auth string `json:"auth"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Host != "127.0.0.1" || len(rep.Ports) != 1 || rep.Ports[0].Port != port || rep.Ports[0].Auth != "ok" {
		t.Errorf("did not check the profile's smart host: %s", out)
	}
	if !strings.Contains(errb.String(), "relaywiz: using profile "+path) {
		t.Errorf("stderr does not say which profile: %q", errb)
	}
	// A flag wins: another port, closed.
	closed := freeLoopbackPort(t, "127.0.0.1")
	a, out, _ = checkTestApp("", nil, nil)
	a.defaultProfile = def
	if code := run(context.Background(), a, []string{"check", "--json", "--ports", fmt.Sprint(closed), "--user", ""}); code != 2 || !strings.Contains(out.String(), fmt.Sprintf(`"port": %d`, closed)) {
		t.Errorf("--ports over the profile: exit %d\n%s", code, out)
	}
	// An explicit --profile that does not exist is bad input.
	a, _, errb = checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--profile", filepath.Join(t.TempDir(), "none.json")}); code != exitUsage || !strings.Contains(errb.String(), "--profile") {
		t.Errorf("missing --profile: exit %d %q", code, errb)
	}
}

// send takes the smart host, port, CA file and user from the profile, and
// the wizard's test sender and recipient.
func TestSendUsesSavedProfile(t *testing.T) {
	lab := startCmdLab(t)
	host, port, _ := net.SplitHostPort(lab.Addr)
	var p int
	fmt.Sscan(port, &p)
	in := steps.Defaults(steps.RelayOnPrem)
	in.SmartHost, in.Port = host, p
	_, def := saveTestProfile(t, files.Profile{Steps: in, TestRecipient: "someone@example.org", TestFrom: "admin@example.com",
		SmartHost: files.SmartHostProfile{Host: host, Ports: []int{p}, CAFile: lab.CAFile, User: lab.User}})
	a, out, errb := relayTestApp(lab.Password+"\n", nil)
	a.defaultProfile = def
	if code := run(context.Background(), a, []string{"send", "--password-stdin"}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errb)
	}
	if !strings.Contains(out.String(), "from <admin@example.com> to <someone@example.org>") || lab.Received() != 1 {
		t.Errorf("not sent with the profile's sender and recipient:\n%s", out)
	}
}

// creds and steps start from the profile too.
func TestCredsAndStepsUseSavedProfile(t *testing.T) {
	in := steps.Defaults(steps.RelayOnPrem)
	in.Triggers = []steps.Trigger{{Kind: steps.TriggerSubject, Value: "Vertrouwelijk"}}
	_, def := saveTestProfile(t, files.Profile{Steps: in,
		SmartHost: files.SmartHostProfile{Host: "smtp.example.test", User: "relay@example.test"}})
	store := creds.NewMemory()
	a, out, errb := credsTestApp("pw\n", store)
	a.defaultProfile = def
	if code := run(context.Background(), a, []string{"creds", "set", "--password-stdin"}); code != 0 {
		t.Fatalf("creds set: exit %d %s", code, errb)
	}
	if st := store.Status(context.Background(), "smtp.example.test", "relay@example.test"); st.State != creds.Stored || !strings.Contains(out.String(), "smtp.example.test") {
		t.Errorf("creds set did not use the profile: %v %s", st.State, out)
	}

	// plain `relaywiz steps` uses the saved scenario and answers
	sa, sout, serr := stepsTestApp()
	sa.defaultProfile = def
	if code := run(context.Background(), sa, []string{"steps", "--format", "checklist"}); code != exitOK {
		t.Fatalf("steps: exit %d %s", code, serr)
	}
	if !strings.Contains(sout.String(), "Vertrouwelijk") || !strings.Contains(serr.String(), "relaywiz: using profile") {
		t.Errorf("steps did not use the profile's answers:\n%s\n%s", sout, serr)
	}
	// another --scenario than the saved one: its defaults, not an error
	sa, sout, serr = stepsTestApp()
	sa.defaultProfile = def
	if code := run(context.Background(), sa, []string{"steps", "--scenario", "pams-onprem", "--format", "checklist"}); code != exitOK || strings.Contains(sout.String(), "Vertrouwelijk") {
		t.Errorf("steps --scenario over a profile of another scenario: exit %d %s", code, serr)
	}
	// ... and stderr does not claim the profile was used
	if strings.Contains(serr.String(), "using profile") {
		t.Errorf("steps --scenario pams-onprem says it used a relay-onprem profile it ignored: %q", serr)
	}
	// the same for audit
	sa, _, serr = stepsTestApp()
	sa.defaultProfile = def
	if code := run(context.Background(), sa, []string{"audit", "--scenario", "pams-onprem"}); code != exitOK || strings.Contains(serr.String(), "using profile") {
		t.Errorf("audit --scenario over a profile of another scenario: exit %d %q", code, serr)
	}
}

// The old flag names keep working and appear in no help.
func TestOldFlagNamesAreHiddenAliases(t *testing.T) {
	for _, c := range []struct{ cmd, old, now string }{
		{"check", "--host", "--smart-host"},
		{"doctor", "--host", "--smart-host"},
		{"doctor", "--alt-ports", "--ports"},
		{"send", "--upstream", "--smart-host"},
		{"relay", "--upstream", "--smart-host"},
		{"creds test", "--host", "--smart-host"},
	} {
		a, out, _ := relayTestApp("", nil)
		run(context.Background(), a, append(strings.Fields(c.cmd), "--help"))
		if strings.Contains(out.String(), c.old+" ") || !strings.Contains(out.String(), c.now) {
			t.Errorf("%s --help shows %s or lacks %s", c.cmd, c.old, c.now)
		}
		for _, want := range []string{"--profile", "--smart-host"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s --help lacks %s", c.cmd, want)
			}
		}
	}
	// check --host X is check --smart-host X
	a, _, errb := checkTestApp("", nil, nil)
	if code := run(context.Background(), a, []string{"check", "--host", "not a host"}); code != exitUsage || !strings.Contains(errb.String(), "--smart-host") {
		t.Errorf("check --host: exit %d %q", code, errb)
	}
}

// The root help lists the commands once (cobra's list), not twice.
func TestRootHelpListsCommandsOnce(t *testing.T) {
	a, out, _ := relayTestApp("", nil)
	run(context.Background(), a, []string{"--help"})
	if n := strings.Count(out.String(), "\n  doctor "); n != 1 {
		t.Errorf("doctor listed %d times:\n%s", n, out)
	}
	if !strings.Contains(out.String(), "--smart-host HOST") {
		t.Errorf("the shared vocabulary is not named:\n%s", out)
	}
}

// A hint two ports share is printed once; a command in a hint keeps its
// own line.
func TestCheckRenderMergesDuplicateHints(t *testing.T) {
	hint := "The name does not exist in DNS. Check the spelling, or start a shell with:\n    dbus-run-session -- bash\nthen retry."
	fail := func(port int) checks.PortResult {
		return checks.PortResult{Port: port, Stages: []checks.StageResult{{Name: checks.StageDNS, Detail: "NXDOMAIN", Hint: hint}}}
	}
	rep := checks.Report{Host: "smtp.example.test", Ports: []checks.PortResult{fail(25), fail(587)}}
	a, _, _ := checkTestApp("", nil, nil)
	var b strings.Builder
	renderCheckReport(&b, newCheckStyles(a), rep, "", "")
	out := b.String()
	if strings.Count(out, "Check the spelling") != 1 || !strings.Contains(out, "hint: the same as for port 25 above.") {
		t.Errorf("hint not merged:\n%s", out)
	}
	if !strings.Contains(out, "\n              dbus-run-session -- bash\n          then retry.") {
		t.Errorf("command not on a line of its own:\n%s", out)
	}
}
