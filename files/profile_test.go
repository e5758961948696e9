package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"relaywiz/steps"
)

func TestProfileRoundTrip(t *testing.T) {
	in := steps.Defaults(steps.RelayOnline)
	in.Triggers = []steps.Trigger{{Kind: steps.TriggerSubject, Value: "Secure"}, {Kind: steps.TriggerLabel, Value: "0f4c5a7e-3b0a-4d8e-9a51-2c6d8e7f9a10"}}
	in.Priority = 0
	in.Name = "O'Brien’s relay"
	p := Profile{
		Steps:         in,
		SmartHost:     SmartHostProfile{Host: "smtp.zivver.com", Ports: []int{25, 587}, CAFile: "/etc/ssl/extra.pem", TLSServerName: "smtp.zivver.com", User: "relay-user"},
		TestRecipient: "someone@example.net",
	}
	path := filepath.Join(t.TempDir(), "relaywiz", "profile.json") // directory created
	if err := SaveProfile(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.Version = ProfileVersion
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Priority 0 (top) survives: it is not the "unset" value.
	if got.Steps.Priority != 0 {
		t.Errorf("priority %d", got.Steps.Priority)
	}
	si := got.StepsInputs()
	if si.TestRecipient != "someone@example.net" {
		t.Errorf("StepsInputs test recipient %q", si.TestRecipient)
	}
	if err := si.Validate(); err != nil {
		t.Errorf("loaded answers do not validate: %v", err)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("profile mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

// A short, hand-written profile gets the scenario's defaults for what it
// leaves out; in particular a missing priority must not become 0 (top).
func TestLoadProfileFillsDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"steps":{"scenario":"pams-onprem","name":"Mine"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := steps.Defaults(steps.PAMSOnPrem)
	if p.Steps.Name != "Mine" || p.Steps.SmartHost != d.SmartHost || p.Steps.Port != d.Port ||
		p.Steps.MaxSizeMB != d.MaxSizeMB || p.Steps.Priority != steps.PriorityAuto {
		t.Errorf("defaults not filled: %+v", p.Steps)
	}
}

func TestLoadProfileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, err := LoadProfile(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for name, c := range map[string]struct{ body, says string }{
		"typo":   {`{"version":1,"steps":{"scenario":"pams-onprem","smartHots":"x"}}`, "smartHots"},
		"json":   {`{"version":1,`, "not valid JSON"},
		"newer":  {`{"version":99,"steps":{"scenario":"pams-onprem"}}`, "newer relaywiz"},
		"secret": {`{"version":1,"smartHost":{"host":"h","password":"hunter2"}}`, "password"},
	} {
		_, err := LoadProfile(write(name+".json", c.body))
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: want an error mentioning %q, got %v", name, c.says, err)
		}
	}
}

// The profile must not be able to hold a secret: no field of it (at any
// depth) may be named like one.
func TestProfileHasNoSecretFields(t *testing.T) {
	secret := regexp.MustCompile(`(?i)pass|secret|token|credential|apikey`)
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Struct:
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				tag := f.Tag.Get("json")
				if secret.MatchString(f.Name) || secret.MatchString(tag) {
					t.Errorf("field %s.%s (json %q) looks like a secret", path, f.Name, tag)
				}
				walk(f.Type, path+"."+f.Name)
			}
		case reflect.Slice, reflect.Pointer, reflect.Array:
			walk(typ.Elem(), path)
		case reflect.Map:
			t.Errorf("%s: a map could carry anything; use named fields", path)
		}
	}
	walk(reflect.TypeOf(Profile{}), "Profile")
}

func TestDefaultProfilePath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "cfg"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AppData", filepath.Join(t.TempDir(), "appdata"))
	p, err := DefaultProfilePath()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "profile.json" || filepath.Base(filepath.Dir(p)) != "relaywiz" {
		t.Errorf("path %s", p)
	}
}

func TestProfileSettings(t *testing.T) {
	in := steps.Defaults(steps.RelayOnline)
	in.PlaceholderDomain = "placeholder.invalid"
	in.Triggers = []steps.Trigger{
		{Kind: steps.TriggerSubject, Value: "Secure"},
		{Kind: steps.TriggerLabel, Value: "3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e"},
		{Kind: steps.TriggerSender, Value: "board@example.org"},
	}
	p := Profile{Steps: in, TestRecipient: "me@outside.example", SmartHost: SmartHostProfile{
		Host: "smtp.eu.example.net", Ports: []int{587, 25}, CAFile: "/etc/ca.pem", TLSServerName: "cert.example.net", User: "svc@example.org",
	}}
	s := p.Settings()
	if !s.HasScenario || s.Scenario.ID != steps.RelayOnline || s.Inputs.TestRecipient != "me@outside.example" {
		t.Errorf("scenario %v/%q inputs' recipient %q", s.HasScenario, s.Scenario.ID, s.Inputs.TestRecipient)
	}
	want := Settings{Host: "smtp.eu.example.net", Ports: []int{587, 25}, ConnectorPort: in.Port,
		CAFile: "/etc/ca.pem", TLSServerName: "cert.example.net", User: "svc@example.org",
		PlaceholderDomain: "placeholder.invalid", TestRecipient: "me@outside.example",
		TriggerSubjects: []string{"Secure"}, TriggerLabels: []string{"3e5a1c2b-7d4f-4b8a-9e0c-1f2a3b4c5d6e"}}
	got := s
	got.Scenario, got.HasScenario, got.Inputs = steps.Scenario{}, false, steps.Inputs{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("settings\n got %+v\nwant %+v", got, want)
	}
}

// The smart host falls back from the proven one to the connector's, then
// to the scenario's default; a hand-written profile that keeps the test
// recipient with the steps answers still has one.
func TestProfileSettingsFallbacks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.json")
	hand := `{"version":1,"steps":{"scenario":"relay-onprem","smartHost":"gw.example.net","testRecipient":"me@outside.example"}}`
	if err := os.WriteFile(path, []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Settings(); s.Host != "gw.example.net" || s.TestRecipient != "me@outside.example" || len(s.Ports) != 0 {
		t.Errorf("host %q recipient %q ports %v", s.Host, s.TestRecipient, s.Ports)
	}
	p.Steps.SmartHost = ""
	sc, _ := steps.Lookup(string(steps.RelayOnPrem))
	if s := p.Settings(); s.Host != sc.DefaultSmartHost || s.Host == "" {
		t.Errorf("host %q, want the scenario's default %q", s.Host, sc.DefaultSmartHost)
	}
	unknown := Profile{Steps: steps.Inputs{Scenario: "from-the-future"}}
	if s := unknown.Settings(); s.HasScenario || s.Host != "" {
		t.Errorf("unknown scenario: has %v host %q", s.HasScenario, s.Host)
	}
}

func TestProfileKeepsTestFromOutDirAndLastStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.json")
	in := Profile{Steps: steps.Defaults(steps.RelayOnPrem), TestFrom: "admin@example.com", OutDir: "/srv/x", LastStep: "details"}
	if err := SaveProfile(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.TestFrom != in.TestFrom || got.OutDir != in.OutDir || got.LastStep != in.LastStep {
		t.Errorf("got %+v", got)
	}
}
